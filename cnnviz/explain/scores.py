"""A model's class scores before the softmax (logits), the quantity every explanation follows.

Probabilities saturate: a confident model's softmax barely moves, so gradients and
perturbations are measured on the logits. The model itself is never changed (it may be
shared by many sessions); the last layer is re-applied beside it without its activation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from cnnviz.models.layers import Trace, cached, input_shape, trace


def class_scores(model: keras.Model) -> Callable[[Any], Any]:
    """A differentiable function: model-input batch -> float32 logits (N, classes), cached per model."""

    def build() -> Callable[[Any], Any]:
        record = trace(model)
        head, head_input = score_head(record)
        body = keras.Model(record.input, head_input)
        return lambda batch: tf.cast(head(body(batch, training=False)), tf.float32)

    return cached(model, ("class_scores",), build)


def score_head(record: Trace) -> tuple[Callable[[Any], Any], Any]:
    """The class scores before the softmax, as (function of a tensor, that tensor).

    A final Dense layer with a softmax is applied by hand without it; a 1-unit sigmoid
    becomes the two logits [-z/2, z/2], whose softmax is [1 - p, p]; a final Softmax
    activation is skipped. The model itself is never changed (it may be shared).
    """
    last_name = next(reversed(record.layers))
    last = record.layers[last_name]
    activation = getattr(getattr(last, "activation", None), "__name__", "")
    binary = activation == "sigmoid" and getattr(last, "units", 0) == 1
    if isinstance(last, keras.layers.Dense) and (activation == "softmax" or binary):
        def logits(x: tf.Tensor) -> tf.Tensor:
            scores = keras.ops.matmul(x, last.kernel)
            scores = scores + last.bias if last.use_bias else scores
            return tf.concat([-scores / 2, scores / 2], axis=-1) if binary else scores

        return logits, record.inputs[last_name]
    if isinstance(last, keras.layers.Softmax) or (isinstance(last, keras.layers.Activation) and activation == "softmax"):
        return tf.identity, record.inputs[last_name]
    return (lambda x: tf.math.log(x + 1e-12)), record.output  # already probabilities


def batched_logits(model: keras.Model, images: Any, batch_size: int = 64) -> Any:
    """Logits (N, classes) of a float32 model-input array, ``batch_size`` images per compiled call."""
    compiled = cached(model, ("batched_logits",), lambda: _compile_logits(model))
    images = np.asarray(images, np.float32)
    return np.concatenate([compiled(images[start : start + batch_size]).numpy()
                           for start in range(0, len(images), batch_size)])


def softmax(logits: np.ndarray) -> np.ndarray:
    """The softmax of NumPy logits along their last axis, in their own float precision: the one softmax
    cnnviz computes by hand (models end in their own)."""
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def _compile_logits(model: keras.Model) -> Any:
    scores = class_scores(model)
    return tf.function(scores, input_signature=[tf.TensorSpec([None, *input_shape(model)], tf.float32)])
