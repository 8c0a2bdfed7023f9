"""Every page's controls, declared once: key, label, default, range or choices (no Streamlit here).

The lesson link's keys and per-page widgets, the lock labels, the navigation, the ``cnnviz train``
flags and the Train, Lab and Augment pages' widgets are all derived from these declarations
(``app/controls.py`` draws one). A control that sets a ``TrainConfig`` or ``AugmentConfig`` field
names it in ``field`` and takes its default from the config's own default.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cnnviz.data.augmentation import AugmentConfig
from cnnviz.i18n import N_
from cnnviz.limits import limits
from cnnviz.models.regularization import NONE, PENALTIES
from cnnviz.runs.schema import KFOLD_RANGE, MONITORS, OPTIMIZERS, TrainConfig
from cnnviz.training.precision import PRECISION_LABELS

NUMBER, SLIDER, SELECT_SLIDER, CHECKBOX, TOGGLE, SELECT, RADIO, MULTISELECT, TEXT, UPLOAD, CAMERA = (
    "number", "slider", "select_slider", "checkbox", "toggle", "select", "radio", "multiselect", "text", "upload",
    "camera")  # fmt: skip
SETTINGS = "settings"  # the Train page's main group; its callbacks are grouped by callback
CALLBACK_GROUPS = ("early", "reduce", "checkpoint")


@dataclass(frozen=True)
class Control:
    """One keyed widget of a page, as it is drawn, linked and locked.

    ``high`` may name a field of ``cnnviz.limits.Limits`` (the server's limit is the widget's maximum).
    ``choices`` empty: the page supplies them (a model's layers). ``linked``: a lesson link carries it
    (an upload cannot be). ``flag``: its ``cnnviz train`` flag ("" derives one from the field, None: none).
    """

    key: str
    label: str  # the English label, marked with N_() and translated where it is drawn
    kind: str
    default: Any = None
    low: float | None = None
    high: float | str | None = None
    step: float | None = None
    choices: tuple[Any, ...] = ()
    choice_labels: Mapping[Any, str] | None = None  # value -> label (translated where drawn)
    field: str = ""  # the TrainConfig / AugmentConfig field it sets
    lockable: bool = False  # a teacher's link may lock it
    linked: bool = True
    group: str = SETTINGS  # where the page puts it (the Train page: settings or a callback's column)
    column: int = 0
    number_format: str | None = None
    flag: str | None = ""
    flag_help: str = ""  # the flag's help, marked with N_()

    def options(self) -> tuple[Any, ...]:
        """The declared choices: ``choices``, else the keys of ``choice_labels``."""
        return self.choices or tuple(self.choice_labels or ())

    def maximum(self) -> float | None:
        """``high``, with a limit's name read from the server's limits."""
        return getattr(limits(), self.high) if isinstance(self.high, str) else self.high

    def flag_name(self) -> str:
        """``--early-patience`` for ``early_patience``; ``--no-checkpoint`` for a field on by default."""
        if self.flag:
            return self.flag
        name = self.field.replace("_", "-")
        return f"--no-{name}" if self.default is True else f"--{name}"


def _train(name: str, label: str, kind: str, key: str = "", **settings: Any) -> Control:
    """A Train page control for TrainConfig field ``name``, its default the config's own (a link carries it in its
    training group, not as a widget value)."""
    return Control(key or f"train_{name}", label, kind, getattr(TrainConfig(), name), field=name, linked=False,
                   **settings)  # fmt: skip


def _monitor(prefix: str, help_text: str) -> Control:
    return _train(f"{prefix}_monitor", N_("Monitor"), SELECT, key=f"{prefix}_monitor", choices=MONITORS,
                  group=prefix, flag_help=help_text)  # fmt: skip


def _patience(prefix: str, help_text: str) -> Control:
    return _train(f"{prefix}_patience", N_("Patience"), NUMBER, key=f"{prefix}_patience", low=0, high=100,
                  group=prefix, flag_help=help_text)  # fmt: skip


TRAIN = (
    _train("optimizer", N_("Optimizer"), SELECT, choices=tuple(OPTIMIZERS), choice_labels=OPTIMIZERS, lockable=True,
           flag_help=N_("the optimizer")),
    _train("learning_rate", N_("Learning rate"), NUMBER, low=1e-6, high=10.0, step=1e-4, number_format="%g",
           column=1, lockable=True, flag="--lr", flag_help=N_("the learning rate")),
    _train("epochs", N_("Epochs"), NUMBER, low=1, high="epochs", column=2, lockable=True,
           flag_help=N_("training epochs")),
    _train("batch_size", N_("Batch size"), NUMBER, low=1, high="batch_size", lockable=True,
           flag_help=N_("images per batch")),
    _train("seed", N_("Seed"), NUMBER, low=0, high=2**31 - 1, column=1, lockable=True,
           flag_help=N_("the seed of the weights and the batch order")),
    _train("momentum", N_("Momentum (SGD)"), NUMBER, low=0.0, high=0.999, column=2, flag_help=N_("SGD momentum")),
    _train("nesterov", N_("Nesterov (SGD)"), CHECKBOX, column=2, flag_help=N_("SGD with Nesterov momentum")),
    _train("precision", N_("Precision"), SELECT, choices=tuple(PRECISION_LABELS), choice_labels=PRECISION_LABELS,
           column=2, flag_help=N_("auto: bfloat16 where the CPU or GPU computes it fast, else float32")),
    _train("augment", N_("Augmentation on"), CHECKBOX, lockable=True, flag=None),  # the CLI's --augment is a preset
    _train("early_stopping", N_("EarlyStopping"), CHECKBOX, group="early",
           flag_help=N_("stop when the monitor stops improving")),
    _monitor("early", N_("EarlyStopping's monitor")),
    _patience("early", N_("EarlyStopping's patience in epochs")),
    _train("restore_best_weights", N_("Restore best weights"), CHECKBOX, group="early",
           flag_help=N_("keep the last weights when EarlyStopping ends training")),
    _train("reduce_lr", N_("ReduceLROnPlateau"), CHECKBOX, group="reduce",
           flag_help=N_("ReduceLROnPlateau: lower the learning rate when the monitor stalls")),
    _monitor("reduce", N_("ReduceLROnPlateau's monitor")),
    _train("reduce_factor", N_("Factor"), NUMBER, low=0.01, high=0.99, group="reduce",
           flag_help=N_("multiply the learning rate by this")),
    _patience("reduce", N_("ReduceLROnPlateau's patience in epochs")),
    _train("reduce_cooldown", N_("Cooldown"), NUMBER, low=0, high=100, group="reduce",
           flag_help=N_("epochs to wait after a reduction")),
    _train("reduce_min_lr", N_("Minimum LR"), NUMBER, low=0.0, high=1.0, number_format="%g", group="reduce",
           flag_help=N_("the lowest learning rate")),
    _train("checkpoint", N_("ModelCheckpoint (best only)"), CHECKBOX, group="checkpoint",
           flag_help=N_("no ModelCheckpoint of the best epoch")),
    _monitor("checkpoint", N_("ModelCheckpoint's monitor")),
)  # fmt: skip


def _lab(name: str, label: str, low: float, high: float | str, column: int, **settings: Any) -> Control:
    """A lab setting shared by every experiment, its default the TrainConfig's unless given."""
    settings.setdefault("default", getattr(TrainConfig(), name))
    return Control(f"lab_{name}", label, NUMBER, low=low, high=high, field=name, column=column, flag=None,
                   **settings)  # fmt: skip


LAB_EPOCHS = 10  # the lab trains longer than the Train page's default: overfitting shows late
LAB_SETTINGS = (
    _lab("epochs", N_("Epochs"), 1, "epochs", 0, default=LAB_EPOCHS),
    _lab("batch_size", N_("Batch size"), 1, "batch_size", 1),
    _lab("learning_rate", N_("Learning rate"), 1e-6, 10.0, 2, step=1e-4, number_format="%g"),
    _lab("seed", N_("Seed"), 0, 2**31 - 1, 3),
    Control("lab_k", N_("K (folds)"), SLIDER, 4, *KFOLD_RANGE, field="kfold", flag=None),
    Control("lab_shuffle", N_("Shuffle before cutting the folds"), CHECKBOX, True, field="kfold_shuffle", flag=None),
    Control("lab_search", N_("Search"), RADIO, field="search", flag=None),
    Control("lab_trials", N_("Trials (at most)"), NUMBER, 5, 1, "trials", field="search_trials", flag=None),
    Control("lab_minutes", N_("Minutes (0 = up to the server's time limit)"), NUMBER, 0.0, 0.0, "job_minutes",
            field="search_minutes", flag=None),
)


def _augment(name: str, label: str, kind: str = SLIDER, high: float = 1.0, **settings: Any) -> Control:
    """An Augment page control for AugmentConfig field ``name``, its default the config's own (a link carries it
    in its augmentation group)."""
    default = getattr(AugmentConfig(), name)
    range_ = {} if kind != SLIDER else {"low": 0.0, "high": high, "step": 0.05}
    return Control(f"augment_{name}", label, kind, default, field=name, linked=False, flag=None,
                   **{**range_, **settings})  # fmt: skip


FILL_MODE_LABELS = {
    "nearest": N_("nearest"), "reflect": N_("reflect"), "constant": N_("constant"), "wrap": N_("wrap")
}  # fmt: skip
AUGMENT = (
    _augment("rotation_degrees", N_("Rotation range (degrees, ±)"), high=180.0, step=1.0, lockable=True),
    _augment("width_shift", N_("Width shift (fraction of the width, ±)")),
    _augment("height_shift", N_("Height shift (fraction of the height, ±)")),
    _augment("shear", N_("Shear (slope, ±; 0.2 ≈ 11°)")),
    _augment("zoom", N_("Zoom (±, 0.2 scales by 0.8 to 1.2)"), high=0.9, lockable=True),
    _augment("horizontal_flip", N_("Horizontal flip"), CHECKBOX, lockable=True),
    _augment("vertical_flip", N_("Vertical flip"), CHECKBOX, column=1),
    _augment("brightness", N_("Brightness (multiplier range)"), high=3.0, lockable=True),
    _augment("contrast", N_("Contrast (±)")),
    _augment("fill_mode", N_("Fill mode (pixels moved in from outside)"), SELECT, choices=tuple(FILL_MODE_LABELS),
             choice_labels=FILL_MODE_LABELS),
    _augment("fill_value", N_("Fill value")),
)  # fmt: skip


def by_field(controls: tuple[Control, ...]) -> dict[str, str]:
    """The widget key of each config field the controls set."""
    return {control.field: control.key for control in controls if control.field}


def _model(name: str, label: str, kind: str, default: Any = None, **settings: Any) -> Control:
    """A Model page control for the architecture option ``name`` (a link carries it in its options group)."""
    settings.setdefault("field", name)
    return Control(f"model_{name}", label, kind, default, linked=False, flag=None, **settings)


MODEL_ARCHITECTURE_KEY = "model_architecture"
MODEL = (  # the architecture's choices come from the registry, drawn by the page
    Control(MODEL_ARCHITECTURE_KEY, N_("Architecture"), SELECT, lockable=True, linked=False, flag=None),
    _model("blocks", N_("Conv blocks (each halves the image)"), SLIDER, 3, low=1, high=5, lockable=True),
    _model("filters", N_("Filters in the first block"), SELECT_SLIDER, 16, choices=(4, 8, 16, 32, 64), lockable=True),
    _model("filter_growth", N_("Filters per block"), RADIO, "double",
           choice_labels={"double": N_("double"), "constant": N_("constant")}),
    _model("kernel_size", N_("Kernel size"), SELECT_SLIDER, 3, choices=(1, 3, 5, 7), column=1, lockable=True),
    _model("pooling", N_("Pooling"), RADIO, "max", choice_labels={"max": N_("max"), "avg": N_("avg")}, column=1),
    _model("batch_norm", N_("Batch normalisation"), CHECKBOX, True, column=1),
    _model("global_pooling", N_("Global average pooling instead of Flatten"), CHECKBOX, False, column=2),
    _model("dropout", N_("Dropout before the Dense layers"), SLIDER, 0.0, low=0.0, high=0.8, step=0.05, column=2),
    _model("dense_units", N_("Hidden Dense units (0 = none)"), SELECT_SLIDER, 64, choices=(0, 32, 64, 128, 256, 512),
           column=2),
    _model("page_weights", N_("Weights"), RADIO, "imagenet", field="", choice_labels={
        "imagenet": N_("ImageNet (downloaded once by Keras)"), "random": N_("Random initialisation")}),
    _model("mode", N_("Mode"), RADIO, "feature_extraction", column=1, choice_labels={
        "feature_extraction": N_("Feature extraction (frozen base)"), "fine_tune": N_("Fine-tuning")}),
    _model("penalty", N_("Penalty"), SELECT, NONE, choice_labels=PENALTIES),
    _model("penalty_strength", N_("Strength"), NUMBER, 1e-4, low=0.0, high=1.0, step=1e-4, number_format="%g",
           column=1),
)  # fmt: skip
CUSTOM_OPTIONS = MODEL[1:10]  # the custom architecture's options, in the page's three columns
