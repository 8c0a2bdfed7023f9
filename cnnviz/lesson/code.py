"""The whole set-up as a plain Keras script: data, split, model, augmentation, compile, fit, save.

A ``Setup`` is what the app knows about a lesson (from the session, or from a saved run's
config.json); ``steps(setup)`` turns it into titled code steps that ``script`` joins into a
``.py`` file and ``cnnviz.lesson.notebook`` into a Jupyter notebook.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

from cnnviz.data.augmentation import AugmentConfig, to_code
from cnnviz.data.dataset import DatasetSpec
from cnnviz.i18n import N_, _
from cnnviz.lesson.data_code import dataset_code
from cnnviz.lesson.model_code import model_code
from cnnviz.models.architectures import ARCHITECTURES
from cnnviz.runs.schema import RunConfig, TrainConfig
from cnnviz.training.train import callback_specs

MODEL_FILE = "model.keras"
STEP_TEXT = {  # key: (title, what the step does), N_-marked, translated when shown
    "settings": (N_("Settings"), N_("Change these numbers to experiment; everything below reads them.")),
    "data": (N_("Load the data"), N_("Load the images and split them into train, validation and test, seeded.")),
    "pipeline": (N_("Input pipeline"), N_("Batches of images scaled to [0, 1], the training batches shuffled.")),
    "augmentation": (N_("Augmentation"), N_("Random changes to the training images that keep their class.")),
    "model": (N_("The model"), N_("Each layer with its output shape and parameter count, as the Model page shows them.")),
    "compile": (N_("Compile"), N_("The optimizer, the loss and the metric.")),
    "callbacks": (N_("Callbacks"), N_("Keras callbacks that watch the training.")),
    "fit": (N_("Train"), N_("Fit the model on the training split, validated on the validation split.")),
    "evaluate": (N_("Evaluate"), N_("Loss and accuracy on the test split, which training never saw.")),
    "save": (N_("Save the model"), N_("Keep the trained model in one .keras file.")),
}
PAGE_STEPS = {  # which steps each page's Code expander shows
    "data": ("data",), "model": ("model",), "augment": ("augmentation", "pipeline"),
    "train": ("compile", "callbacks", "fit", "evaluate"),
}  # fmt: skip


class CodeUnavailable(ValueError):
    """No code can be written for this set-up (the message says why, for the user)."""


@dataclass(frozen=True)
class Setup:
    """What a lesson consists of; ``augmentation`` None means training without it."""

    dataset: DatasetSpec
    architecture: str
    options: dict[str, Any]
    input_shape: tuple[int, int, int]
    num_classes: int
    training: TrainConfig = field(default_factory=TrainConfig)
    augmentation: AugmentConfig | None = None
    has_validation: bool = True

    @classmethod
    def of_run(cls, config: RunConfig) -> Setup:
        """The set-up a saved run was trained with (its config.json)."""
        if config.dataset.spec is None:
            raise CodeUnavailable(_("This run's dataset is not one cnnviz can load again, so there is no code for it."))
        return cls(
            config.dataset.spec, config.architecture.name, dict(config.architecture.options), config.input_shape,
            len(config.class_names), config.hyperparameters or TrainConfig(), config.augmentation,
            config.dataset.sizes.get("val", 1) > 0,
        )  # fmt: skip


@dataclass(frozen=True)
class Step:
    key: str
    code: str

    @property
    def title(self) -> str:
        return _(STEP_TEXT[self.key][0])

    @property
    def explanation(self) -> str:
        return _(STEP_TEXT[self.key][1])


def _settings(setup: Setup, dataset_settings: dict[str, object]) -> str:
    training = setup.training
    values = {
        **dataset_settings, "EPOCHS": training.epochs, "BATCH_SIZE": training.batch_size,
        "LEARNING_RATE": training.learning_rate, "SEED": training.seed,
    }  # fmt: skip
    lines = [
        "from pathlib import Path", "", "import keras", "import numpy as np", "import tensorflow as tf",
        "from keras import layers", "",
    ]  # fmt: skip
    return "\n".join(lines + [f"{name} = {value!r}" for name, value in values.items()])


def _pipeline(setup: Setup) -> str:
    augment = setup.augmentation is not None
    lines = [
        "def to_dataset(x, y, training=False):",
        "    data = tf.data.Dataset.from_tensor_slices((x, y)).cache()",
        "    if training:  # a new order every epoch",
        "        data = data.shuffle(min(len(x), 10_000), seed=SEED, reshuffle_each_iteration=True)",
        "    data = data.batch(BATCH_SIZE).map(lambda images, labels: (tf.cast(images, tf.float32) / 255.0, labels))",
    ]
    if augment:
        lines += [
            "    if training:  # augment the training batches only",
            "        data = data.map(lambda images, labels: (augment(images, training=True), labels))",
        ]
    lines += [
        "    return data.prefetch(tf.data.AUTOTUNE)", "", "",
        "train_data = to_dataset(x_train, y_train, training=True)",
        "val_data = to_dataset(x_val, y_val) if len(x_val) else None",
        "test_data = to_dataset(x_test, y_test)",
    ]  # fmt: skip
    return "\n".join(lines)


def _augmentation(config: AugmentConfig) -> str:
    return to_code(config).removeprefix("import keras\n").strip()


def _optimizer(config: TrainConfig) -> str:
    if config.optimizer == "sgd":
        return f"keras.optimizers.SGD(LEARNING_RATE, momentum={config.momentum!r}, nesterov={config.nesterov!r})"
    return f"keras.optimizers.{'RMSprop' if config.optimizer == 'rmsprop' else 'Adam'}(LEARNING_RATE)"


def _compile(setup: Setup) -> str:
    return (
        f"model.compile(\n    optimizer={_optimizer(setup.training)},\n"
        "    loss='sparse_categorical_crossentropy',  # labels are class numbers\n"
        "    metrics=['accuracy'],\n)"
    )


def _callbacks(setup: Setup) -> str:
    lines = ["callbacks = ["]
    for spec in callback_specs(setup.training, setup.has_validation):
        arguments = ", ".join(f"{key}={value!r}" for key, value in spec.arguments.items())
        lines.append(f"    keras.callbacks.{spec.name}({arguments}),")
    return "\n".join(lines + ["]"])


FIT = "history = model.fit(train_data, validation_data=val_data, epochs=EPOCHS, callbacks=callbacks)"
EVALUATE = 'loss, accuracy = model.evaluate(test_data, verbose=0)\nprint(f"test accuracy: {accuracy:.4f}")'


def _model(setup: Setup) -> str:
    """The model step (it builds the model, so Keras); CodeUnavailable when it cannot be written as code."""
    if setup.architecture not in ARCHITECTURES:
        raise CodeUnavailable(
            _("{name!r} is not an architecture of the registry (an uploaded model?), so there is no code for it.")
            .format(name=setup.architecture)
        )
    try:
        code = model_code(setup.architecture, setup.options, setup.input_shape, setup.num_classes)
    except ValueError as error:
        raise CodeUnavailable(str(error)) from error
    return "keras.utils.set_random_seed(SEED)  # same seed, same initial weights\n" + code


def _writers(setup: Setup) -> dict[str, Callable[[], str]]:
    """Each step of the set-up's script, in order, by key: a function that writes its code."""
    dataset_settings, data = dataset_code(setup.dataset)
    augmentation = setup.augmentation
    writers: dict[str, Callable[[], str]] = {
        "settings": lambda: _settings(setup, dataset_settings), "data": lambda: data,
    }  # fmt: skip
    if augmentation is not None:
        writers["augmentation"] = lambda: _augmentation(augmentation)
    return writers | {
        "pipeline": lambda: _pipeline(setup), "model": lambda: _model(setup),
        "compile": lambda: _compile(setup), "callbacks": lambda: _callbacks(setup),
        "fit": lambda: FIT, "evaluate": lambda: EVALUATE, "save": lambda: f"model.save({MODEL_FILE!r})",
    }  # fmt: skip


def steps(setup: Setup, keys: Collection[str] | None = None) -> list[Step]:
    """The script, step by step (only the steps in ``keys`` when given: the Data page's step builds no
    model, so it needs no Keras); CodeUnavailable when the model step cannot be written as code."""
    return [Step(key, write()) for key, write in _writers(setup).items() if keys is None or key in keys]


def heading(title: str) -> str:
    """The first line of a script or notebook, on one line."""
    return _("{title}: generated by cnnviz.").format(title=" ".join((title or _("A cnnviz lesson")).split()))


def script(setup: Setup, title: str = "") -> str:
    """The whole set-up as one runnable ``.py`` file."""
    header = f"# {heading(title)}\n"
    sections = [f"# {step.title}: {step.explanation}\n{step.code}" for step in steps(setup)]
    return header + "\n\n" + "\n\n\n".join(sections) + "\n"


def page_code(setup: Setup, page: str) -> str:
    """The steps one page is about, e.g. the model on the Model page."""
    return "\n\n".join(f"# {step.title}\n{step.code}" for step in steps(setup, PAGE_STEPS[page]))
