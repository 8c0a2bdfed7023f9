"""tf.data input pipelines: images are decoded once at load, then batched and prefetched."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from cnnviz.data.dataset import Split

if TYPE_CHECKING:
    import keras
    import tensorflow as tf


PIXEL_SCALE = 1 / 255  # uint8 pixels times this: the [0, 1] input every cnnviz model takes


def to_model_input(images: np.ndarray, scale: float = PIXEL_SCALE) -> np.ndarray:
    """uint8 images (N, H, W, C) -> float32 ``images * scale``, the tensor a model takes.

    The one place pixels are scaled outside tf.data; a run's ``preprocessing.scale`` says
    which scale. Like the training pipeline it divides (by 255 for the default scale), so
    a model sees bit-identical inputs in training and everywhere else.
    """
    return images.astype("float32") / np.float32(1 / scale)


def make_pipeline(
    split: Split,
    batch_size: int,
    *,
    training: bool = False,
    seed: int = 0,
    augmenter: keras.Layer | None = None,
) -> tf.data.Dataset:
    """Batches of (float32 images in [0, 1], int labels) for one split.

    The train split is reshuffled each epoch; ``augmenter`` (a Keras layer) is applied to
    training batches only, so validation and test data are never augmented.
    """
    import tensorflow as tf

    data = tf.data.Dataset.from_tensor_slices((split.x, split.y.astype("int32"))).cache()
    if training:
        data = data.shuffle(min(len(split), 10_000), seed=seed, reshuffle_each_iteration=True)
    data = data.batch(batch_size).map(_scale, num_parallel_calls=tf.data.AUTOTUNE)
    if training and augmenter is not None:
        data = data.map(
            lambda x, y: (augmenter(x, training=True), y), num_parallel_calls=tf.data.AUTOTUNE
        )
    return data.prefetch(tf.data.AUTOTUNE)


def _scale(images, labels):
    import tensorflow as tf

    return tf.cast(images, tf.float32) / (1 / PIXEL_SCALE), labels
