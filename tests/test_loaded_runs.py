"""Saved runs loaded once: one model object per folder and config version, even when asked for at once."""

from __future__ import annotations

import threading

import pytest

from cnnviz.runs import loaded
from cnnviz.runs.loaded import LOADED_RUNS_KEPT, KeptLoads, loaded_run, saved_config
from cnnviz.runs.store import RunError, rename_run, save_run


@pytest.fixture
def saved(tiny_run, tmp_path):
    return save_run(tiny_run, tmp_path)


def test_a_folder_gives_one_model_until_its_config_changes(saved):
    first = loaded_run(saved.path)
    assert loaded_run(str(saved.path)) is first and saved_config(saved.path) == first.config
    rename_run(saved.path, "renamed")
    again = loaded_run(saved.path)
    assert again is not first and again.config.name == "renamed" and saved_config(saved.path).name == "renamed"


def test_a_config_is_read_without_loading_the_model(saved, monkeypatch):
    def no_model(path):
        raise AssertionError("the model was loaded")

    monkeypatch.setattr(loaded, "load_run", no_model)
    assert saved_config(saved.path).name == saved.config.name


def test_threads_asking_at_once_share_one_load():
    gate, loads = threading.Event(), []

    def load(key):
        loads.append(key)
        gate.wait()
        return object()

    kept, results = KeptLoads(LOADED_RUNS_KEPT, load), []
    threads = [threading.Thread(target=lambda: results.append(kept.get("run"))) for _ in range(4)]
    for thread in threads:
        thread.start()
    gate.set()
    for thread in threads:
        thread.join()
    assert loads == ["run"] and len({id(result) for result in results}) == 1


def test_only_the_last_few_are_kept_and_a_failure_is_not_kept():
    attempts = []

    def load(key):
        attempts.append(key)
        if key == "broken" and attempts.count("broken") == 1:
            raise RunError("unreadable")
        return key

    kept = KeptLoads(2, load)
    with pytest.raises(RunError):
        kept.get("broken")
    assert kept.get("broken") == "broken", "tried again after a failure"
    kept.get("a"), kept.get("b"), kept.get("broken")
    assert attempts == ["broken", "broken", "a", "b", "broken"]


def test_a_missing_folder_is_an_os_error(tmp_path):
    with pytest.raises(OSError):
        loaded_run(tmp_path / "gone")
