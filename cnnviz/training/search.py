"""Hyper-parameter search with KerasTuner (random search or Hyperband), as one queued job.

KerasTuner's oracle picks the learning rate, the dropout before the classifier, the L2
weight penalty and the first block's filters of a custom-builder model; each trial trains
on the train split and is scored by its best validation accuracy. The search ends at its
trial budget, its time budget (a trial running at the deadline ends after its current
batch) or at Stop. A live table of the trials is written after each trial (``read_trials``);
the best trial's model is evaluated on the test split and saved as a normal run, with the
table beside it.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cnnviz.i18n import N_, _
from cnnviz.models.architectures import build_model, simple_options
from cnnviz.models.regularization import L2, split_options
from cnnviz.runs.schema import COMPLETED, STOPPED, TIME_LIMIT, EvaluationMetrics, model_config
from cnnviz.runs.store import Run, atomic_write, save_run
from cnnviz.training.budget import over_time
from cnnviz.training.groups import SEARCH, GroupRequest, new_group
from cnnviz.training.jobs import training_job

if TYPE_CHECKING:
    import keras

    from cnnviz.data.augmentation import AugmentConfig
    from cnnviz.data.dataset import Dataset
    from cnnviz.runs.schema import TrainConfig
    from cnnviz.training.progress import TrainingProgress
    from cnnviz.training.worker import Job

SEARCHES = {"random": N_("Random search"), "hyperband": N_("Hyperband")}  # key: display name
TRIALS_FILE = "trials.json"  # the table of trials, beside the best run once the search ends
BEST = "best"  # the group member key of the saved best trial
LEARNING_RATES = (1e-4, 1e-2)  # sampled on a log scale
DROPOUTS = (0.0, 0.5, 0.1)  # low, high, step
PENALTIES = [0.0, 1e-4, 1e-3, 1e-2]  # L2 strengths
FIRST_FILTERS = [8, 16, 32]
HYPERBAND_MIN_EPOCHS = 2  # Hyperband needs room for a bracket: its trials train 1 or 2 epochs at least
TRIAL_CALLBACKS = ("TerminateOnNaN", "EarlyStopping", "ReduceLROnPlateau")  # the Train page's, minus the files


def live_trials_path(runs_dir: Path, group: str) -> Path:
    """Where a running search writes its table of trials (a hidden file in the runs directory)."""
    return Path(runs_dir) / f".search-{group}.json"


def read_trials(path: Path) -> list[dict[str, Any]]:
    """A table of trials (a list of rows), [] while there is none."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []


def declare_space(hp: Any) -> tuple[float, dict[str, Any]]:
    """Declare the search space on KerasTuner's HyperParameters ``hp``; (learning rate, builder options)."""
    learning_rate = hp.Float("learning_rate", *LEARNING_RATES, sampling="log")
    low, high, step = DROPOUTS
    options = {
        "filters": hp.Choice("filters", FIRST_FILTERS), "dropout": hp.Float("dropout", low, high, step=step),
        "penalty": L2, "penalty_strength": hp.Choice("l2", PENALTIES),
    }  # fmt: skip
    return learning_rate, options


class _SearchEnded(Exception):
    """Raised before a new trial when the budget is spent or Stop was pressed."""


class Budget:
    """The search's trial and time budget, and Stop: ``is_set`` ends a running trial's fit."""

    def __init__(self, trials: int, minutes: float, stop: Any) -> None:
        self.trials, self.stop = trials, stop
        self.deadline = time.monotonic() + 60 * minutes if minutes > 0 else None

    def stopped(self) -> bool:
        return self.stop is not None and self.stop.is_set()

    def is_set(self) -> bool:
        return self.stopped() or (self.deadline is not None and time.monotonic() >= self.deadline)

    def status(self) -> str:
        """How the search ended: at the job's time limit, stopped by the user, or with its budget spent."""
        if over_time(self.stop):
            return TIME_LIMIT
        return STOPPED if self.stopped() else COMPLETED

    def spent(self, trials_run: int) -> bool:
        return self.is_set() or (self.trials > 0 and trials_run >= self.trials)


def trial_callbacks(config: TrainConfig, has_validation: bool) -> list[keras.callbacks.Callback]:
    """The early stopping and learning-rate schedule the Train page set, for one trial (no checkpoint or log files)."""
    from cnnviz.training.train import callback_specs, make_callbacks

    specs = [spec for spec in callback_specs(config, has_validation) if spec.name in TRIAL_CALLBACKS]
    return make_callbacks(specs, Path("."))


def search_options(
    base_options: dict[str, Any], architecture: str, input_shape: tuple[int, int, int]
) -> dict[str, Any]:
    """The custom-builder options a trial starts from: the current custom model's, else ``simple``'s."""
    if architecture == "custom":
        return split_options(base_options)[0]
    return simple_options(input_shape)


@dataclass(frozen=True)
class SearchRequest(GroupRequest):
    """A KerasTuner search of ``config.search`` within ``config.search_trials`` / ``search_minutes``."""

    def train(self, progress: TrainingProgress, stop: Any) -> Run:
        try:
            budget = Budget(self.config.search_trials, self.config.search_minutes, stop)
            return Search(self, self.base(), progress, budget).run()
        finally:
            shutil.rmtree(self.staging, ignore_errors=True)


class Search:
    """One search: the tuner, the trial table and the best trial so far."""

    def __init__(self, request: SearchRequest, base: Run, progress: TrainingProgress, budget: Budget) -> None:
        self.request, self.progress, self.budget = request, progress, budget
        self.dataset, self.config = request.dataset, request.config
        self.options = search_options(base.config.architecture.options, base.config.architecture.name,
                                      self.dataset.image_shape)  # fmt: skip
        self.objective = "val_accuracy" if len(self.dataset.val) else "accuracy"
        self.trials_path = live_trials_path(request.runs_dir, self.config.group)
        self.rows: list[dict[str, Any]] = []
        self.best: tuple[float, keras.Model, list[dict[str, float]], dict[str, Any]] | None = None

    def run(self) -> Run:
        tuner = self._tuner()
        try:
            tuner.search(verbose=0)
        except _SearchEnded:
            pass
        if self.best is None:
            raise RuntimeError(_("The search ended before its first trial finished."))
        return self._save_best()

    def _tuner(self) -> Any:
        import keras_tuner

        search = self
        kind = keras_tuner.Hyperband if self.config.search == "hyperband" else keras_tuner.RandomSearch
        if kind is keras_tuner.Hyperband:
            budget = {"max_epochs": max(HYPERBAND_MIN_EPOCHS, self.config.epochs), "factor": 3}
        else:
            budget = {"max_trials": self.config.search_trials or None}

        class BudgetedTuner(kind):  # type: ignore[misc, valid-type]
            """KerasTuner's own tuner; its trials train through cnnviz and obey the budget and Stop."""

            def pre_create_trial(self) -> None:
                if search.budget.spent(len(search.rows)):
                    raise _SearchEnded

            def run_trial(self, trial: Any, *args: Any, **kwargs: Any) -> dict[str, float]:
                return search.run_trial(trial.trial_id, trial.hyperparameters)

        space = keras_tuner.HyperParameters()  # declared up front: Hyperband samples only a known space
        declare_space(space)
        return BudgetedTuner(
            objective=keras_tuner.Objective(self.objective, "max"), seed=self.config.seed, hyperparameters=space,
            directory=str(self.request.staging), project_name="tuner", overwrite=True, **budget,
        )  # fmt: skip

    def _model(self, hp: Any) -> tuple[keras.Model, dict[str, Any], float]:
        """The trial's model and options from KerasTuner's hyper-parameters, and its learning rate."""
        learning_rate, choices = declare_space(hp)
        options = {**self.options, **choices}
        shape, classes = self.dataset.image_shape, self.dataset.num_classes
        return build_model("custom", shape, classes, **options), options, learning_rate

    def run_trial(self, trial_id: str, hp: Any) -> dict[str, float]:
        """Train one trial (from scratch, for Hyperband's epochs if it sets them); its best score."""
        import keras

        from cnnviz.training.train import compile_model, fit, live_metrics

        started = time.monotonic()
        model, options, learning_rate = self._model(hp)
        config = replace(self.config, learning_rate=learning_rate,
                         epochs=int(hp.values.get("tuner/epochs", self.config.epochs)))  # fmt: skip
        keras.utils.set_random_seed(self.config.seed)
        compile_model(model, config)
        callbacks = [live_metrics(self.progress, self.budget), *trial_callbacks(config, len(self.dataset.val) > 0)]
        fit(model, self.dataset, config, callbacks, progress=self.progress)
        history = self.progress.snapshot().history
        score = max((row.get(self.objective, 0.0) for row in history), default=0.0)
        self._record(trial_id, options, learning_rate, history, score, time.monotonic() - started)
        if self.best is None or score > self.best[0]:
            self.best = (score, model, history, {"options": options, "learning_rate": learning_rate, "config": config})
        return {self.objective: score}

    def _record(self, trial_id: str, options: dict[str, Any], learning_rate: float,
                history: list[dict[str, float]], score: float, seconds: float) -> None:  # fmt: skip
        """Add the trial's row to the table the page shows while the search runs."""
        self.rows.append({
            "trial": trial_id, "learning_rate": learning_rate, "dropout": options["dropout"],
            "l2": options["penalty_strength"], "filters": options["filters"], "epochs": len(history),
            self.objective: score, "seconds": round(seconds, 1),
        })  # fmt: skip
        atomic_write(self.trials_path, json.dumps(self.rows))

    def _save_best(self) -> Run:
        """Evaluate the best trial's model on the test split and save it as a normal run."""
        from cnnviz.training.train import evaluate

        assert self.best is not None
        _score, model, history, best = self.best
        name = self.config.name or f"{self.config.search} search on {self.dataset.name}"  # stored: not translated
        config = replace(best["config"], group_member=BEST, name=f"{name} · best trial")
        metrics = evaluate(model, self.dataset.test, self.dataset.num_classes, config.batch_size)
        run_config = replace(
            model_config("custom", best["options"], self.dataset), name=config.name, hyperparameters=config,
            created=datetime.now().isoformat(timespec="seconds"),
            status=self.budget.status(), epochs_run=len(history),
            test_metrics=EvaluationMetrics(metrics.get("loss"), metrics.get("accuracy")),
        )  # fmt: skip
        run = save_run(Run(model, run_config, history), self.request.runs_dir, metrics=metrics)
        shutil.move(self.trials_path, run.path / TRIALS_FILE)
        return run


def search_job(
    base: Run | None, dataset: Dataset, config: TrainConfig, runs_dir: Path,
    *, augmentation: AugmentConfig | None = None,
) -> Job[TrainingProgress, Run]:  # fmt: skip
    """Stage the search of ``config.search`` as one job (its best run carries a new group id)."""
    if config.search not in SEARCHES:
        raise ValueError(_("the search must be one of {names}").format(names=", ".join(SEARCHES)))
    if config.search_trials < 1 and config.search_minutes <= 0:
        raise ValueError(_("A search needs a budget: a number of trials or minutes."))
    return training_job(base, dataset, new_group(config, SEARCH), runs_dir, augmentation=augmentation,
                        request_type=SearchRequest)  # fmt: skip
