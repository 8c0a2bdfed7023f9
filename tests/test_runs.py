"""Saved runs: reload with identical predictions, atomic saves, list/rename/delete, uploads."""

from __future__ import annotations

import json
import os
from dataclasses import replace

import numpy as np
import pytest

from cnnviz.runs import store as runs
from cnnviz.runs.schema import EvaluationMetrics
from cnnviz.runs.store import Run, RunError, list_runs, load_run, load_uploaded_model, save_run
from tests.conftest import APPTEST_TIMEOUT_S


@pytest.fixture
def saved(tiny_run, tmp_path) -> Run:
    history = [{"loss": 1.2, "accuracy": 0.4, "val_loss": 1.1, "val_accuracy": 0.5, "learning_rate": 0.001}]
    config = replace(tiny_run.config, name="first run", status="completed", epochs_run=1,
                     test_metrics=EvaluationMetrics(loss=1.0, accuracy=0.55))
    return save_run(Run(tiny_run.model, config, history), tmp_path)


def test_a_saved_run_reloads_with_identical_predictions(saved, small_shapes):
    loaded = load_run(saved.path)
    x = small_shapes.test.x[:16].astype("float32") / 255
    np.testing.assert_array_equal(loaded.model.predict(x, verbose=0), saved.model.predict(x, verbose=0))
    assert loaded.config == saved.config and loaded.history == saved.history
    files = {p.name for p in saved.path.iterdir()}
    assert files == {"model.keras", "config.json", "history.csv", "metrics.json"}


def test_list_rename_delete(saved, tiny_run, tmp_path):
    second = save_run(Run(tiny_run.model, replace(tiny_run.config, name="first run")), tmp_path)
    assert second.path != saved.path  # same name, same second: a free folder name is found
    summaries = list_runs(tmp_path)
    assert {s.path for s in summaries} == {saved.path, second.path}
    row = next(s for s in summaries if s.path == saved.path).row()
    assert row["test accuracy %"] == 55.0 and row["architecture"] == "custom" and row["dataset"] == "Shapes"
    runs.rename_run(saved.path, "  renamed  ")
    assert load_run(saved.path).label == "renamed"
    with pytest.raises(RunError, match="cannot be empty"):
        runs.rename_run(saved.path, " ")
    runs.delete_run(second.path)
    assert [s.path for s in list_runs(tmp_path)] == [saved.path]
    assert os.listdir(tmp_path) == [saved.path.name]


def test_a_crash_mid_save_leaves_no_broken_run(saved, tiny_run, tmp_path, monkeypatch):
    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(runs, "_write_json", crash)  # model.keras written, then the crash
    with pytest.raises(OSError):
        save_run(Run(tiny_run.model, tiny_run.config), tmp_path)
    assert [s.path for s in list_runs(tmp_path)] == [saved.path]
    # A process killed outright leaves its staging folder behind: it is never listed.
    staging = runs.stage_run(tmp_path)
    (staging / "model.keras").write_bytes(b"half a model")
    (saved.path.parent / "no-config").mkdir()
    assert [s.path for s in list_runs(tmp_path)] == [saved.path]
    with pytest.raises(RunError, match="not a complete saved run"):
        load_run(staging)


def test_atomic_write_keeps_the_old_file_when_writing_fails(tmp_path):
    target = tmp_path / "config.json"
    runs.atomic_write(target, '{"name": "old"}')

    with pytest.raises(TypeError):
        runs.atomic_write(target, 123)  # type: ignore[arg-type]
    assert json.loads(target.read_text()) == {"name": "old"}
    assert os.listdir(tmp_path) == ["config.json"]  # no temp file left over


def test_uploaded_model_loads_and_lambda_model_is_refused(tiny_run, tmp_path):
    import keras

    good = tmp_path / "good.keras"
    tiny_run.model.save(good)
    assert load_uploaded_model(good.read_bytes()).count_params() == tiny_run.model.count_params()

    inputs = keras.Input((8, 8, 1))
    doubled = keras.layers.Lambda(lambda t: t * 2.0)(keras.layers.Flatten()(inputs))
    outputs = keras.layers.Dense(2, activation="softmax")(doubled)
    bad = tmp_path / "lambda.keras"
    keras.Model(inputs, outputs).save(bad)
    with pytest.raises(RunError, match="uses Lambda"):
        load_uploaded_model(bad.read_bytes())
    with pytest.raises(RunError, match="not a .keras model"):
        load_uploaded_model(b"definitely not a zip")


def test_config_for_an_uploaded_model_checks_the_dataset(tiny_run, small_shapes):
    config = runs.config_for_model(tiny_run.model, small_shapes, "mine.keras")
    assert config.input_shape == (32, 32, 3) and config.display_names == small_shapes.display_names
    from cnnviz.models.architectures import build_model

    with pytest.raises(RunError, match="predicts 10 classes"):
        runs.config_for_model(build_model("mnist_basic", (32, 32, 3), 10), small_shapes, "other.keras")


def test_compare_table_and_json_ready(saved):
    (row,) = runs.compare_table([saved.path])
    assert row["run"].startswith("first run · ") and row["test accuracy"] == 0.55
    assert row["augmentation"] == "off" and row["epochs"] == 1
    messy = {"a": float("nan"), "b": (np.float32(0.5), np.int64(3))}
    assert runs.json_ready(messy) == {"a": None, "b": [0.5, 3]}


def test_runs_page_compares_opens_renames_and_deletes(saved, tiny_run, tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from tests.conftest import APPTEST_TIMEOUT_S, REPO_ROOT

    monkeypatch.setenv("CNNVIZ_RUNS_DIR", str(tmp_path))
    second = save_run(Run(tiny_run.model, replace(tiny_run.config, name="second"), saved.history), tmp_path)
    at = AppTest.from_file(str(REPO_ROOT / "pages" / "runs.py"), default_timeout=APPTEST_TIMEOUT_S)
    at.run()
    assert not at.exception and len(at.dataframe) == 1
    at.multiselect[0].select(at.multiselect[0].options[0]).select(at.multiselect[0].options[1])
    at.run()
    assert not at.exception and len(at.dataframe) == 2  # the runs list plus the comparison table
    at.selectbox[0].select(next(o for o in at.selectbox[0].options if o.startswith("second")))
    at.run()
    next(b for b in at.button if b.label == "Open as the current model").click()
    at.run()
    assert at.session_state["cnnviz_model"].path == second.path
    at.text_input[0].set_value("renamed")
    next(b for b in at.button if b.label == "Rename").click()
    at.run()
    assert {s.name for s in list_runs(tmp_path)} == {"first run", "renamed"}
    delete = next(b for b in at.button if b.label == "Delete run")
    assert delete.disabled  # not before the confirmation box is ticked
    at.checkbox[0].check()
    at.run()
    next(b for b in at.button if b.label == "Delete run").click()
    at.run()
    assert not at.exception and [s.name for s in list_runs(tmp_path)] == ["first run"]


def test_runs_page_in_korean(saved, tmp_path, monkeypatch, in_korean):
    from streamlit.testing.v1 import AppTest

    from tests.conftest import REPO_ROOT

    monkeypatch.setenv("CNNVIZ_RUNS_DIR", str(tmp_path))
    at = in_korean(AppTest.from_file(str(REPO_ROOT / "pages" / "runs.py"), default_timeout=APPTEST_TIMEOUT_S))
    at.run()
    assert not at.exception and not at.error
    assert at.title[0].value == "🗃️ 실행 기록"
    assert "현재 모델로 열기" in [button.label for button in at.button]
