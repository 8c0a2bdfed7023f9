"""Hyper-parameter search with KerasTuner: within its budget, a live table of trials, the best trial saved."""

from __future__ import annotations

import threading

import pytest

from cnnviz.runs.schema import TrainConfig
from cnnviz.runs.store import list_runs, load_run
from cnnviz.training.groups import SEARCH
from cnnviz.training.progress import TrainingProgress
from cnnviz.training.search import BEST, TRIALS_FILE, live_trials_path, read_trials, search_job


def test_a_tiny_search_keeps_its_trial_budget_and_saves_the_best_trial_as_a_run(tiny_shapes, tiny_run, tmp_path):
    kind = "random"
    config = TrainConfig(epochs=1, batch_size=64, search=kind, search_trials=2, name="tuned")
    job = search_job(tiny_run, tiny_shapes, config, tmp_path)
    best = job.request.run(TrainingProgress(), None)
    trials = read_trials(best.path / TRIALS_FILE)
    assert len(trials) == 2
    assert [s.path for s in list_runs(tmp_path)] == [best.path]  # one run: the best trial
    hyper = best.config.hyperparameters
    assert (hyper.group_kind, hyper.group_member, hyper.search) == (SEARCH, BEST, kind)
    assert max(row["val_accuracy"] for row in trials) == pytest.approx(max(r["val_accuracy"] for r in best.history))
    best_trial = max(trials, key=lambda row: row["val_accuracy"])
    assert hyper.learning_rate == pytest.approx(best_trial["learning_rate"])
    assert best.config.architecture.options["filters"] == best_trial["filters"]
    assert best.config.test_metrics.accuracy is not None
    assert load_run(best.path).model.count_params() == best.model.count_params()
    assert not live_trials_path(tmp_path, hyper.group).exists() and not list(tmp_path.glob(".staging-*"))


def test_stop_ends_a_hyperband_search_after_the_running_trial_and_still_saves_it(tiny_shapes, tiny_run, tmp_path):
    config = TrainConfig(epochs=1, batch_size=64, search="hyperband", search_trials=50)
    job = search_job(tiny_run, tiny_shapes, config, tmp_path)
    stop = threading.Event()

    class StopAfterFirstTrial(TrainingProgress):
        def add_epoch(self, logs):
            super().add_epoch(logs)
            stop.set()

    best = job.request.run(StopAfterFirstTrial(), stop)
    assert len(read_trials(best.path / TRIALS_FILE)) == 1 and best.config.status == "stopped"
    assert best.config.hyperparameters.search == "hyperband"


def test_a_search_without_a_budget_is_refused(tiny_shapes, tmp_path):
    with pytest.raises(ValueError, match="budget"):
        search_job(None, tiny_shapes, TrainConfig(search="random"), tmp_path)


def test_trials_use_the_early_stopping_and_learning_rate_schedule_of_the_training_settings():
    from cnnviz.runs.schema import TrainConfig
    from cnnviz.training.search import trial_callbacks

    config = TrainConfig(early_stopping=True, early_patience=2, reduce_lr=True, reduce_factor=0.5, checkpoint=True)
    callbacks = {type(callback).__name__: callback for callback in trial_callbacks(config, has_validation=True)}
    assert set(callbacks) == {"TerminateOnNaN", "EarlyStopping", "ReduceLROnPlateau"}  # no checkpoint or log per trial
    assert callbacks["EarlyStopping"].patience == 2 and callbacks["ReduceLROnPlateau"].factor == 0.5
    assert callbacks["EarlyStopping"].monitor == config.early_monitor
    plain = trial_callbacks(TrainConfig(early_stopping=False, reduce_lr=False), has_validation=False)
    assert [type(callback).__name__ for callback in plain] == ["TerminateOnNaN"]
