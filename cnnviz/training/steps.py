"""How many batches Keras runs per call (``steps_per_execution``) for a model.

Each call from Python into the compiled train step costs a little; small models on small
images spend a noticeable share of their time there, so they run several batches per call.
Keras reports to callbacks once per group, so the live chart updates and Stop is noticed once
per group: a group is kept to about half a second at a conservative estimate of the CPU's speed.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import keras

MAX_STEPS_PER_EXECUTION = 8
TARGET_GROUP_SECONDS = 0.5
ASSUMED_TRAINING_FLOPS_PER_SECOND = 100e9  # a modest 2-core CPU, float32
TRAINING_COST_FACTOR = 3  # forward + backward pass, about three forward passes


def forward_flops(model: keras.Model) -> int:
    """Multiply-adds (x2) of one image through the model's convolution and Dense layers."""
    import keras

    total = 0
    for layer in model.layers:
        if isinstance(layer, keras.layers.Dense):
            total += 2 * int(layer.input.shape[-1]) * layer.units
        elif isinstance(layer, (keras.layers.Conv2D, keras.layers.DepthwiseConv2D)):
            height, width, channels = (int(d) for d in layer.output.shape[1:])
            per_output = math.prod(layer.kernel_size) * (
                1 if isinstance(layer, keras.layers.DepthwiseConv2D) else int(layer.input.shape[-1]) // layer.groups
            )
            total += 2 * height * width * channels * per_output
    return total


def steps_per_execution(model: keras.Model, batch_size: int) -> int:
    """Batches per Keras call: up to 8 for small models, 1 when one batch already takes a while."""
    batch_seconds = TRAINING_COST_FACTOR * forward_flops(model) * batch_size / ASSUMED_TRAINING_FLOPS_PER_SECOND
    if batch_seconds <= 0:
        return MAX_STEPS_PER_EXECUTION
    return max(1, min(MAX_STEPS_PER_EXECUTION, int(TARGET_GROUP_SECONDS / batch_seconds)))
