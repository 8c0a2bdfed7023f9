"""Training: compile, fit with Keras callbacks and a live-metrics callback, evaluate, save.

``train_run`` is the one call the Train page (through the worker) and the CLI make. The
live view is a single Keras callback writing into a thread-safe ``TrainingProgress``; it
also checks a stop flag after every batch, so Stop ends training after the current batch
and the model and history so far are still saved (status "stopped").
"""

from __future__ import annotations

import functools
import math
import shutil
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from cnnviz.data.augmentation import AugmentConfig, build_augmenter
from cnnviz.data.dataset import Dataset, Split
from cnnviz.data.pipeline import make_pipeline
from cnnviz.models.dtypes import FLOAT32, float32_copy, with_precision
from cnnviz.models.predictions import predict_probabilities
from cnnviz.models.regularization import data_loss_metrics
from cnnviz.runs.schema import (
    COMPLETED,
    DIVERGED,
    EARLY_STOPPED,
    STOPPED,
    TIME_LIMIT,
    DatasetInfo,
    EvaluationMetrics,
    RunConfig,
    TrainConfig,
    model_config,
)
from cnnviz.runs.store import Run, read_metrics, save_run, stage_run
from cnnviz.training.budget import over_time
from cnnviz.training.callbacks import callback_specs, make_callbacks
from cnnviz.training.precision import resolve_precision
from cnnviz.training.progress import ProgressSnapshot, TrainingProgress
from cnnviz.training.steps import steps_per_execution

if TYPE_CHECKING:
    import keras



class StopFlag(Protocol):
    def is_set(self) -> bool: ...


@functools.cache
def _live_metrics_class() -> type:
    """The LiveMetrics Keras callback class (built on first use: Keras is imported lazily)."""
    import keras

    class LiveMetrics(keras.callbacks.Callback):
        """Writes progress after every batch and epoch, and stops when the flag is set."""

        def __init__(self, progress: TrainingProgress, stop: StopFlag | None) -> None:
            super().__init__()
            self.progress, self.stop = progress, stop

        def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
            self.progress.begin_epoch(epoch)

        def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
            logs = logs or {}
            diverged = self.progress.add_batch(batch, logs.get("loss", math.nan), logs.get("accuracy", math.nan))
            if diverged or (self.stop is not None and self.stop.is_set()):
                self.model.stop_training = True

        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            logs = logs if logs is not None else {}
            logs["learning_rate"] = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))
            self.progress.add_epoch(logs)

    return LiveMetrics


def live_metrics(progress: TrainingProgress, stop: StopFlag | None = None) -> keras.callbacks.Callback:
    """The live-view callback: progress after each batch/epoch, Stop after the current batch."""
    return _live_metrics_class()(progress, stop)


def make_optimizer(config: TrainConfig) -> keras.optimizers.Optimizer:
    import keras

    if config.optimizer == "sgd":
        return keras.optimizers.SGD(config.learning_rate, momentum=config.momentum, nesterov=config.nesterov)
    if config.optimizer == "rmsprop":
        return keras.optimizers.RMSprop(config.learning_rate)
    return keras.optimizers.Adam(config.learning_rate)


def fresh_copy(model: keras.Model) -> keras.Model:
    """A new model with the same layers and weights, so a shared model is never mutated."""
    import keras

    clone = keras.models.clone_model(model)
    clone.set_weights(model.get_weights())
    return clone


def training_copy(model: keras.Model, precision: str) -> keras.Model:
    """A fresh copy of ``model`` computing in ``precision`` ("float32" or "bfloat16")."""
    return fresh_copy(model) if precision == FLOAT32 else with_precision(model, precision)


def compile_model(model: keras.Model, config: TrainConfig) -> None:
    """Cross-entropy and accuracy (with a weight penalty also the data loss, the loss without it);
    small models run several batches per call (see cnnviz.training.steps)."""
    model.compile(
        make_optimizer(config), loss="sparse_categorical_crossentropy",
        metrics=["accuracy", *data_loss_metrics(model)],
        steps_per_execution=steps_per_execution(model, config.batch_size),
    )


def fit(
    model: keras.Model,
    dataset: Dataset,
    config: TrainConfig,
    callbacks: list[keras.callbacks.Callback],
    *,
    progress: TrainingProgress,
    augmenter: keras.Layer | None = None,
) -> None:
    """model.fit on the train split (augmented if given), validated on the val split."""
    train = make_pipeline(
        dataset.train, config.batch_size, training=True, seed=config.seed, augmenter=augmenter
    )
    val = make_pipeline(dataset.val, config.batch_size) if len(dataset.val) else None
    progress.start(config.epochs, math.ceil(len(dataset.train) / config.batch_size))
    # the pipeline already shuffles the train split each epoch
    model.fit(train, validation_data=val, epochs=config.epochs, callbacks=callbacks, shuffle=False, verbose=0)


def evaluate(model: keras.Model, split: Split, num_classes: int, batch_size: int = 64) -> dict[str, Any]:
    """Test loss and accuracy, the confusion matrix and every predicted label ({} for no data)."""
    if not len(split):
        return {}
    probabilities = predict_probabilities(model, split.x, batch_size=batch_size)
    predicted = probabilities.argmax(axis=1)
    picked = np.clip(probabilities[np.arange(len(split)), split.y], 1e-7, 1.0)
    return {
        "loss": float(-np.log(picked).mean()),
        "accuracy": float((predicted == split.y).mean()),
        "confusion_matrix": confusion_matrix(split.y, predicted, num_classes).tolist(),
        "predicted": predicted.tolist(),
    }


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int) -> np.ndarray:
    """Counts with true classes as rows and predicted classes as columns."""
    matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(matrix, (np.asarray(y_true), np.asarray(y_pred)), 1)
    return matrix


def misclassified(
    y_true: np.ndarray, y_pred: np.ndarray, limit: int | None = None
) -> list[tuple[int, int, int]]:
    """(test index, true label, predicted label) of every wrong prediction, or the first ``limit``."""
    wrong = np.flatnonzero(np.asarray(y_true) != np.asarray(y_pred))[:limit]
    return [(int(i), int(y_true[i]), int(y_pred[i])) for i in wrong]


def saved_test_predictions(run: Run, dataset: Dataset) -> list[int] | None:
    """The run's saved test predictions, if it was evaluated on this dataset's test split."""
    if run.path is None or run.config.dataset.name != dataset.name:
        return None
    predicted = read_metrics(run.path).get("predicted", [])
    return predicted if len(predicted) == len(dataset.test) else None


def _status(progress: ProgressSnapshot, stop: StopFlag | None, epochs: int) -> str:
    if progress.diverged:
        return DIVERGED
    cut_short = len(progress.history) < epochs or progress.batch < progress.batches
    if stop is not None and stop.is_set() and cut_short:  # not a Stop pressed during evaluation
        return TIME_LIMIT if over_time(stop) else STOPPED
    return EARLY_STOPPED if len(progress.history) < epochs else COMPLETED


def _augmentation_used(augmentation: AugmentConfig | None, config: TrainConfig) -> AugmentConfig | None:
    """The augmentation training applies: None when it is off or changes nothing."""
    if config.augment and augmentation is not None and not augmentation.is_identity:
        return augmentation
    return None


def _augmenter(augmentation: AugmentConfig | None, seed: int) -> keras.Layer | None:
    return None if augmentation is None else build_augmenter(augmentation, seed=seed)


def default_name(architecture: str, dataset: Dataset) -> str:
    return f"{architecture} on {dataset.name}"


def run_description(
    base: Run, dataset: Dataset, config: TrainConfig, augmentation: AugmentConfig | None
) -> RunConfig:
    """The run's config as known before training starts (how it ended is set after)."""
    return replace(
        base.config,
        name=config.name or default_name(base.config.architecture.name, dataset),
        dataset=DatasetInfo.of(dataset),
        hyperparameters=config,
        callbacks=callback_specs(config, has_validation=len(dataset.val) > 0),
        augmentation=_augmentation_used(augmentation, config),
    )


def train_run(
    base: Run,
    dataset: Dataset,
    config: TrainConfig,
    runs_dir: Path,
    *,
    augmentation: AugmentConfig | None = None,
    progress: TrainingProgress | None = None,
    stop: StopFlag | None = None,
    callbacks: list[keras.callbacks.Callback] | tuple = (),
    staging: Path | None = None,
) -> Run:
    """Train a fresh copy of ``base.model`` on ``dataset``, evaluate it and save it as a run.

    ``augmentation`` is applied to the train split when ``config.augment``; ``callbacks``
    are extra Keras callbacks run before the built-in ones; ``staging`` is the staging folder
    to assemble the run in (default: a new one).
    """
    import keras

    progress = progress or TrainingProgress()
    keras.utils.set_random_seed(config.seed)
    precision = resolve_precision(config.precision)
    model = training_copy(base.model, precision)
    compile_model(model, config)
    staging = staging or stage_run(runs_dir)
    specs = callback_specs(config, has_validation=len(dataset.val) > 0)
    augmentation = _augmentation_used(augmentation, config)
    try:
        augmenter = _augmenter(augmentation, config.seed)
        all_callbacks = [*callbacks, live_metrics(progress, stop), *make_callbacks(specs, staging)]
        fit(model, dataset, config, all_callbacks, progress=progress, augmenter=augmenter)
        model = float32_copy(model)  # every view explains the trained weights in float32
        progress.set_phase("evaluating")
        metrics = evaluate(model, dataset.test, dataset.num_classes, config.batch_size)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    snapshot = progress.snapshot()
    run_config = replace(
        run_description(base, dataset, config, augmentation),
        created=datetime.now().isoformat(timespec="seconds"),
        status=_status(snapshot, stop, config.epochs),
        epochs_run=len(snapshot.history),
        test_metrics=EvaluationMetrics(metrics.get("loss"), metrics.get("accuracy")),
        precision=precision,
    )
    progress.set_phase("saving")
    run = save_run(Run(model, run_config, snapshot.history), runs_dir, staging=staging, metrics=metrics)
    progress.set_phase("done")
    return run


def incompatibility(run: Run, dataset: Dataset) -> str | None:
    """Why ``run``'s model cannot train on ``dataset`` (input shape or class count), else None."""
    if tuple(run.input_shape) != dataset.image_shape:
        return (
            f"The current model '{run.label}' takes {run.input_shape[0]}x{run.input_shape[1]}x"
            f"{run.input_shape[2]} images but the dataset '{dataset.name}' has "
            f"{dataset.image_shape[0]}x{dataset.image_shape[1]}x{dataset.image_shape[2]} images."
        )
    if len(run.display_names) != dataset.num_classes:
        return (
            f"The current model '{run.label}' predicts {len(run.display_names)} classes but the "
            f"dataset '{dataset.name}' has {dataset.num_classes}."
        )
    return None


def base_run(dataset: Dataset, architecture: str = "simple", options: dict[str, Any] | None = None) -> Run:
    """An untrained architecture built for the dataset (``simple`` is what trains by default)."""
    from cnnviz.models.architectures import build_model

    options = options or {}
    model = build_model(architecture, dataset.image_shape, dataset.num_classes, **options)
    return Run(model, model_config(architecture, options, dataset))
