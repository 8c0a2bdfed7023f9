"""A model's class probabilities for images, and the most likely classes among them."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from cnnviz.data.pipeline import PIXEL_SCALE, to_model_input

if TYPE_CHECKING:
    import keras

BATCH_SIZE = 64


def predict_probabilities(
    model: keras.Model, images: np.ndarray, *, scale: float = PIXEL_SCALE, batch_size: int | None = None
) -> np.ndarray:
    """Class probabilities (N, classes), float64, for uint8 images (N, H, W, C) shaped like the input.

    Images are scaled batch by batch (``scale`` comes from the run's preprocessing); a
    1-unit sigmoid output becomes the two columns [1 - p, p]. ``batch_size`` defaults to BATCH_SIZE.
    """
    batch_size = batch_size or BATCH_SIZE
    batches = [
        np.asarray(model(to_model_input(images[i : i + batch_size], scale), training=False), dtype=np.float64)
        for i in range(0, len(images), batch_size)
    ]
    probabilities = np.concatenate(batches)
    if probabilities.shape[1] == 1:
        probabilities = np.concatenate([1 - probabilities, probabilities], axis=1)
    return probabilities


def top_classes(probabilities: np.ndarray, k: int = 3) -> list[tuple[int, float]]:
    """The k most probable (class index, probability) pairs, most probable first."""
    order = np.argsort(probabilities)[::-1][:k]
    return [(int(i), float(probabilities[i])) for i in order]
