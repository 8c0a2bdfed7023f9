"""Saliency from changed inputs, no gradients: occlusion sensitivity and Score-CAM.

Both ask the model about many altered copies of the image, so both send the copies as
batches through one compiled forward pass (``batched_logits``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np

from cnnviz.explain.scores import batched_logits
from cnnviz.models.layers import feature_model, last_conv_layer

if TYPE_CHECKING:
    import keras


def occlusion(model: keras.Model, batch: np.ndarray, class_index: int, options: Mapping[str, Any]) -> np.ndarray:
    """Zeiler and Fergus 2014: how far the class logit drops when a grey square covers each place.

    ``window`` is the square's side as a share of the image side, ``stride`` the step as a
    share of the window. Each pixel gets the mean drop of the windows that covered it.
    """
    image = batch[0]
    height, width = image.shape[:2]
    side = max(2, round(min(height, width) * float(options["window"])))
    step = max(1, round(side * float(options["stride"])))
    corners = [(y, x) for y in _starts(height, side, step) for x in _starts(width, side, step)]
    covered = np.repeat(image[np.newaxis], len(corners), axis=0)
    fill = image.mean(axis=(0, 1))
    for copy, (y, x) in zip(covered, corners):
        copy[y : y + side, x : x + side] = fill
    logits = batched_logits(model, np.concatenate([batch, covered]), int(options["batch"]))[:, class_index]
    drops = logits[0] - logits[1:]
    total, count = np.zeros((height, width), np.float32), np.zeros((height, width), np.float32)
    for drop, (y, x) in zip(drops, corners):
        total[y : y + side, x : x + side] += drop
        count[y : y + side, x : x + side] += 1
    return np.maximum(total / np.maximum(count, 1), 0.0)


def score_cam(model: keras.Model, batch: np.ndarray, class_index: int, options: Mapping[str, Any]) -> np.ndarray:
    """Wang et al. 2020: the conv layer's maps as masks, each weighted by the class score it keeps.

    Only the ``masks`` most active channels are used (the others add little and cost a
    forward pass each); a mask's weight is the class logit of the masked image minus that
    of a black image. The paper weighs by the softmax probability, but a confident model's
    probability saturates: every mask that keeps part of the object scores ~1 and the map
    blurs over the image (on the test suite's Shapes models, a map on its own shape in as few
    as 66% of images, against 77% with logits), so like every method here it follows the logits.
    """
    layer_name = options.get("layer_name") or last_conv_layer(model)
    outputs = feature_model(model, (layer_name,))(batch, training=False)
    features = np.asarray(outputs[0] if isinstance(outputs, (list, tuple)) else outputs, np.float32)[0]
    strongest = np.argsort(features.mean(axis=(0, 1)))[::-1][: int(options["masks"])]
    height, width = batch.shape[1:3]
    masks = np.stack([_unit_range(cv2.resize(features[:, :, k], (width, height))) for k in strongest])
    masked = batch[0][np.newaxis] * masks[..., np.newaxis]
    logits = batched_logits(model, np.concatenate([np.zeros_like(batch), masked]), int(options["batch"]))
    weights = logits[1:, class_index] - logits[0, class_index]
    return np.maximum(np.tensordot(weights, masks, axes=1), 0.0)


def _starts(length: int, side: int, step: int) -> list[int]:
    """Window starts every ``step`` pixels, the last one flush with the far edge."""
    starts = list(range(0, max(length - side, 0) + 1, step))
    return starts if starts[-1] == max(length - side, 0) else [*starts, length - side]


def _unit_range(values: np.ndarray) -> np.ndarray:
    """Values scaled to [0, 1]; all zeros for a flat map."""
    low, high = float(values.min()), float(values.max())
    return (values - low) / (high - low) if high > low else np.zeros_like(values)
