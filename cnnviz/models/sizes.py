"""A model's parameters counted from its configuration, before anything is built or allocated."""

from __future__ import annotations

from typing import Any

Shape = tuple[int, int, int]


def block_filters(options: dict[str, Any]) -> list[int]:
    """The filters of each conv block of the custom builder (and of ``simple``)."""
    growth = 2 if options["filter_growth"] == "double" else 1
    return [int(options["filters"]) * growth**block for block in range(int(options["blocks"]))]


def conv_blocks_parameters(input_shape: Shape, num_classes: int, options: dict[str, Any]) -> int:
    """The parameters ``architectures._conv_blocks`` would build for these (validated) options."""
    height, width, channels = (int(d) for d in input_shape)
    kernel = int(options["kernel_size"])
    total = 0
    for filters in block_filters(options):
        total += kernel * kernel * channels * filters + filters
        total += 4 * filters if options["batch_norm"] else 0  # gamma, beta, moving mean and variance
        channels = filters
        height, width = _pooled(height, width)
    features = channels if options["global_pooling"] else height * width * channels
    units = int(options["dense_units"])
    if units:
        total += features * units + units
        features = units
    outputs = 1 if num_classes == 1 else int(num_classes)
    return total + features * outputs + outputs


def _pooled(height: int, width: int) -> tuple[int, int]:
    """The size after ``architectures._pool``: 2x2 valid pooling, or same padding on a 1-pixel map."""
    if min(height, width) >= 2:
        return height // 2, width // 2
    return (height + 1) // 2, (width + 1) // 2
