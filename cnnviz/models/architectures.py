"""The architecture registry: the seed reports' models, ``simple``, a custom builder, transfer.

Every model takes float32 images in [0, 1] through a fixed ``keras.Input`` and ends in
``Dense(num_classes, softmax)`` named "predictions" (``num_classes == 1`` gives one sigmoid
unit, as in the cats-vs-dogs seed). Models come back uncompiled: training compiles them.
Keras is imported inside functions so that pages can import this module cheaply.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cnnviz.i18n import N_, _
from cnnviz.limits import check_parameters
from cnnviz.models.heads import classifier, dense_stack
from cnnviz.models.regularization import regularize, split_options
from cnnviz.models.sizes import block_filters, conv_blocks_parameters
from cnnviz.models.transfer import build_transfer
from cnnviz.registry import Registry

if TYPE_CHECKING:
    import keras

Shape = tuple[int, int, int]


class InputTooSmall(ValueError):
    """The images are too small for a layer of the architecture (the message says which)."""


@dataclass(frozen=True)
class Architecture:
    """A registry entry: what it is, the shape its seed used, and how to build it."""

    key: str  # the builder's name
    description: str  # English, N_-marked; shown through _()
    input_shape: Shape
    num_classes: int
    builder: Callable[..., keras.Model]
    family: str  # "simple", "custom", "seed" or "transfer"


ARCHITECTURES: Registry[Architecture] = Registry("architecture")


def _register(family: str, input_shape: Shape, num_classes: int, description: str):
    """Add a builder to ARCHITECTURES under its function name; ``description`` (N_-marked) says what it is."""
    return ARCHITECTURES.entry(
        lambda builder: Architecture(builder.__name__, description, input_shape, num_classes, builder, family)
    )


# ---------------------------------------------------------------- building blocks


def _spatial(x) -> tuple[int, int]:
    return int(x.shape[1]), int(x.shape[2])


def _conv(x, filters: int, kernel: int, name: str, *, padding: str = "same", **kwargs):
    """Conv2D with ReLU (unless ``activation`` is given); a too-small valid conv raises."""
    from keras import layers

    if padding == "valid" and min(_spatial(x)) < kernel:
        height, width = _spatial(x)
        raise InputTooSmall(
            _(
                "the feature map before layer {name!r} is only {height}x{width}, smaller than "
                "its {kernel}x{kernel} kernel"
            ).format(name=name, height=height, width=width, kernel=kernel)
        )
    kwargs.setdefault("activation", "relu")
    return layers.Conv2D(filters, kernel, padding=padding, name=name, **kwargs)(x)


def _pool(x, name: str, kind: str = "max"):
    """2x2 pooling; a feature map already 1 pixel wide is kept (same padding), not emptied."""
    from keras import layers

    padding = "valid" if min(_spatial(x)) >= 2 else "same"
    pool = layers.MaxPooling2D if kind == "max" else layers.AveragePooling2D
    return pool(2, padding=padding, name=name)(x)


def _finish(inputs, outputs, name: str) -> keras.Model:
    import keras

    return keras.Model(inputs, outputs, name=name)


def _input(input_shape: Shape):
    import keras

    return keras.Input(shape=tuple(input_shape), name="image")


# ---------------------------------------------------------------- custom and simple

OPTION_NAMES = {"blocks": N_("blocks"), "filters": N_("filters"), "kernel_size": N_("kernel size"),
                "dense_units": N_("dense units")}  # fmt: skip
CUSTOM_LIMITS = {"blocks": (1, 5), "filters": (1, 512), "kernel_size": (1, 11), "dense_units": (0, 4096)}
MAX_LAST_FILTERS = 1024


def validate_custom(input_shape: Shape, options: dict[str, Any]) -> None:
    """Raise ValueError with a user-facing message when the custom options cannot work."""
    for key, (low, high) in CUSTOM_LIMITS.items():
        if not low <= int(options[key]) <= high:
            option = _(OPTION_NAMES[key])
            raise ValueError(
                _("{option} must be between {low} and {high}.").format(option=option, low=low, high=high)
            )
    if options["kernel_size"] % 2 == 0:
        raise ValueError(_("kernel size must be odd (1, 3, 5, ...), so the output stays centred."))
    if options["pooling"] not in ("max", "avg"):
        raise ValueError(_("pooling must be 'max' or 'avg'."))
    if options["filter_growth"] not in ("double", "constant"):
        raise ValueError(_("filter growth must be 'double' or 'constant'."))
    if not 0.0 <= float(options["dropout"]) < 1.0:
        raise ValueError(_("dropout must be at least 0 and below 1."))
    if block_filters(options)[-1] > MAX_LAST_FILTERS:
        raise ValueError(
            _("the last block would get over {limit} filters; use fewer.").format(limit=MAX_LAST_FILTERS)
        )
    smallest = min(input_shape[:2])
    if smallest >> options["blocks"] < 1:
        most = smallest.bit_length() - 1
        raise InputTooSmall(
            _(
                "{height}x{width} images are too small for {blocks} pooling blocks: each block halves the size, "
                "so use at most {most} blocks or bigger images."
            ).format(height=input_shape[0], width=input_shape[1], blocks=options["blocks"], most=most)
        )


SIMPLE_OPTIONS: dict[str, Any] = {
    "filters": 16, "filter_growth": "double", "kernel_size": 3, "batch_norm": True,
    "pooling": "max", "dropout": 0.0, "dense_units": 64, "global_pooling": True,
}
SIMPLE_MAX_BLOCKS = 5


@_register(
    "simple", (64, 64, 3), 4,
    N_("The small, fast default: Conv + BatchNorm blocks (16, 32, 64... filters), GAP, Dense 64."),
)
def simple(input_shape: Shape, num_classes: int) -> keras.Model:
    """It uses 5 blocks (16 to 256 filters), fewer when the images are too small for 5 halvings
    (4 blocks for 28x28), so it builds for any dataset.
    """
    return _conv_blocks(input_shape, num_classes, simple_options(input_shape), "simple")


def simple_options(input_shape: Shape) -> dict[str, Any]:
    """The custom-builder options ``simple`` uses for this input shape."""
    blocks = min(SIMPLE_MAX_BLOCKS, max(1, min(input_shape[:2]).bit_length() - 1))
    return {**SIMPLE_OPTIONS, "blocks": blocks}


@_register(
    "custom", (64, 64, 3), 4,
    N_("Build your own: 1-5 blocks of Conv (+ BatchNorm) + ReLU + 2x2 pooling, then Dense layers."),
)
def custom(
    input_shape: Shape,
    num_classes: int,
    *,
    blocks: int = 3,
    filters: int = 16,
    filter_growth: str = "double",
    kernel_size: int = 3,
    batch_norm: bool = True,
    pooling: str = "max",
    dropout: float = 0.0,
    dense_units: int = 64,
    global_pooling: bool = False,
) -> keras.Model:
    options = dict(locals())
    del options["input_shape"], options["num_classes"]
    return _conv_blocks(input_shape, num_classes, options, "custom")


def _conv_blocks(input_shape: Shape, num_classes: int, options: dict[str, Any], name: str) -> keras.Model:
    from keras import layers

    validate_custom(input_shape, options)
    check_parameters(conv_blocks_parameters(input_shape, num_classes, options))  # before any layer is built
    inputs = x = _input(input_shape)
    for block, count in enumerate(block_filters(options), start=1):
        x = _conv(x, count, options["kernel_size"], f"block{block}_conv", activation=None)
        if options["batch_norm"]:
            x = layers.BatchNormalization(momentum=0.9, name=f"block{block}_bn")(x)
        x = layers.ReLU(name=f"block{block}_relu")(x)
        x = _pool(x, f"block{block}_pool", options["pooling"])
    head = layers.GlobalAveragePooling2D(name="global_pool") if options["global_pooling"] else None
    x = (head or layers.Flatten(name="flatten"))(x)
    if options["dropout"]:
        x = layers.Dropout(options["dropout"], name="dropout0")(x)
    if options["dense_units"]:
        x = dense_stack(x, [options["dense_units"]])
    return _finish(inputs, classifier(x, num_classes), name)


# ---------------------------------------------------------------- the seed reports' models


@_register(
    "seed", (150, 150, 3), 10,
    N_("Animals-10 report: five Conv(3x3) -> MaxPool -> BatchNorm blocks, 256 down to 16 filters."),
)
def animals10(input_shape: Shape, num_classes: int) -> keras.Model:
    from keras import layers

    inputs = x = _input(input_shape)
    for block, filters in enumerate((256, 128, 64, 32, 16), start=1):
        x = _conv(x, filters, 3, f"block{block}_conv")
        x = _pool(x, f"block{block}_pool")
        x = layers.BatchNormalization(name=f"block{block}_bn")(x)
    x = layers.Flatten(name="flatten")(x)
    x = dense_stack(x, [100], dropout=0.4)
    return _finish(inputs, classifier(x, num_classes), "animals10")


ConvStep = tuple[int, int, str, bool]  # filters, kernel size, padding, followed by a 2x2 MaxPool?


def _plain_convnet(
    input_shape: Shape,
    num_classes: int,
    name: str,
    convs: list[ConvStep],
    dense: list[int],
    dropout: float = 0.0,
) -> keras.Model:
    """Conv(ReLU) layers, each maybe pooled, then Flatten, optional Dropout, Dense(ReLU) layers."""
    from keras import layers

    inputs = x = _input(input_shape)
    for block, (filters, kernel, padding, pooled) in enumerate(convs, start=1):
        x = _conv(x, filters, kernel, f"block{block}_conv", padding=padding)
        if pooled:
            x = _pool(x, f"block{block}_pool")
    x = layers.Flatten(name="flatten")(x)
    if dropout:
        x = layers.Dropout(dropout, name="dropout0")(x)
    return _finish(inputs, classifier(dense_stack(x, dense), num_classes), name)


@_register(
    "seed", (250, 250, 3), 4,
    N_("Weather report, small: Conv 32 (5x5) / 64 / 64, Flatten, Dense 64 (holds most weights)."),
)
def weather_small(input_shape: Shape, num_classes: int) -> keras.Model:
    convs = [(32, 5, "same", True), (64, 3, "same", True), (64, 3, "valid", False)]
    return _plain_convnet(input_shape, num_classes, "weather_small", convs, [64])


@_register(
    "seed", (250, 250, 3), 4,
    N_("Weather report, deep: Conv 32 (5x5) to 512, each pooled, Conv 512, Dense 512/256/128."),
)
def weather_deep(input_shape: Shape, num_classes: int) -> keras.Model:
    convs = [(32, 5, "same", True)] + [(filters, 3, "same", True) for filters in (64, 128, 256, 512)]
    convs.append((512, 3, "valid", False))
    return _plain_convnet(input_shape, num_classes, "weather_deep", convs, [512, 256, 128])


@_register(
    "seed", (250, 250, 3), 4,
    N_("Weather report, BatchNorm: Conv+BN+ReLU pairs at 32-256 filters, GAP, Dense 512/128."),
)
def weather_bn(input_shape: Shape, num_classes: int) -> keras.Model:
    from keras import layers

    inputs = x = _input(input_shape)
    for block, filters in enumerate((32, 64, 128, 256), start=1):
        for step in (1, 2):
            kernel = 5 if (block, step) == (1, 1) else 3
            x = _conv(x, filters, kernel, f"block{block}_conv{step}", activation=None)
            x = layers.BatchNormalization(name=f"block{block}_bn{step}")(x)
            x = layers.ReLU(name=f"block{block}_relu{step}")(x)
        x = _pool(x, f"block{block}_pool")
    x = layers.GlobalAveragePooling2D(name="global_pool")(x)
    x = dense_stack(x, [512, 128], dropout=0.5)
    return _finish(inputs, classifier(x, num_classes), "weather_bn")


@_register(
    "seed", (28, 28, 1), 10,
    N_("Deep Learning with Python MNIST convnet: Conv 32/64/64 (3x3 valid), Dense 64."),
)
def mnist_dlwp(input_shape: Shape, num_classes: int) -> keras.Model:
    convs = [(32, 3, "valid", True), (64, 3, "valid", True), (64, 3, "valid", False)]
    return _plain_convnet(input_shape, num_classes, "mnist_dlwp", convs, [64])


@_register(
    "seed", (28, 28, 1), 10,
    N_("CNN basics MNIST: Conv 16 and Conv 32 (5x5 same), each pooled, Dense 128."),
)
def mnist_basic(input_shape: Shape, num_classes: int) -> keras.Model:
    convs = [(16, 5, "same", True), (32, 5, "same", True)]
    return _plain_convnet(input_shape, num_classes, "mnist_basic", convs, [128])


@_register(
    "seed", (150, 150, 3), 1,
    N_("Deep Learning with Python cats vs dogs: Conv/MaxPool 32/64/128/128, Dropout, Dense 512."),
)
def cats_dogs(input_shape: Shape, num_classes: int) -> keras.Model:
    convs = [(filters, 3, "valid", True) for filters in (32, 64, 128, 128)]
    return _plain_convnet(input_shape, num_classes, "cats_dogs", convs, [512], dropout=0.5)


@_register(
    "seed", (28, 28, 1), 10,
    N_("Fashion-MNIST report: Conv 64/64/128/256 (last valid), Dense 512/256 with Dropout 0.5."),
)
def fashion(input_shape: Shape, num_classes: int, *, batch_norm: bool = False) -> keras.Model:
    from keras import layers

    init = {"kernel_initializer": "he_uniform"} if batch_norm else {}

    def conv(x, filters: int, name: str, padding: str = "same"):
        x = _conv(x, filters, 3, name, padding=padding, **init)
        return layers.BatchNormalization(name=f"{name}_bn")(x) if batch_norm else x

    def pool(x, name: str):
        x = _pool(x, name)
        return layers.Dropout(0.25, name=f"{name}_dropout")(x) if batch_norm else x

    inputs = _input(input_shape)
    x = pool(conv(conv(inputs, 64, "conv1"), 64, "conv2"), "pool1")
    x = pool(conv(conv(x, 128, "conv3"), 256, "conv4", padding="valid"), "pool2")
    x = dense_stack(layers.Flatten(name="flatten")(x), [512, 256], dropout=0.5)
    return _finish(inputs, classifier(x, num_classes), "fashion_bn" if batch_norm else "fashion")


@_register(
    "seed", (28, 28, 1), 10,
    N_("Fashion-MNIST variant: He-uniform init, BatchNorm after each conv, Dropout after pools."),
)
def fashion_bn(input_shape: Shape, num_classes: int) -> keras.Model:
    return fashion(input_shape, num_classes, batch_norm=True)


# ---------------------------------------------------------------- transfer learning


@_register(
    "transfer", (224, 224, 3), 10,
    N_("Transfer learning from MobileNetV2 (ImageNet weights) with a new Dense 256 head."),
)
def mobilenetv2(input_shape: Shape, num_classes: int, **options: Any) -> keras.Model:
    return build_transfer("mobilenetv2", input_shape, num_classes, **options)


@_register(
    "transfer", (224, 224, 3), 10,
    N_("Transfer learning from VGG16 (ImageNet weights) with a new Dense 256 head."),
)
def vgg16(input_shape: Shape, num_classes: int, **options: Any) -> keras.Model:
    return build_transfer("vgg16", input_shape, num_classes, **options)


# ---------------------------------------------------------------- the registry's API


def list_architectures() -> list[str]:
    return list(ARCHITECTURES)


def build_model(name: str, input_shape: Shape, num_classes: int, **options: Any) -> keras.Model:
    """A fresh, uncompiled model; ValueError (with a user-facing message) for bad choices.

    ``penalty`` and ``penalty_strength`` among the options put a weight penalty on its kernels,
    ``head_dropout`` a Dropout before its classifier (cnnviz.models.regularization).
    """
    if name not in ARCHITECTURES:
        raise ValueError(
            _("Unknown architecture {name!r}. Choose one of: {names}.").format(
                name=name, names=", ".join(ARCHITECTURES)
            )
        )
    entry = ARCHITECTURES[name]
    options, penalty, head_dropout = split_options(options)
    try:
        model = entry.builder(tuple(int(d) for d in input_shape), int(num_classes), **options)
    except InputTooSmall as error:
        height, width = entry.input_shape[:2]
        raise InputTooSmall(
            _(
                "{name} cannot take {height}x{width} images: {error}. It was designed for "
                "{seed_height}x{seed_width}; pick bigger images or another architecture."
            ).format(
                name=name, height=input_shape[0], width=input_shape[1], error=error, seed_height=height,
                seed_width=width,
            )
        ) from error
    check_parameters(model.count_params())  # the seeds and transfer models: bounded by the image size limit
    return regularize(model, penalty, head_dropout)
