"""Receptive fields: the region of the input image one unit of a layer can see.

Walking the layers from the input, each layer with a kernel k, stride s and padding p grows
the field by (k - 1) times the distance between neighbouring units (the "jump"), and
multiplies the jump by s (Araujo et al., 2019, "Computing Receptive Fields of CNNs"):

    size_l = size_{l-1} + (k - 1) * jump_{l-1}
    jump_l = jump_{l-1} * s
    start_l = start_{l-1} + ((k - 1) / 2 - p) * jump_{l-1}     (centre of unit 0)

Layers that do not move pixels (batch norm, activations, dropout) keep all three. The chain
follows the model's layers in execution order, so for a network with branches it is the
field of the longest path (the main branch of a residual block).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import keras

from cnnviz.explain.convolution import padding_before
from cnnviz.i18n import _
from cnnviz.models.layers import trace


@dataclass(frozen=True)
class FieldStep:
    """The receptive field after one layer: size in input pixels, jump and centre of unit 0."""

    layer: str
    kind: str
    kernel: int
    stride: int
    padding: int
    size: int
    jump: int
    start: float
    output: tuple[int, int]  # the layer's output height and width

    def region(self, x: int, y: int, image: tuple[int, int]) -> tuple[int, int, int, int]:
        """(left, top, right, bottom) in input pixels seen by unit (x, y), clipped to the image."""
        half = (self.size - 1) / 2
        centre_x, centre_y = self.start + x * self.jump, self.start + y * self.jump
        left, top = max(0, round(centre_x - half)), max(0, round(centre_y - half))
        right = min(image[1] - 1, round(centre_x + half))
        bottom = min(image[0] - 1, round(centre_y + half))
        return left, top, right, bottom


def _window(layer: Any) -> tuple[str, int, int, str] | None:
    """(kind, kernel, stride, padding mode) of a layer that moves pixels; None for the others."""
    if isinstance(layer, (keras.layers.Conv2D, keras.layers.DepthwiseConv2D, keras.layers.SeparableConv2D)):
        dilation = layer.dilation_rate[0]
        kernel = (layer.kernel_size[0] - 1) * dilation + 1
        return "conv", kernel, layer.strides[0], layer.padding
    if isinstance(layer, (keras.layers.MaxPooling2D, keras.layers.AveragePooling2D)):
        return "pooling", layer.pool_size[0], layer.strides[0], layer.padding
    return None


def receptive_fields(model: keras.Model) -> list[FieldStep]:
    """The receptive field after every conv and pooling layer, in order, for square windows."""
    record = trace(model)
    size, jump, start = 1, 1, 0.0
    steps = []
    for name, layer in record.layers.items():
        window = _window(layer)
        if window is None or len(record.outputs[name].shape) != 4:
            continue
        kind, kernel, stride, mode = window
        in_size = int(record.inputs[name].shape[1])
        pad = padding_before(in_size, kernel, stride, mode)
        size, start, jump = size + (kernel - 1) * jump, start + ((kernel - 1) / 2 - pad) * jump, jump * stride
        out_shape = tuple(int(d) for d in record.outputs[name].shape[1:3])
        steps.append(FieldStep(name, kind, kernel, stride, pad, size, jump, start, out_shape))  # type: ignore[arg-type]
    return steps


def field_of(model: keras.Model, layer_name: str) -> FieldStep:
    """The receptive field of ``layer_name``'s units (its own step, or the last one before it)."""
    names = list(trace(model).layers)
    if layer_name not in names:
        raise ValueError(_("No layer named {name!r} in this model.").format(name=layer_name))
    before = [step for step in receptive_fields(model) if names.index(step.layer) <= names.index(layer_name)]
    if not before:
        raise ValueError(_("Layer {name!r} comes before any convolution: each unit sees one pixel.").format(name=layer_name))
    return before[-1]
