"""The other layers by hand: a pooling window, ReLU, and the last Dense layer's softmax.

Like ``cnnviz.explain.convolution``, every number is computed with NumPy from the layer's real
input and weights, next to the value the model produced.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import keras
import numpy as np

from cnnviz.data.pipeline import PIXEL_SCALE
from cnnviz.explain.convolution import (
    ConvExplainError,
    as_pair,
    check_position,
    layer_io,
    padded_input,
    window_origin,
)  # fmt: skip
from cnnviz.explain.scores import softmax
from cnnviz.i18n import _
from cnnviz.models.layers import trace


@dataclass(frozen=True)
class PoolStep:
    """One output value of a pooling layer: its window and the max or average of it."""

    layer: str
    kind: str  # "max" or "average"
    channel: int
    x: int
    y: int
    window: np.ndarray  # (ph, pw): NaN where the window hangs over the padding
    origin: tuple[int, int]
    value: float
    model_value: float


def pool_step(
    model: keras.Model, image: np.ndarray, layer_name: str, channel: int, x: int, y: int, scale: float = PIXEL_SCALE
) -> PoolStep:
    """Output (x, y, channel) of a MaxPooling2D or AveragePooling2D layer, from its window."""
    io = layer_io(model, layer_name, image, scale)
    if not isinstance(io.layer, (keras.layers.MaxPooling2D, keras.layers.AveragePooling2D)):
        raise ConvExplainError(_("Layer {name!r} is a {kind}, not a pooling layer.").format(
            name=layer_name, kind=type(io.layer).__name__
        ))
    check_position(io.output, channel, x, y)
    size, strides = as_pair(io.layer.pool_size), as_pair(io.layer.strides)
    padded, pads = padded_input(io.input[..., channel], size, strides, io.layer.padding, fill=np.nan)
    window = padded[y * strides[0] : y * strides[0] + size[0], x * strides[1] : x * strides[1] + size[1]]
    is_max = isinstance(io.layer, keras.layers.MaxPooling2D)
    value = float(np.nanmax(window) if is_max else np.nanmean(window))  # padding never counts
    return PoolStep(
        layer_name, "max" if is_max else "average", channel, x, y, window,
        window_origin(x, y, strides, pads), value, float(io.output[y, x, channel]),
    )  # fmt: skip


def relu_table(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """ReLU by hand: the values and max(0, value), side by side."""
    values = np.asarray(values, "float64")
    return values, np.maximum(values, 0.0)


@dataclass(frozen=True)
class SoftmaxStep:
    """The output layer by hand: features · weights + bias = logits -> exp -> probabilities."""

    layer: str
    features: np.ndarray  # the Dense layer's input (already flattened or pooled)
    logits: np.ndarray
    exponentials: np.ndarray  # exp(logit - max logit): the same ratios, no overflow
    probabilities: np.ndarray
    model_probabilities: np.ndarray
    activation: str


def output_layer_name(model: keras.Model) -> str:
    """The last layer of the model; it must be a Dense layer with a softmax or sigmoid."""
    name, layer = list(trace(model).layers.items())[-1]
    activation = getattr(getattr(layer, "activation", None), "__name__", "")
    if not isinstance(layer, keras.layers.Dense) or activation not in ("softmax", "sigmoid"):
        raise ConvExplainError(_("The model does not end in a Dense layer with a softmax or sigmoid."))
    return name


def softmax_step(model: keras.Model, image: np.ndarray, scale: float = PIXEL_SCALE) -> SoftmaxStep:
    """The last Dense layer worked out: logits, exponentials, their normalised share."""
    name = output_layer_name(model)
    io = layer_io(model, name, image, scale)
    kernel, bias = (np.asarray(w, "float64") for w in _dense_weights(io.layer))
    features = io.input.reshape(-1)
    logits = features @ kernel + bias
    activation = io.layer.activation.__name__
    if activation == "sigmoid":  # one unit: P(class 1) = 1 / (1 + exp(-logit))
        exponentials = np.exp(-logits)
        probabilities = 1.0 / (1.0 + exponentials)
    else:
        probabilities = softmax(logits)
        exponentials = probabilities / probabilities.max()  # exp(logit - largest logit): softmax's numerators
    return SoftmaxStep(name, features, logits, exponentials, probabilities, io.output.reshape(-1), activation)


def _dense_weights(layer: Any) -> tuple[np.ndarray, np.ndarray]:
    weights = layer.get_weights()
    bias = weights[1] if layer.use_bias else np.zeros(weights[0].shape[1])
    return weights[0], bias
