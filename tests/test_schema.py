"""config.json: one typed schema; runs saved before it existed (version 0) still open."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from cnnviz.data.augmentation import AugmentConfig
from cnnviz.runs import store
from cnnviz.runs.schema import (
    EARLY_STOPPED,
    SCHEMA_VERSION,
    STOPPED,
    CallbackSpec,
    EvaluationMetrics,
    RunConfig,
    TrainConfig,
    status_message,
)

OLD_CONFIG = Path(__file__).parent / "data" / "config_v0_early_stopped.json"


@pytest.fixture
def old_run_folder(tiny_run, tmp_path) -> Path:
    """A run folder whose config.json is what the code before the schema wrote (no version)."""
    saved = store.save_run(tiny_run, tmp_path)
    shutil.copy(OLD_CONFIG, saved.path / "config.json")
    return saved.path


def test_a_version_0_run_opens_with_typed_fields(old_run_folder):
    run = store.load_run(old_run_folder)
    config = run.config
    assert run.label == "old early stop" and config.created == "2026-11-23T18:30:08"
    assert config.status == EARLY_STOPPED  # version 0 called it "completed"
    assert config.message == "Early stopping ended training after 3 of 8 epochs."  # the sentence it stored
    assert config.hyperparameters == TrainConfig(
        batch_size=16, epochs=8, early_stopping=True, augment=True, name="old early stop"
    )
    assert config.augmentation == AugmentConfig(rotation_degrees=10.0, horizontal_flip=True)
    assert CallbackSpec("CSVLogger", {"filename": "history.csv"}) in config.callbacks
    assert config.dataset.spec is not None and config.dataset.spec.count == 400
    assert config.dataset.sizes == {"train": 280, "val": 60, "test": 60}
    assert config.input_shape == (32, 32, 3) and config.preprocessing.scale == pytest.approx(1 / 255)
    assert config.test_metrics.accuracy == pytest.approx(0.38333, abs=1e-4)
    [summary] = store.list_runs(old_run_folder.parent)
    assert summary.row()["status"] == "early stopped" and summary.epochs == 3


def test_rewriting_a_version_0_run_stores_keys_and_numbers_not_sentences(old_run_folder):
    store.rename_run(old_run_folder, "renamed")
    written = json.loads((old_run_folder / "config.json").read_text())
    assert written["version"] == SCHEMA_VERSION and "message" not in written
    assert written["status"] == "early_stopped" and written["epochs_run"] == 3
    reloaded = store.load_run(old_run_folder).config
    assert reloaded.message == "Early stopping ended training after 3 of 8 epochs."


def test_a_config_survives_the_round_trip_through_json(tiny_run):
    config = replace(
        tiny_run.config, status=STOPPED, epochs_run=2, hyperparameters=TrainConfig(epochs=5),
        callbacks=[CallbackSpec("TerminateOnNaN")], augmentation=AugmentConfig(zoom=0.2),
        test_metrics=EvaluationMetrics(loss=0.5, accuracy=0.75), created="2026-01-01T00:00:00",
    )
    data = json.loads(json.dumps(store.json_ready(config.to_dict())))
    assert RunConfig.from_dict(data) == config
    assert config.message == "Stopped by the user during epoch 2 of 5."


def test_an_unknown_status_is_refused():
    data = json.loads(OLD_CONFIG.read_text())
    with pytest.raises(ValueError, match="unknown run status"):
        RunConfig.from_dict({**data, "status": "finished somehow"})


def test_status_messages_come_from_the_key_and_numbers():
    assert status_message("completed", 1, 1) == "Trained for 1 epoch."
    assert status_message("completed", 4, 4) == "Trained for 4 epochs."
    assert "lower the learning rate" in status_message("diverged", 1, 4)
