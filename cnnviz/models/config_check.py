"""An uploaded model's ``config.json``, checked as parsed JSON before Keras builds anything from it.

Every object in the configuration must be one of Keras' own standard classes (layers for
image models, initializers, regularizers, constraints, dtype policies): a Lambda, a custom or
an unknown class is refused wherever it sits, however its name is spelled in the file. The
parameters each layer declares (its ``build_config`` input shape and its settings) are
counted and checked against the server's limit, so a small file cannot make Keras allocate
a huge layer before it notices the mismatch.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from cnnviz.i18n import _
from cnnviz.limits import check_parameters

LAYERS = {
    "InputLayer", "Conv1D", "Conv2D", "Conv3D", "Conv2DTranspose", "DepthwiseConv2D", "SeparableConv2D", "Dense",
    "BatchNormalization", "LayerNormalization", "GroupNormalization", "Dropout", "SpatialDropout2D", "GaussianNoise",
    "Flatten", "Reshape", "Permute", "Identity", "Activation", "ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax",
    "MaxPooling2D", "AveragePooling2D", "GlobalAveragePooling2D", "GlobalMaxPooling2D", "ZeroPadding2D",
    "Cropping2D", "UpSampling2D", "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate",
    "Rescaling", "Resizing", "CenterCrop", "Normalization", "RandomFlip", "RandomRotation", "RandomZoom",
    "RandomTranslation", "RandomContrast", "RandomBrightness",
}  # fmt: skip
MODELS = {"Functional", "Sequential"}
SERIALIZED = {"__keras_tensor__", "__tuple__"}  # Keras' own markers inside a config
OTHER_MODULES = ("keras.initializers", "keras.regularizers", "keras.constraints")  # any class of these
POLICIES = {"DTypePolicy", "FloatDTypePolicy"}


class ModelConfigRefused(ValueError):
    """A model configuration that is refused before it is built, with a message meant for the user."""


def check_model_config(config: Any) -> int:
    """Check a parsed ``config.json``; the model's parameter count. Raises ModelConfigRefused or LimitExceeded."""
    if not isinstance(config, dict) or config.get("class_name") not in MODELS:
        raise ModelConfigRefused(_("This file does not hold a Keras model."))
    model = {key: value for key, value in config.items() if key != "compile_config"}  # loaded with compile=False
    for node in _objects(model):
        _check_class(node)
    total = sum(_layer_parameters(layer) for layer in _layers(config))
    check_parameters(total)
    return total


def _objects(node: Any) -> Iterator[dict[str, Any]]:
    """Every JSON object that names a class, at any depth."""
    if isinstance(node, dict):
        if "class_name" in node:
            yield node
        for value in node.values():
            yield from _objects(value)
    elif isinstance(node, list):
        for value in node:
            yield from _objects(value)


def _check_class(node: dict[str, Any]) -> None:
    name, module = node.get("class_name"), node.get("module")
    registered = node.get("registered_name")
    allowed = (
        name in SERIALIZED
        or (name in LAYERS and module == "keras.layers")
        or (name in MODELS and isinstance(module, str) and (module == "keras" or module.startswith("keras.")))
        or (name in POLICIES and module in ("keras", "keras.dtype_policies"))
        or (module in OTHER_MODULES and isinstance(name, str))
    )
    if not allowed or registered not in (None, name):
        shown = str(name)[:40] if isinstance(name, str) else "?"
        raise ModelConfigRefused(
            _("This model uses {name}, which is not one of Keras' standard layers (Lambda and custom layers can "
              "run any code, so they are refused). Rebuild the model with standard layers.").format(name=shown)
        )


def _layers(config: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every layer of the model, those of nested models included."""
    for layer in config.get("config", {}).get("layers", []):
        if not isinstance(layer, dict):
            raise ModelConfigRefused(_("This file does not hold a Keras model."))
        if layer.get("class_name") in MODELS:
            yield from _layers(layer)
        else:
            yield layer


WEIGHTED = {"Conv1D", "Conv2D", "Conv3D", "Conv2DTranspose", "DepthwiseConv2D", "SeparableConv2D", "Dense",
            "BatchNormalization", "LayerNormalization", "GroupNormalization", "PReLU", "Normalization"}  # fmt: skip


def _layer_parameters(layer: dict[str, Any]) -> int:
    """The parameters a layer's configuration asks for (0 for a layer without weights)."""
    name = layer["class_name"]
    if name not in WEIGHTED:
        return 0
    settings = layer.get("config", {})
    shape = (layer.get("build_config") or {}).get("input_shape")
    if not isinstance(shape, list) or len(shape) < 2 or not all(isinstance(d, int) and d > 0 for d in shape[1:]):
        raise ModelConfigRefused(
            _("This model file does not say what its layer {name} takes; save it again with Keras 3.").format(
                name=str(settings.get("name", name))[:40])
        )
    try:
        return _count(name, settings, shape[1:])
    except (TypeError, ValueError, KeyError) as error:
        raise ModelConfigRefused(_("This file does not hold a Keras model.")) from error


def _count(name: str, settings: dict[str, Any], shape: list[int]) -> int:
    channels = shape[0] if settings.get("data_format") == "channels_first" else shape[-1]

    def bias(units: int) -> int:
        return int(units) if settings.get("use_bias", True) else 0

    if name == "Dense":
        return channels * int(settings["units"]) + bias(settings["units"])
    if name in ("BatchNormalization", "LayerNormalization", "GroupNormalization", "Normalization"):
        return 4 * channels
    if name == "PReLU":
        return math.prod(shape)
    kernel = math.prod(int(k) for k in settings["kernel_size"])
    if name == "DepthwiseConv2D":
        outputs = channels * int(settings.get("depth_multiplier", 1))
        return kernel * outputs + bias(outputs)
    filters = int(settings["filters"])
    if name == "SeparableConv2D":
        middle = channels * int(settings.get("depth_multiplier", 1))
        return kernel * middle + middle * filters + bias(filters)
    return kernel * channels // max(1, int(settings.get("groups", 1))) * filters + bias(filters)
