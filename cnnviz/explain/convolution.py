"""What a convolution computes, by hand, on a real model's own weights and image.

Every number comes from NumPy on the layer's weights and the layer's real input (read from
the model with one forward pass), so a student can check it: ``conv_step`` works out one
output value of a Conv2D layer term by term, and ``model_value`` is what Keras produced at
the same position. The same is done for pooling windows and for the last Dense layer's
softmax. TensorFlow's "same" padding puts the extra pixel, if any, after the image
(bottom/right), as ``padding_before`` computes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np

from cnnviz.data.pipeline import PIXEL_SCALE, to_model_input
from cnnviz.i18n import _
from cnnviz.models.layers import LayerInfo, cached, conv_layers, trace


class ConvExplainError(ValueError):
    """A layer, channel or position that cannot be explained, with a message for the user."""


def padding_before(size: int, kernel: int, stride: int, padding: str) -> int:
    """Zero rows (or columns) TensorFlow adds before the input for this padding mode."""
    if padding == "valid":
        return 0
    out = math.ceil(size / stride)
    return max((out - 1) * stride + kernel - size, 0) // 2


def output_size(size: int, kernel: int, stride: int, padding: str) -> int:
    """The layer's output size along one axis, as Keras computes it."""
    if padding == "same":
        return math.ceil(size / stride)
    return (size - kernel) // stride + 1


@dataclass(frozen=True)
class LayerIO:
    """A layer's input and output for one image (batch dimension removed)."""

    layer: Any
    input: np.ndarray  # (H, W, C_in)
    output: np.ndarray  # (H_out, W_out, C_out)


def layer_io(model: keras.Model, layer_name: str, image: np.ndarray, scale: float = PIXEL_SCALE) -> LayerIO:
    """The named layer's input and output for one uint8 image, from one forward pass.

    ``scale`` is the run's pixel scale (its preprocessing).
    """
    record = trace(model)
    if layer_name not in record.layers:
        raise ConvExplainError(_("No layer named {name!r} in this model.").format(name=layer_name))

    def build() -> keras.Model:
        return keras.Model(record.input, [record.inputs[layer_name], record.outputs[layer_name]])

    probe = cached(model, ("layer-io", layer_name), build)
    inputs, outputs = probe(to_model_input(np.asarray(image)[np.newaxis], scale), training=False)
    return LayerIO(record.layers[layer_name], np.asarray(inputs, "float64")[0], np.asarray(outputs, "float64")[0])


def as_pair(value: Any) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else (int(value[0]), int(value[1]))


def check_conv(layer: Any) -> None:
    if type(layer) is not keras.layers.Conv2D:
        raise ConvExplainError(_("Layer {name!r} is a {kind}, not a Conv2D layer.").format(name=layer.name, kind=type(layer).__name__))
    if as_pair(layer.dilation_rate) != (1, 1) or getattr(layer, "groups", 1) != 1:
        raise ConvExplainError(_("Layer {name!r} is dilated or grouped; only plain Conv2D is explained.").format(name=layer.name))


def check_position(output: np.ndarray, channel: int, x: int, y: int) -> None:
    height, width, channels = output.shape
    if not 0 <= channel < channels:
        raise ConvExplainError(_("Channel {channel} does not exist: this layer has channels 0 to {last}.").format(
            channel=channel, last=channels - 1
        ))
    if not (0 <= x < width and 0 <= y < height):
        raise ConvExplainError(
            _("Position x={x}, y={y} is outside the output map (x 0 to {width}, y 0 to {height}).").format(
                x=x, y=y, width=width - 1, height=height - 1
            )
        )


def padded_input(values: np.ndarray, kernel: tuple[int, int], strides: tuple[int, int], padding: str,
                 fill: float = 0.0) -> tuple[np.ndarray, tuple[int, int]]:
    """The input with the padding the layer adds, and the (top, left) padding amounts."""
    top = padding_before(values.shape[0], kernel[0], strides[0], padding)
    left = padding_before(values.shape[1], kernel[1], strides[1], padding)
    out_h = output_size(values.shape[0], kernel[0], strides[0], padding)
    out_w = output_size(values.shape[1], kernel[1], strides[1], padding)
    bottom = max((out_h - 1) * strides[0] + kernel[0] - values.shape[0] - top, 0)
    right = max((out_w - 1) * strides[1] + kernel[1] - values.shape[1] - left, 0)
    widths = ((top, bottom), (left, right)) + ((0, 0),) * (values.ndim - 2)
    return np.pad(values, widths, constant_values=fill), (top, left)


def windows(values: np.ndarray, kernel: tuple[int, int], strides: tuple[int, int], padding: str,
            fill: float = 0.0) -> np.ndarray:
    """Every window the layer reads: (H_out, W_out, C, kh, kw), padding included."""
    padded, _pads = padded_input(values, kernel, strides, padding, fill)
    view = np.lib.stride_tricks.sliding_window_view(padded, kernel, axis=(0, 1))
    return view[:: strides[0], :: strides[1]]


def window_origin(x: int, y: int, strides: tuple[int, int], pads: tuple[int, int]) -> tuple[int, int]:
    """Top-left corner (x, y) in input coordinates of the window behind output (x, y); may be < 0."""
    return x * strides[1] - pads[1], y * strides[0] - pads[0]


def activation_name(layer: Any) -> str:
    return getattr(getattr(layer, "activation", None), "__name__", "linear")


def apply_activation(layer: Any, values: np.ndarray | float) -> np.ndarray:
    """The layer's own activation function applied to NumPy values."""
    result = layer.activation(keras.ops.convert_to_tensor(np.asarray(values, "float32")))
    return np.asarray(keras.ops.convert_to_numpy(result), "float64")


@dataclass(frozen=True)
class ConvStep:
    """One output value of a Conv2D layer worked out by hand."""

    layer: str
    channel: int
    x: int
    y: int
    window: np.ndarray  # (kh, kw, C_in): the input values the window reads (padding as 0)
    kernel: np.ndarray  # (kh, kw, C_in): the kernel slice of this output channel
    origin: tuple[int, int]  # the window's top-left (x, y) in the layer's input
    bias: float
    activation: str
    value: float  # after the activation, computed by hand
    model_value: float  # what the model produced at this position
    strides: tuple[int, int]
    padding: str
    followed_by: str | None  # the next layer's class when it changes the value (BatchNormalization)

    @property
    def products(self) -> np.ndarray:
        return self.window * self.kernel

    @property
    def channel_sums(self) -> np.ndarray:
        """Each input channel's share of the sum: window * kernel summed per channel."""
        return self.products.sum(axis=(0, 1))

    @property
    def total(self) -> float:
        return float(self.channel_sums.sum())

    @property
    def pre_activation(self) -> float:
        return self.total + self.bias

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready summary the command line prints."""
        return {
            "layer": self.layer, "channel": self.channel, "x": self.x, "y": self.y,
            "window_shape": list(self.window.shape), "window_origin": list(self.origin),
            "strides": list(self.strides), "padding": self.padding, "activation": self.activation,
            "channel_sums": [float(v) for v in self.channel_sums], "sum": self.total, "bias": self.bias,
            "pre_activation": self.pre_activation, "value": self.value, "model_value": self.model_value,
            "followed_by": self.followed_by,
        }  # fmt: skip


def conv_step(
    model: keras.Model, image: np.ndarray, layer_name: str, channel: int, x: int, y: int,
    scale: float = PIXEL_SCALE, io: LayerIO | None = None,
) -> ConvStep:  # fmt: skip
    """Output (x, y, channel) of the Conv2D layer ``layer_name`` for ``image``, term by term.

    ``io``: the layer's input and output for this image when the caller already has them
    (``layer_io``); otherwise one forward pass computes them.
    """
    io = io or layer_io(model, layer_name, image, scale)
    check_conv(io.layer)
    check_position(io.output, channel, x, y)
    kernel_weights = np.asarray(io.layer.get_weights()[0], "float64")
    kernel_size, strides = kernel_weights.shape[:2], as_pair(io.layer.strides)
    padded, pads = padded_input(io.input, kernel_size, strides, io.layer.padding)
    top, left = y * strides[0], x * strides[1]
    window = padded[top : top + kernel_size[0], left : left + kernel_size[1], :]
    bias = float(io.layer.get_weights()[1][channel]) if io.layer.use_bias else 0.0
    pre = float((window * kernel_weights[..., channel]).sum() + bias)
    return ConvStep(
        layer=layer_name, channel=channel, x=x, y=y, window=window, kernel=kernel_weights[..., channel],
        origin=window_origin(x, y, strides, pads), bias=bias, activation=activation_name(io.layer),
        value=float(apply_activation(io.layer, pre)), model_value=float(io.output[y, x, channel]),
        strides=strides, padding=io.layer.padding, followed_by=_next_layer_kind(model, layer_name),
    )  # fmt: skip


def _next_layer_kind(model: keras.Model, layer_name: str) -> str | None:
    """"BatchNormalization" when that layer comes right after ``layer_name`` (it changes the value)."""
    names = list(trace(model).layers)
    position = names.index(layer_name)
    if position + 1 < len(names):
        following = trace(model).layers[names[position + 1]]
        if type(following).__name__ == "BatchNormalization":
            return "BatchNormalization"
    return None


@dataclass(frozen=True)
class ChannelBreakdown:
    """One output channel of a Conv2D layer, split into each input channel's contribution."""

    inputs: np.ndarray  # (C_in, H, W): the layer's input maps
    kernels: np.ndarray  # (C_in, kh, kw): this output channel's kernel slices
    contributions: np.ndarray  # (C_in, H_out, W_out): each input map convolved with its slice
    bias: float
    pre_activation: np.ndarray  # (H_out, W_out): the sum of contributions plus the bias
    output: np.ndarray  # (H_out, W_out): after the activation
    model_output: np.ndarray  # (H_out, W_out): what the model produced


def channel_breakdown(
    model: keras.Model, image: np.ndarray, layer_name: str, channel: int, scale: float = PIXEL_SCALE
) -> ChannelBreakdown:
    """The elementary view of one output channel: per-input-channel maps, sum, bias, activation."""
    io = layer_io(model, layer_name, image, scale)
    check_conv(io.layer)
    check_position(io.output, channel, 0, 0)
    weights = io.layer.get_weights()
    kernel = np.asarray(weights[0], "float64")[..., channel]
    bias = float(weights[1][channel]) if io.layer.use_bias else 0.0
    views = windows(io.input, kernel.shape[:2], as_pair(io.layer.strides), io.layer.padding)
    contributions = np.einsum("hwcij,ijc->chw", views, kernel)
    pre = contributions.sum(axis=0) + bias
    return ChannelBreakdown(
        inputs=np.moveaxis(io.input, -1, 0), kernels=np.moveaxis(kernel, -1, 0), contributions=contributions,
        bias=bias, pre_activation=pre, output=apply_activation(io.layer, pre), model_output=io.output[..., channel],
    )  # fmt: skip


def plain_conv_layers(model: keras.Model) -> list[LayerInfo]:
    """The Conv2D layers ``conv_step`` explains (depthwise and separable ones are left out)."""
    layers = trace(model).layers
    return [info for info in conv_layers(model) if type(layers[info.name]) is keras.layers.Conv2D]


def layer_kernel(model: keras.Model, layer_name: str, channel: int, input_channel: int = 0) -> np.ndarray:
    """One 2-D slice (kh, kw) of a Conv2D layer's kernel: output ``channel``, ``input_channel``."""
    layer = trace(model).layers[layer_name]
    check_conv(layer)
    return np.asarray(layer.get_weights()[0][:, :, input_channel, channel], "float64")
