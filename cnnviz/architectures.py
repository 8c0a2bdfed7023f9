"""The architecture registry: the seed reports' models, ``simple``, a custom builder, transfer.

Every model takes float32 images in [0, 1] through a fixed ``keras.Input`` and ends in
``Dense(num_classes, softmax)`` named "predictions" (``num_classes == 1`` gives one sigmoid
unit, as in the cats-vs-dogs seed). Models come back uncompiled: training compiles them.
Keras is imported inside functions so that pages can import this module cheaply.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from cnnviz.transfer import build_transfer

if TYPE_CHECKING:
    import keras

    from cnnviz.dataset import Dataset
    from cnnviz.registry import DatasetSpec

Shape = tuple[int, int, int]


class InputTooSmall(ValueError):
    """The images are too small for a layer of the architecture (the message says which)."""


# ---------------------------------------------------------------- building blocks


def _spatial(x) -> tuple[int, int]:
    return int(x.shape[1]), int(x.shape[2])


def _conv(x, filters: int, kernel: int, name: str, *, padding: str = "same", **kwargs):
    """Conv2D with ReLU (unless ``activation`` is given); a too-small valid conv raises."""
    from keras import layers

    if padding == "valid" and min(_spatial(x)) < kernel:
        height, width = _spatial(x)
        raise InputTooSmall(
            f"the feature map before layer {name!r} is only {height}x{width}, smaller than "
            f"its {kernel}x{kernel} kernel"
        )
    kwargs.setdefault("activation", "relu")
    return layers.Conv2D(filters, kernel, padding=padding, name=name, **kwargs)(x)


def _pool(x, name: str, kind: str = "max"):
    """2x2 pooling; a feature map already 1 pixel wide is kept (same padding), not emptied."""
    from keras import layers

    padding = "valid" if min(_spatial(x)) >= 2 else "same"
    pool = layers.MaxPooling2D if kind == "max" else layers.AveragePooling2D
    return pool(2, padding=padding, name=name)(x)


def dense_stack(x, units: list[int], dropout: float = 0.0):
    """Flattened features -> Dense(relu) layers, each followed by Dropout when asked."""
    from keras import layers

    for index, count in enumerate(units, start=1):
        x = layers.Dense(count, activation="relu", name=f"dense{index}")(x)
        if dropout:
            x = layers.Dropout(dropout, name=f"dropout{index}")(x)
    return x


def classifier(x, num_classes: int):
    """The output layer: softmax over the classes (one sigmoid unit when num_classes is 1)."""
    from keras import layers

    if num_classes == 1:
        return layers.Dense(1, activation="sigmoid", name="predictions")(x)
    return layers.Dense(num_classes, activation="softmax", name="predictions")(x)


def _finish(inputs, outputs, name: str) -> keras.Model:
    import keras

    return keras.Model(inputs, outputs, name=name)


def _input(input_shape: Shape):
    import keras

    return keras.Input(shape=tuple(input_shape), name="image")


# ---------------------------------------------------------------- the seed reports' models


def animals10(input_shape: Shape, num_classes: int) -> keras.Model:
    """Five Conv(3x3 same) -> MaxPool -> BatchNorm blocks, 256 down to 16 filters."""
    from keras import layers

    inputs = x = _input(input_shape)
    for block, filters in enumerate((256, 128, 64, 32, 16), start=1):
        x = _conv(x, filters, 3, f"block{block}_conv")
        x = _pool(x, f"block{block}_pool")
        x = layers.BatchNormalization(name=f"block{block}_bn")(x)
    x = layers.Flatten(name="flatten")(x)
    x = dense_stack(x, [100], dropout=0.4)
    return _finish(inputs, classifier(x, num_classes), "animals10")


def weather_small(input_shape: Shape, num_classes: int) -> keras.Model:
    """Conv32 5x5 / Conv64 / Conv64 valid, Flatten, Dense 64: most weights sit in the Dense."""
    from keras import layers

    inputs = _input(input_shape)
    x = _pool(_conv(inputs, 32, 5, "block1_conv"), "block1_pool")
    x = _pool(_conv(x, 64, 3, "block2_conv"), "block2_pool")
    x = _conv(x, 64, 3, "block3_conv", padding="valid")
    x = dense_stack(layers.Flatten(name="flatten")(x), [64])
    return _finish(inputs, classifier(x, num_classes), "weather_small")


def weather_deep(input_shape: Shape, num_classes: int) -> keras.Model:
    """Conv 32 (5x5) / 64 / 128 / 256 / 512 each pooled, Conv512 valid, Dense 512/256/128."""
    from keras import layers

    inputs = x = _input(input_shape)
    for block, filters in enumerate((32, 64, 128, 256, 512), start=1):
        x = _conv(x, filters, 5 if block == 1 else 3, f"block{block}_conv")
        x = _pool(x, f"block{block}_pool")
    x = _conv(x, 512, 3, "block6_conv", padding="valid")
    x = dense_stack(layers.Flatten(name="flatten")(x), [512, 256, 128])
    return _finish(inputs, classifier(x, num_classes), "weather_deep")


def weather_bn(input_shape: Shape, num_classes: int) -> keras.Model:
    """Pairs of Conv+BatchNorm+ReLU at 32/64/128/256 (first conv 5x5), GAP, Dense 512/128."""
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


def mnist_dlwp(input_shape: Shape, num_classes: int) -> keras.Model:
    """Deep Learning with Python: Conv32 / Conv64 / Conv64 (valid 3x3), Dense 64."""
    from keras import layers

    inputs = _input(input_shape)
    x = _pool(_conv(inputs, 32, 3, "block1_conv", padding="valid"), "block1_pool")
    x = _pool(_conv(x, 64, 3, "block2_conv", padding="valid"), "block2_pool")
    x = _conv(x, 64, 3, "block3_conv", padding="valid")
    x = dense_stack(layers.Flatten(name="flatten")(x), [64])
    return _finish(inputs, classifier(x, num_classes), "mnist_dlwp")


def mnist_basic(input_shape: Shape, num_classes: int) -> keras.Model:
    """CNN basics: Conv16 5x5 same / Conv32 5x5 same, each pooled, Dense 128."""
    from keras import layers

    inputs = _input(input_shape)
    x = _pool(_conv(inputs, 16, 5, "block1_conv"), "block1_pool")
    x = _pool(_conv(x, 32, 5, "block2_conv"), "block2_pool")
    x = dense_stack(layers.Flatten(name="flatten")(x), [128])
    return _finish(inputs, classifier(x, num_classes), "mnist_basic")


def cats_dogs(input_shape: Shape, num_classes: int) -> keras.Model:
    """Four valid Conv/MaxPool blocks 32/64/128/128, Dropout 0.5, Dense 512."""
    from keras import layers

    inputs = x = _input(input_shape)
    for block, filters in enumerate((32, 64, 128, 128), start=1):
        x = _pool(_conv(x, filters, 3, f"block{block}_conv", padding="valid"), f"block{block}_pool")
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dropout(0.5, name="dropout0")(x)
    x = dense_stack(x, [512])
    return _finish(inputs, classifier(x, num_classes), "cats_dogs")


def fashion(input_shape: Shape, num_classes: int, *, batch_norm: bool = False) -> keras.Model:
    """Conv64 x2, pool, Conv128, Conv256 valid, pool, Dense 512/256 with Dropout 0.5.

    ``batch_norm`` gives the report's other variant: He-uniform init, BatchNorm after each
    conv and Dropout(0.25) after each pool.
    """
    from keras import layers

    init = {"kernel_initializer": "he_uniform"} if batch_norm else {}
    inputs = x = _input(input_shape)
    plan = [(64, "same"), (64, "same"), "pool", (128, "same"), (256, "valid"), "pool"]
    conv_index = pool_index = 0
    for step in plan:
        if step == "pool":
            pool_index += 1
            x = _pool(x, f"pool{pool_index}")
            if batch_norm:
                x = layers.Dropout(0.25, name=f"pool{pool_index}_dropout")(x)
            continue
        conv_index += 1
        x = _conv(x, step[0], 3, f"conv{conv_index}", padding=step[1], **init)
        if batch_norm:
            x = layers.BatchNormalization(name=f"conv{conv_index}_bn")(x)
    x = dense_stack(layers.Flatten(name="flatten")(x), [512, 256], dropout=0.5)
    return _finish(inputs, classifier(x, num_classes), "fashion_bn" if batch_norm else "fashion")


# ---------------------------------------------------------------- custom and simple

CUSTOM_LIMITS = {"blocks": (1, 5), "filters": (1, 512), "kernel_size": (1, 11), "dense_units": (0, 4096)}
MAX_LAST_FILTERS = 1024


def validate_custom(input_shape: Shape, options: dict[str, Any]) -> None:
    """Raise ValueError with a user-facing message when the custom options cannot work."""
    for key, (low, high) in CUSTOM_LIMITS.items():
        if not low <= int(options[key]) <= high:
            raise ValueError(f"{key.replace('_', ' ')} must be between {low} and {high}.")
    if options["kernel_size"] % 2 == 0:
        raise ValueError("kernel size must be odd (1, 3, 5, ...), so the output stays centred.")
    if options["pooling"] not in ("max", "avg"):
        raise ValueError("pooling must be 'max' or 'avg'.")
    if options["filter_growth"] not in ("double", "constant"):
        raise ValueError("filter growth must be 'double' or 'constant'.")
    if not 0.0 <= float(options["dropout"]) < 1.0:
        raise ValueError("dropout must be at least 0 and below 1.")
    if _block_filters(options)[-1] > MAX_LAST_FILTERS:
        raise ValueError(f"the last block would have more than {MAX_LAST_FILTERS} filters; use fewer blocks or filters.")
    smallest = min(input_shape[:2])
    if smallest >> options["blocks"] < 1:
        most = smallest.bit_length() - 1
        raise InputTooSmall(
            f"{input_shape[0]}x{input_shape[1]} images are too small for {options['blocks']} pooling "
            f"blocks: each block halves the size, so use at most {most} blocks or bigger images."
        )


def _block_filters(options: dict[str, Any]) -> list[int]:
    growth = 2 if options["filter_growth"] == "double" else 1
    return [int(options["filters"]) * growth**block for block in range(int(options["blocks"]))]


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
    """``blocks`` x (Conv same [+ BatchNorm] + ReLU + 2x2 pool), then GAP or Flatten, Dense."""
    options = dict(locals())
    del options["input_shape"], options["num_classes"]
    return _conv_blocks(input_shape, num_classes, options, "custom")


def _conv_blocks(input_shape: Shape, num_classes: int, options: dict[str, Any], name: str) -> keras.Model:
    from keras import layers

    validate_custom(input_shape, options)
    inputs = x = _input(input_shape)
    for block, count in enumerate(_block_filters(options), start=1):
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


SIMPLE_OPTIONS: dict[str, Any] = {
    "blocks": 3, "filters": 16, "filter_growth": "double", "kernel_size": 3, "batch_norm": True,
    "pooling": "max", "dropout": 0.0, "dense_units": 64, "global_pooling": True,
}


def simple(input_shape: Shape, num_classes: int) -> keras.Model:
    """The default: Conv 16/32/64 with BatchNorm, each pooled, global average pool, Dense 64."""
    return _conv_blocks(input_shape, num_classes, SIMPLE_OPTIONS, "simple")


# ---------------------------------------------------------------- the registry


@dataclass(frozen=True)
class Architecture:
    """A registry entry: what it is, the shape the seed used, and how to build it."""

    name: str
    description: str
    input_shape: Shape
    num_classes: int
    builder: Callable[..., keras.Model]
    family: str  # "simple", "custom", "seed" or "transfer"


def _entries() -> list[Architecture]:
    return [
        Architecture("simple", "Small and fast default: Conv 16/32/64 + BatchNorm, global pooling.", (64, 64, 3), 4, simple, "simple"),
        Architecture("custom", "Build your own: 1-5 conv blocks, filters, kernel, BatchNorm, pooling, dropout.", (64, 64, 3), 4, custom, "custom"),
        Architecture("animals10", "Animals-10 report: five Conv-Pool-BatchNorm blocks 256->16, Dense 100.", (150, 150, 3), 10, animals10, "seed"),
        Architecture("weather_small", "Weather report, small: three convs, one huge Dense after Flatten.", (250, 250, 3), 4, weather_small, "seed"),
        Architecture("weather_deep", "Weather report, deep: five pooled convs 32->512, Dense 512/256/128.", (250, 250, 3), 4, weather_deep, "seed"),
        Architecture("weather_bn", "Weather report, BatchNorm: Conv+BN+ReLU pairs, global pooling, Dropout.", (250, 250, 3), 4, weather_bn, "seed"),
        Architecture("mnist_dlwp", "Deep Learning with Python MNIST convnet: Conv 32/64/64, Dense 64.", (28, 28, 1), 10, mnist_dlwp, "seed"),
        Architecture("mnist_basic", "CNN basics MNIST: Conv16 5x5 and Conv32 5x5 (same), Dense 128.", (28, 28, 1), 10, mnist_basic, "seed"),
        Architecture("cats_dogs", "Deep Learning with Python cats vs dogs: four conv blocks, Dropout, Dense 512.", (150, 150, 3), 1, cats_dogs, "seed"),
        Architecture("fashion", "Fashion-MNIST report: Conv 64/64/128/256, Dense 512/256 with Dropout.", (28, 28, 1), 10, fashion, "seed"),
        Architecture("fashion_bn", "Fashion-MNIST variant: He init, BatchNorm after convs, Dropout after pools.", (28, 28, 1), 10, partial(fashion, batch_norm=True), "seed"),
        Architecture("mobilenetv2", "Transfer learning from MobileNetV2 (ImageNet), new Dense 256 head.", (224, 224, 3), 10, partial(build_transfer, "mobilenetv2"), "transfer"),
        Architecture("vgg16", "Transfer learning from VGG16 (ImageNet), new Dense 256 head.", (224, 224, 3), 10, partial(build_transfer, "vgg16"), "transfer"),
    ]


ARCHITECTURES: dict[str, Architecture] = {entry.name: entry for entry in _entries()}


def list_architectures() -> list[str]:
    return list(ARCHITECTURES)


def build_model(name: str, input_shape: Shape, num_classes: int, **options: Any) -> keras.Model:
    """A fresh, uncompiled model; ValueError (with a user-facing message) for bad choices."""
    if name not in ARCHITECTURES:
        raise ValueError(f"Unknown architecture {name!r}. Choose one of: {', '.join(ARCHITECTURES)}.")
    entry = ARCHITECTURES[name]
    try:
        return entry.builder(tuple(int(d) for d in input_shape), int(num_classes), **options)
    except InputTooSmall as error:
        height, width = entry.input_shape[:2]
        raise InputTooSmall(
            f"{name} cannot take {input_shape[0]}x{input_shape[1]} images: {error}. "
            f"It was designed for {height}x{width}; pick bigger images or another architecture."
        ) from error


def model_config(
    name: str, options: dict[str, Any], dataset: Dataset, spec: DatasetSpec | None = None
) -> dict[str, Any]:
    """The config.json content (see cnnviz.runs.Run) for a model built for ``dataset``."""
    describe = dataset.describe()
    if spec is not None:
        describe["spec"] = spec.to_dict()
    return {
        "name": name,
        "dataset": describe,
        "class_names": list(dataset.class_names),
        "display_names": list(dataset.display_names),
        "input_shape": list(dataset.image_shape),
        "preprocessing": {
            "scale": 1 / 255,
            "color_mode": "grayscale" if dataset.channels == 1 else "rgb",
            "light_on_dark": dataset.light_on_dark,
        },
        "architecture": {"name": name, "options": dict(options)},
        "hyperparameters": {},
        "augmentation": None,
        "test_metrics": {},
    }
