"""Gradient saliency: vanilla gradients, SmoothGrad and Integrated Gradients.

All three need the gradient of one class's logit with respect to the input pixels, for a
batch of images at once (``input_gradients``, compiled once per model): SmoothGrad's noisy
copies and Integrated Gradients' path steps are one batch each, not a Python loop.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from cnnviz.explain.scores import class_scores
from cnnviz.models.layers import cached, input_shape


def input_gradients(model: keras.Model, batch: np.ndarray, class_index: int) -> np.ndarray:
    """d logit[class] / d input for each image of a float32 batch: float32, the batch's shape."""
    compiled = cached(model, ("input_gradients",), lambda: _compile(model))
    return compiled(np.asarray(batch, np.float32), np.int32(class_index)).numpy()


def vanilla(model: keras.Model, batch: np.ndarray, class_index: int, options: Mapping[str, Any]) -> np.ndarray:
    """The gradient's largest magnitude over the colour channels, per pixel."""
    return np.abs(input_gradients(model, batch, class_index)[0]).max(axis=-1)


def smoothgrad(model: keras.Model, batch: np.ndarray, class_index: int, options: Mapping[str, Any]) -> np.ndarray:
    """Smilkov et al. 2017: gradient magnitudes averaged over ``samples`` copies with Gaussian noise.

    ``noise`` is the noise's standard deviation as a share of the image's value range.
    """
    rng = np.random.default_rng(options.get("seed", 0))
    image = batch[0]
    sigma = float(options["noise"]) * max(float(image.max() - image.min()), 1e-6)
    noisy = image + rng.normal(0.0, sigma, (int(options["samples"]), *image.shape)).astype(np.float32)
    return np.abs(input_gradients(model, noisy, class_index)).mean(axis=0).max(axis=-1)


def integrated(model: keras.Model, batch: np.ndarray, class_index: int, options: Mapping[str, Any]) -> np.ndarray:
    """Sundararajan et al. 2017: (image - black) times the mean gradient on the straight path between them.

    The path's ``steps`` points are midpoints of equal intervals (a Riemann sum).
    """
    image = batch[0]
    steps = int(options["steps"])
    alphas = ((np.arange(steps, dtype=np.float32) + 0.5) / steps)[:, None, None, None]
    path = alphas * image[np.newaxis]
    attributions = image * input_gradients(model, path, class_index).mean(axis=0)
    return np.abs(attributions).sum(axis=-1)


def _compile(model: keras.Model) -> Any:
    scores = class_scores(model)

    @tf.function(input_signature=[tf.TensorSpec([None, *input_shape(model)], tf.float32),
                                  tf.TensorSpec([], tf.int32)])
    def gradients(images: tf.Tensor, class_index: tf.Tensor) -> tf.Tensor:
        with tf.GradientTape() as tape:
            tape.watch(images)
            total = tf.reduce_sum(scores(images)[:, class_index])
        return tape.gradient(total, images)

    return gradients
