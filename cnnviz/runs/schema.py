"""config.json of a run: one typed schema, read and written only here.

A run's config says what the model is (architecture), what it was trained on (dataset
description and the spec that loads it again), how to feed it (input shape and
preprocessing), how it was trained (hyper-parameters, Keras callbacks, augmentation) and
how training ended: a status KEY plus numbers, never a sentence, so the English text
(``status_message``) can be translated later.

Version history: runs saved before ``version`` existed (version 0) stored an English
``message`` and marked early stopping as "completed"; ``RunConfig.from_dict`` reads them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any

from cnnviz.data.augmentation import AugmentConfig
from cnnviz.data.dataset import DatasetSpec
from cnnviz.data.pipeline import PIXEL_SCALE
from cnnviz.i18n import N_, _, ngettext

if TYPE_CHECKING:
    from cnnviz.data.dataset import Dataset

SCHEMA_VERSION = 1
OPTIMIZERS = {"adam": "Adam", "sgd": "SGD", "rmsprop": "RMSprop"}  # config value: display name
MONITORS = ("val_loss", "val_accuracy", "loss", "accuracy")
KFOLD_RANGE = (2, 10)  # the K a K-fold cross-validation may have
PRECISIONS = ("auto", "float32", "bfloat16")  # TrainConfig.precision; a run records float32 or bfloat16

# How a run came to be or how its training ended.
UNTRAINED, UPLOADED = "untrained", "uploaded"
COMPLETED, EARLY_STOPPED, STOPPED, DIVERGED = "completed", "early_stopped", "stopped", "diverged"
FAILED, INTERRUPTED = "failed", "interrupted"  # the training process died; saved from its checkpoint
TIME_LIMIT = "time_limit"  # stopped by the server's wall-clock budget of a job (cnnviz.training.budget)
STATUS_LABELS = {  # key: how lists and the sidebar show it (through _())
    UNTRAINED: N_("untrained"), UPLOADED: N_("uploaded"), COMPLETED: N_("completed"),
    EARLY_STOPPED: N_("early stopped"), STOPPED: N_("stopped"), DIVERGED: N_("diverged"),
    FAILED: N_("failed"), INTERRUPTED: N_("interrupted"), TIME_LIMIT: N_("stopped: time limit"),
}
DIVERGED_MESSAGE = N_("Training diverged (the loss became NaN or exploded): lower the learning rate.")


@dataclass(frozen=True)
class TrainConfig:
    """Hyper-parameters and callback settings of one training (config.json "hyperparameters")."""

    optimizer: str = "adam"
    learning_rate: float = 1e-3
    momentum: float = 0.9  # SGD only
    nesterov: bool = False  # SGD only
    batch_size: int = 32
    epochs: int = 5
    seed: int = 42
    augment: bool = False
    early_stopping: bool = False
    early_monitor: str = "val_loss"
    early_patience: int = 3
    restore_best_weights: bool = True
    reduce_lr: bool = False
    reduce_monitor: str = "val_loss"
    reduce_factor: float = 0.1
    reduce_patience: int = 5
    reduce_cooldown: int = 0
    reduce_min_lr: float = 0.0
    checkpoint: bool = True
    checkpoint_monitor: str = "val_loss"
    name: str = ""
    kfold: int = 0  # K of a K-fold cross-validation (0: one hold-out training)
    kfold_shuffle: bool = False  # shuffle the pool before cutting the K folds
    group: str = ""  # the id shared by the runs of one K-fold, variant comparison or search
    group_kind: str = ""  # "kfold", "variants" or "search" (cnnviz/training/groups.py)
    group_member: str = ""  # this run's key in its group: the fold number, the variant or "best"
    search: str = ""  # a KerasTuner search: "random" or "hyperband" ("": none)
    search_trials: int = 0  # the search's trial budget
    search_minutes: float = 0.0  # the search's time budget (0: no time limit)
    precision: str = "auto"  # auto: bfloat16 where the hardware computes it fast (cnnviz.training.precision)

    def __post_init__(self) -> None:
        problems = []
        if self.optimizer not in OPTIMIZERS:
            problems.append(_("optimizer must be one of {names}").format(names=", ".join(OPTIMIZERS)))
        if not self.learning_rate > 0:
            problems.append(_("the learning rate must be above 0"))
        if self.batch_size < 1 or self.epochs < 1:
            problems.append(_("batch size and epochs must be at least 1"))
        if self.kfold and not KFOLD_RANGE[0] <= self.kfold <= KFOLD_RANGE[1]:
            low, high = KFOLD_RANGE
            problems.append(_("K of a K-fold must be between {low} and {high}").format(low=low, high=high))
        if not 0 < self.reduce_factor < 1:
            problems.append(_("the ReduceLROnPlateau factor must be between 0 and 1"))
        for monitor in (self.early_monitor, self.reduce_monitor, self.checkpoint_monitor):
            if monitor not in MONITORS:
                problems.append(
                    _("monitor {monitor!r} must be one of {names}").format(monitor=monitor, names=", ".join(MONITORS))
                )
        if self.precision not in PRECISIONS:
            problems.append(_("precision must be one of {names}").format(names=", ".join(PRECISIONS)))
        if problems:
            raise ValueError(_("Invalid training settings: {problems}.").format(problems="; ".join(problems)))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


@dataclass(frozen=True)
class CallbackSpec:
    """One Keras callback: its class name in ``keras.callbacks`` and its arguments."""

    name: str
    arguments: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, **self.arguments}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CallbackSpec:
        return cls(data["name"], {k: v for k, v in data.items() if k != "name"})


@dataclass(frozen=True)
class Preprocessing:
    """How uint8 pixels become the model's input: ``pixels * scale``, in this colour mode."""

    scale: float = PIXEL_SCALE
    color_mode: str = "rgb"  # "rgb" or "grayscale"
    light_on_dark: bool = False  # light objects on a dark background, as in MNIST


@dataclass(frozen=True)
class ArchitectureChoice:
    """The registry name of the architecture and the options it was built with."""

    name: str
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DatasetInfo:
    """Where the training data came from, and the spec that loads it again (None: not registered)."""

    name: str
    source: str = ""
    split_seed: int | None = None
    image_shape: tuple[int, int, int] = (0, 0, 0)
    class_names: list[str] = field(default_factory=list)
    display_names: list[str] = field(default_factory=list)
    light_on_dark: bool = False
    sizes: dict[str, int] = field(default_factory=dict)
    spec: DatasetSpec | None = None

    @classmethod
    def of(cls, dataset: Dataset) -> DatasetInfo:
        return cls(
            name=dataset.name, source=dataset.source, split_seed=dataset.split_seed,
            image_shape=dataset.image_shape, class_names=list(dataset.class_names),
            display_names=list(dataset.display_names), light_on_dark=dataset.light_on_dark,
            sizes={name: len(split) for name, split in dataset.splits().items()}, spec=dataset.spec,
        )

    def to_dict(self) -> dict[str, Any]:
        data = {name: getattr(self, name) for name in self.__dataclass_fields__}
        return {**data, "image_shape": list(self.image_shape), "spec": self.spec and self.spec.to_dict()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DatasetInfo:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        known["image_shape"] = tuple(known.get("image_shape") or (0, 0, 0))
        known["spec"] = DatasetSpec.from_dict(data["spec"]) if data.get("spec") else None
        return cls(**{"name": "?", **known})


@dataclass(frozen=True)
class EvaluationMetrics:
    """Loss and accuracy on the test split (None when there was no test split)."""

    loss: float | None = None
    accuracy: float | None = None


@dataclass(frozen=True)
class RunConfig:
    """Everything config.json holds about a run."""

    name: str
    dataset: DatasetInfo
    class_names: list[str]
    display_names: list[str]
    input_shape: tuple[int, int, int]
    preprocessing: Preprocessing
    architecture: ArchitectureChoice
    hyperparameters: TrainConfig | None = None  # None until trained
    callbacks: list[CallbackSpec] = field(default_factory=list)
    augmentation: AugmentConfig | None = None  # None: trained without augmentation
    status: str = UNTRAINED
    epochs_run: int = 0
    test_metrics: EvaluationMetrics = EvaluationMetrics()
    created: str = ""  # ISO time, set when saved
    version: int = SCHEMA_VERSION
    precision: str = "float32"  # what training computed in (runs saved before it was recorded: float32)

    @property
    def planned_epochs(self) -> int:
        return self.hyperparameters.epochs if self.hyperparameters else 0

    @property
    def message(self) -> str:
        """How the run ended, as an English sentence."""
        return status_message(self.status, self.epochs_run, self.planned_epochs)

    def renamed(self, name: str) -> RunConfig:
        return replace(self, name=name)

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready content of config.json."""
        return {
            "version": self.version, "name": self.name, "created": self.created,
            "dataset": self.dataset.to_dict(),
            "class_names": list(self.class_names), "display_names": list(self.display_names),
            "input_shape": list(self.input_shape), "preprocessing": asdict(self.preprocessing),
            "architecture": asdict(self.architecture),
            "hyperparameters": self.hyperparameters.to_dict() if self.hyperparameters else {},
            "callbacks": [spec.to_dict() for spec in self.callbacks],
            "augmentation": self.augmentation.to_dict() if self.augmentation else None,
            "status": self.status, "epochs_run": self.epochs_run,
            "test_metrics": asdict(self.test_metrics),
            "precision": self.precision,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunConfig:
        """Read any version of config.json; KeyError or ValueError when it is not a run config."""
        hyper = TrainConfig.from_dict(data["hyperparameters"]) if data.get("hyperparameters") else None
        test = data.get("test_metrics") or {}
        return cls(
            name=data.get("name") or data["architecture"]["name"],
            dataset=DatasetInfo.from_dict(data.get("dataset") or {}),
            class_names=list(data["class_names"]), display_names=list(data["display_names"]),
            input_shape=tuple(int(d) for d in data["input_shape"]),  # type: ignore[arg-type]
            preprocessing=Preprocessing(**data["preprocessing"]),
            architecture=ArchitectureChoice(data["architecture"]["name"], dict(data["architecture"].get("options") or {})),
            hyperparameters=hyper,
            callbacks=[CallbackSpec.from_dict(spec) for spec in data.get("callbacks") or []],
            augmentation=AugmentConfig.from_dict(data["augmentation"]) if data.get("augmentation") else None,
            status=_status_key(data, hyper),
            epochs_run=int(data.get("epochs_run") or 0),
            test_metrics=EvaluationMetrics(test.get("loss"), test.get("accuracy")),
            created=data.get("created", ""),
            precision=data.get("precision") or "float32",
        )


def _status_key(data: dict[str, Any], hyper: TrainConfig | None) -> str:
    """The status key; version 0 called an early-stopped training "completed"."""
    status = data.get("status") or UNTRAINED
    if status not in STATUS_LABELS:
        raise ValueError(_("unknown run status {status!r}").format(status=status))
    ended_early = hyper is not None and int(data.get("epochs_run") or 0) < hyper.epochs
    if data.get("version", 0) == 0 and status == COMPLETED and ended_early:
        return EARLY_STOPPED
    return status


def status_message(status: str, epochs_run: int, epochs: int) -> str:
    """The sentence, in the current language, for a status key and its numbers."""
    if status == DIVERGED:
        return _(DIVERGED_MESSAGE)
    if status == STOPPED:
        return _("Stopped by the user during epoch {done} of {epochs}.").format(done=epochs_run, epochs=epochs)
    if status == TIME_LIMIT:
        return _("Stopped at the server's time limit for one job, during epoch {done} of {epochs}.").format(
            done=epochs_run, epochs=epochs)
    if status == EARLY_STOPPED:
        return (
            _("Early stopping ended training after {done} of {epochs} epochs.").format(done=epochs_run, epochs=epochs)
        )
    if status == COMPLETED:
        return ngettext("Trained for {epochs} epoch.", "Trained for {epochs} epochs.", epochs).format(epochs=epochs)
    if status == FAILED:
        return _(
            "The training process ended unexpectedly after {done} of {epochs} epochs; this is its last checkpoint."
        ).format(done=epochs_run, epochs=epochs)
    if status == INTERRUPTED:
        return _(
            "The server stopped during this training ({done} of {epochs} epochs); this is its last checkpoint."
        ).format(done=epochs_run, epochs=epochs)
    if status == UPLOADED:
        return _("Uploaded model (not trained here).")
    return _("Not trained yet.")


def model_config(architecture: str, options: dict[str, Any], dataset: Dataset) -> RunConfig:
    """The config of a model freshly built for ``dataset`` (untrained)."""
    return RunConfig(
        name=architecture,
        dataset=DatasetInfo.of(dataset),
        class_names=list(dataset.class_names),
        display_names=list(dataset.display_names),
        input_shape=dataset.image_shape,
        preprocessing=Preprocessing(
            color_mode="grayscale" if dataset.channels == 1 else "rgb", light_on_dark=dataset.light_on_dark
        ),
        architecture=ArchitectureChoice(architecture, dict(options)),
    )
