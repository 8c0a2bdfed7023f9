"""The Keras callbacks a training may use, registered in the order they run.

Each ``Callback`` says when a ``TrainConfig`` switches it on and which arguments it takes; the
run's config.json stores them as ``CallbackSpec``s, and ``make_callbacks`` builds Keras' own
callbacks from those specs (only registered ones: a spec is never an arbitrary class name).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cnnviz.registry import Registry
from cnnviz.runs.schema import CallbackSpec, TrainConfig
from cnnviz.runs.store import CHECKPOINT_FILE, HISTORY_FILE

if TYPE_CHECKING:
    import keras

FILE_ARGUMENTS = ("filepath", "filename")  # arguments naming a file in the run folder


def _monitor(name: str, has_validation: bool) -> str:
    """Validation monitors fall back to training metrics when there is no validation split."""
    return name if has_validation else name.removeprefix("val_")


@dataclass(frozen=True)
class Callback:
    """One Keras callback (``key`` is its class name in ``keras.callbacks``)."""

    key: str
    used: Callable[[TrainConfig], bool]  # whether a training with this config uses it
    arguments: Callable[[TrainConfig, bool], dict[str, Any]] = lambda config, has_validation: {}

    def make(self, arguments: dict[str, Any]) -> keras.callbacks.Callback:
        import keras

        return getattr(keras.callbacks, self.key)(**arguments)


CALLBACKS: Registry[Callback] = Registry("callback")
CALLBACKS.register(Callback("TerminateOnNaN", lambda config: True))
CALLBACKS.register(Callback("EarlyStopping", lambda config: config.early_stopping, lambda config, has_validation: {
    "monitor": _monitor(config.early_monitor, has_validation), "patience": config.early_patience,
    "restore_best_weights": config.restore_best_weights,
}))  # fmt: skip
CALLBACKS.register(Callback("ReduceLROnPlateau", lambda config: config.reduce_lr, lambda config, has_validation: {
    "monitor": _monitor(config.reduce_monitor, has_validation), "factor": config.reduce_factor,
    "patience": config.reduce_patience, "cooldown": config.reduce_cooldown, "min_lr": config.reduce_min_lr,
}))  # fmt: skip
CALLBACKS.register(Callback("ModelCheckpoint", lambda config: config.checkpoint, lambda config, has_validation: {
    "monitor": _monitor(config.checkpoint_monitor, has_validation), "save_best_only": True,
    "filepath": CHECKPOINT_FILE,
}))  # fmt: skip
CALLBACKS.register(Callback("CSVLogger", lambda config: True, lambda config, has_validation: {"filename": HISTORY_FILE}))


def callback_specs(config: TrainConfig, has_validation: bool = True) -> list[CallbackSpec]:
    """The Keras callbacks a training uses (stored in config.json)."""
    return [CallbackSpec(callback.key, callback.arguments(config, has_validation))
            for callback in CALLBACKS.values() if callback.used(config)]  # fmt: skip


def make_callbacks(specs: list[CallbackSpec], folder: Path) -> list[keras.callbacks.Callback]:
    """Keras' own callbacks from their specs; file names land in ``folder``."""
    callbacks = []
    for spec in specs:
        arguments = {key: str(folder / value) if key in FILE_ARGUMENTS else value for key, value in spec.arguments.items()}
        callbacks.append(CALLBACKS[spec.name].make(arguments))
    return callbacks
