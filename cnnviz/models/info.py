"""What a model is made of: a flat per-layer table, parameter totals, and where each count comes from."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from cnnviz.i18n import N_, _
from cnnviz.models.regularization import layer_penalty

if TYPE_CHECKING:
    import keras

NO_PARAMETERS = {
    "InputLayer": N_("the image enters the network here"),
    "MaxPooling2D": N_("it keeps the largest value of each {pool} window"),
    "AveragePooling2D": N_("it averages each {pool} window"),
    "GlobalAveragePooling2D": N_("it averages each channel over the whole feature map"),
    "GlobalMaxPooling2D": N_("it keeps each channel's largest value over the whole feature map"),
    "Flatten": N_("it lays the feature maps out as one long vector"),
    "Dropout": N_("while training it zeroes a random fraction of the values; it does nothing when predicting"),
    "ReLU": N_("it replaces negative values by 0"),
    "Activation": N_("it applies a fixed function to every value"),
    "Softmax": N_("it turns scores into probabilities that sum to 1"),
    "Rescaling": N_("it multiplies every value by a fixed factor (and adds a fixed offset)"),
    "Normalization": N_("it subtracts fixed means and divides by fixed standard deviations"),
    "Resizing": N_("it resizes the images to a fixed size"),
    "Concatenate": N_("it stacks its inputs along the channels"),
    "Add": N_("it adds its inputs element by element (a shortcut connection)"),
    "ZeroPadding2D": N_("it adds a border of zeros"),
    "Reshape": N_("it changes the tensor's shape without changing its values"),
}


def iter_layers(model: keras.Model, prefix: str = "") -> Iterator[tuple[str, keras.Layer]]:
    """Every layer with its display name; nested models are expanded as ``outer/inner``."""
    import keras

    for layer in model.layers:
        if isinstance(layer, keras.Model):
            yield from iter_layers(layer, f"{prefix}{layer.name}/")
        else:
            yield f"{prefix}{layer.name}", layer


def summary_rows(model: keras.Model) -> list[dict[str, Any]]:
    """One row per layer: name, type, output shape, parameters, trainable ones, explanation, weight penalty."""
    return [
        {
            "layer": name,
            "type": type(layer).__name__,
            "output shape": output_shape(layer),
            "parameters": layer.count_params(),
            "trainable": count_weights(layer.trainable_weights),
            "explanation": explain_parameters(layer),
            "penalty": layer_penalty(layer),
        }
        for name, layer in iter_layers(model)
    ]


def totals(model: keras.Model) -> dict[str, int]:
    """Total, trainable and non-trainable parameter counts."""
    trainable = count_weights(model.trainable_weights)
    frozen = count_weights(model.non_trainable_weights)
    return {"total": trainable + frozen, "trainable": trainable, "non_trainable": frozen}


def count_weights(weights: list) -> int:
    return sum(math.prod(weight.shape) for weight in weights)


def output_shape(layer: keras.Layer) -> str:
    """The output shape without the batch axis, e.g. "32 x 32 x 16"."""
    try:
        shape = layer.output.shape
    except (AttributeError, ValueError):  # a layer used more than once has no single output
        return _("several")
    return " x ".join(str(d) for d in shape[1:])


# ---------------------------------------------------------------- parameter explanations


def explain_parameters(layer: keras.Layer) -> str:
    """One sentence saying where the layer's parameter count comes from, with its numbers."""
    kind = type(layer).__name__
    explain = EXPLAINERS.get(kind)
    if explain is not None and layer.weights:
        return f"{kind}: {explain(layer)}"
    if not layer.weights:
        reason = _(NO_PARAMETERS.get(kind, N_("it computes a fixed function of its input")))
        return (
            _("{kind}: no parameters, {reason}.").format(kind=kind, reason=reason.format(pool=_pool_size(layer)))
        )
    parts = " + ".join(" x ".join(str(d) for d in weight.shape) for weight in layer.weights)
    return f"{kind}: {parts} = {layer.count_params():,}."


def _conv2d(layer: keras.Layer) -> str:
    height, width, channels, filters = layer.kernel.shape
    formula = f"({height} x {width} x {channels}{' + 1' if layer.use_bias else ''}) x {filters} = {layer.count_params():,}"
    if layer.use_bias:
        text = _("{formula}; each of the {filters} filters has a {height}x{width} weight for each of the {channels} "
                 "input channels plus one bias.")  # fmt: skip
    else:
        text = _("{formula}; each of the {filters} filters has a {height}x{width} weight for each of the {channels} "
                 "input channels.")  # fmt: skip
    return text.format(formula=formula, filters=filters, height=height, width=width, channels=channels)


def _dense(layer: keras.Layer) -> str:
    inputs, units = layer.kernel.shape
    formula = f"({inputs:,}{' + 1' if layer.use_bias else ''}) x {units} = {layer.count_params():,}"
    if layer.use_bias:
        text = _("{formula}; each of the {units} units has a weight for each of the {inputs:,} inputs plus one bias.")
    else:
        text = _("{formula}; each of the {units} units has a weight for each of the {inputs:,} inputs.")
    return text.format(formula=formula, units=units, inputs=inputs)


def _batch_norm(layer: keras.Layer) -> str:
    channels = layer.moving_mean.shape[0]
    vectors = len(layer.weights)
    learned = (vectors - 2) * channels
    return _(
        "{vectors} x {channels} = {total:,}; a learned scale (gamma) and shift (beta) per channel ({learned:,}) "
        "plus a moving mean and variance per channel ({moving:,}, updated from the data, never trained)."
    ).format(vectors=vectors, channels=channels, total=layer.count_params(), learned=learned, moving=2 * channels)


def _depthwise(layer: keras.Layer) -> str:
    height, width, channels, multiplier = layer.kernel.shape
    bias = " + 1" if layer.use_bias else ""
    formula = f"({height} x {width}{bias}) x {channels} x {multiplier} = {layer.count_params():,}"
    return _(
        "{formula}; one {height}x{width} filter per input channel (x {multiplier}), channels are not mixed."
    ).format(formula=formula, height=height, width=width, multiplier=multiplier)


def _separable(layer: keras.Layer) -> str:
    height, width, channels, multiplier = layer.depthwise_kernel.shape
    filters = layer.pointwise_kernel.shape[-1]
    bias = f" + {filters}" if layer.use_bias else ""
    return _(
        "{height} x {width} x {depth} (depthwise) + {depth} x {filters} (pointwise){bias} = {total:,}; "
        "a per-channel {height}x{width} filter, then a 1x1 convolution that mixes the channels."
    ).format(height=height, width=width, depth=channels * multiplier, filters=filters, bias=bias,
             total=layer.count_params())  # fmt: skip


def _pool_size(layer: keras.Layer) -> str:
    pool = getattr(layer, "pool_size", None)
    return "x".join(str(d) for d in pool) if pool else ""


EXPLAINERS: dict[str, Callable[[keras.Layer], str]] = {
    "Conv2D": _conv2d,
    "Dense": _dense,
    "BatchNormalization": _batch_norm,
    "DepthwiseConv2D": _depthwise,
    "SeparableConv2D": _separable,
}
