"""Model pickers select by run identity: a newly saved run never changes the user's pick."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from cnnviz.runs.loaded import loaded_run
from cnnviz.runs.store import Run, list_runs, save_run
from tests.conftest import APPTEST_TIMEOUT_S, tiny_model_run


def picker_page() -> None:
    import streamlit as st

    from app import pickers

    picked = pickers.pick_model("picker")
    st.write(f"picked: {picked.path.name if picked.path else picked.label}")


def picked(at: AppTest) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("picked: "))


def saved_run(small_shapes, runs_dir, name: str) -> Run:
    run = tiny_model_run(small_shapes)
    return save_run(Run(run.model, run.config.renamed(name)), runs_dir)


def test_a_new_saved_run_does_not_change_the_pick(small_shapes, tmp_path, monkeypatch):
    monkeypatch.setenv("CNNVIZ_RUNS_DIR", str(tmp_path))
    older, newer = saved_run(small_shapes, tmp_path, "older"), saved_run(small_shapes, tmp_path, "newer")
    at = AppTest.from_function(picker_page, default_timeout=APPTEST_TIMEOUT_S)
    at.session_state["cnnviz_model"] = tiny_model_run(small_shapes)
    at.run()
    assert not at.exception
    options = at.selectbox[0].options
    assert options[0].startswith("Current model") and len(options) == 3
    at.selectbox[0].set_value(str(older.path)).run()
    assert picked(at) == f"picked: {older.path.name}"
    newest = saved_run(small_shapes, tmp_path, "newest")  # listed first: every position shifts
    at.run()
    assert not at.exception and len(at.selectbox[0].options) == 4
    assert picked(at) == f"picked: {older.path.name}"
    assert newest.path != older.path and newer.path != older.path


def test_an_opened_run_is_the_model_object_of_the_one_cache_of_loaded_runs(small_shapes, tmp_path):
    """The pickers, the Runs page and the training worker's results share one model per run folder."""
    from app.loading import open_run

    saved = saved_run(small_shapes, tmp_path, "shared")
    [summary] = list_runs(tmp_path)
    assert open_run(summary) is loaded_run(saved.path)


def test_runs_with_the_same_name_have_different_identities(small_shapes, tmp_path):
    from app.memo import run_identity

    first, second = saved_run(small_shapes, tmp_path, "twin"), saved_run(small_shapes, tmp_path, "twin")
    assert first.label == second.label and run_identity(first) != run_identity(second)
    unsaved = tiny_model_run(small_shapes)
    assert run_identity(unsaved) == run_identity(unsaved) != run_identity(tiny_model_run(small_shapes))
