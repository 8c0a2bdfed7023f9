"""Keras code for a registry architecture, written from the built model's own layers.

The model is built as the app builds it, then each layer becomes one line: its class and the
constructor arguments that differ from that class's defaults (read from ``get_config()``),
commented with its output shape and parameter count as the Model page shows them. Chains of
layers become ``keras.Sequential``; transfer models become functional code around
``keras.applications``.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any

from cnnviz.models.architectures import ARCHITECTURES, build_model
from cnnviz.models.transfer import BASES

if TYPE_CHECKING:
    import keras

IGNORED_ARGUMENTS = {"name", "trainable", "dtype", "autocast", "build_config", "compile_config"}
SQUARE_ARGUMENTS = {"kernel_size", "strides", "pool_size", "dilation_rate"}  # (3, 3) is written 3
PREPROCESSING_NAMES = {"gray_to_rgb", "upsize", "to_minus1_1", "to_0_255", "imagenet_mean"}


def _value(key: str, value: Any) -> str:
    """A config value as Python source (initializer dicts become constructor calls)."""
    if isinstance(value, dict) and "class_name" in value:
        module = value.get("module") or "keras.layers"
        arguments = ", ".join(f"{k}={v!r}" for k, v in (value.get("config") or {}).items() if v is not None)
        return f"{module}.{value['class_name']}({arguments})"
    if key in SQUARE_ARGUMENTS and isinstance(value, (list, tuple)) and len(set(value)) == 1:
        return repr(value[0])
    if isinstance(value, list):
        return repr(tuple(value))
    return repr(value)


def _required_arguments(layer_class: type) -> list[str]:
    parameters = inspect.signature(layer_class.__init__).parameters.values()
    return [
        p.name for p in parameters
        if p.name != "self" and p.default is inspect.Parameter.empty and p.kind is p.POSITIONAL_OR_KEYWORD
    ]  # fmt: skip


def layer_call(layer: keras.Layer) -> str:
    """``layers.Conv2D(16, 3, padding='same', name='block1_conv')``: the call that makes this layer."""
    layer_class = type(layer)
    config = layer.get_config()
    required = _required_arguments(layer_class)
    defaults = layer_class(**{key: config[key] for key in required}).get_config()
    arguments = [_value(key, config[key]) for key in required]
    arguments += [
        f"{key}={_value(key, value)}"
        for key, value in config.items()
        if key not in IGNORED_ARGUMENTS and key not in required and _value(key, defaults.get(key)) != _value(key, value)
    ]
    arguments.append(f"name={layer.name!r}")
    return f"layers.{layer_class.__name__}({', '.join(arguments)})"


def layer_comment(layer: keras.Layer) -> str:
    """``# output (None, 32, 32, 16) · 448 params``."""
    return f"# output {tuple(layer.output.shape)} · {layer.count_params():,} params"


def _inner_layers(model: keras.Model) -> list[keras.Layer]:
    return [layer for layer in model.layers if type(layer).__name__ != "InputLayer"]


def _input_line(model: keras.Model) -> str:
    return f"keras.Input(shape={tuple(model.input_shape[1:])!r}, name={model.inputs[0].name!r})"


def sequential_code(model: keras.Model) -> str:
    """``model = keras.Sequential([...])`` with one commented line per layer."""
    lines = [f"model = keras.Sequential([", f"    {_input_line(model)},"]
    for layer in _inner_layers(model):
        lines.append(f"    {layer_call(layer)},  {layer_comment(layer)}")
    lines.append(f"], name={model.name!r})")
    lines.append(f"# {model.count_params():,} parameters in all")
    return "\n".join(lines)


def _functional_line(layer: keras.Layer, source: str) -> str:
    inputs = "[x, x, x]" if type(layer).__name__ == "Concatenate" else source
    return f"x = {layer_call(layer)}({inputs})  {layer_comment(layer)}"


def transfer_code(model: keras.Model, base_name: str, options: dict[str, Any]) -> str:
    """Functional code: preprocessing layers, the keras.applications base, the head."""
    base = BASES[base_name]
    layers = _inner_layers(model)
    preprocessing = [layer for layer in layers if layer.name in PREPROCESSING_NAMES]
    head_start = next(i for i, layer in enumerate(layers) if layer.name.startswith("head_"))
    base_layers = [layer for layer in layers[:head_start] if layer.name not in PREPROCESSING_NAMES]
    weights = options.get("weights", "imagenet")
    lines = [f"inputs = {_input_line(model)}", "x = inputs"]
    lines += [_functional_line(layer, "x") for layer in preprocessing]
    lines.append(
        f"base = keras.applications.{base.application}(include_top=False, weights={weights!r}, input_tensor=x)"
        f"  # {sum(layer.count_params() for layer in base_layers):,} params in {len(base_layers)} layers"
    )
    if weights == "imagenet" and base.application == "VGG16":
        lines += [
            "# VGG16's ImageNet weights expect BGR channels: flip the first kernel to take RGB",
            'kernel, bias = base.get_layer("block1_conv1").get_weights()',
            'base.get_layer("block1_conv1").set_weights([kernel[:, :, ::-1, :], bias])',
        ]
    if options.get("mode", "feature_extraction") == "fine_tune":
        first = options.get("fine_tune_from") or base.fine_tune_from
        lines += [
            f"trainable = False  # fine-tuning: train every base layer from {first!r} on",
            "for layer in base.layers:",
            f"    trainable = trainable or layer.name == {first!r}",
            "    layer.trainable = trainable",
        ]
    else:
        lines.append("base.trainable = False  # feature extraction: the base stays frozen")
    lines.append("x = base.output")
    lines += [_functional_line(layer, "x") for layer in layers[head_start:]]
    lines.append(f"model = keras.Model(inputs, x, name={model.name!r})")
    lines.append(f"# {model.count_params():,} parameters in all")
    return "\n".join(lines)


def model_code(architecture: str, options: dict[str, Any], input_shape: tuple[int, int, int], num_classes: int) -> str:
    """The Keras code that builds ``architecture`` with ``options`` for these images and classes.

    Raises ValueError (user-facing message) when the architecture cannot be built for them.
    """
    entry = ARCHITECTURES.get(architecture)
    if entry is not None and entry.family == "transfer":
        model = build_model(architecture, input_shape, num_classes, **{**options, "weights": None})
        return transfer_code(model, architecture, options)
    return sequential_code(build_model(architecture, input_shape, num_classes, **options))
