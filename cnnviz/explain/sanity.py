"""The model-randomisation sanity check for saliency maps (Adebayo et al., 2018).

A map that explains the model must change when the model's learned weights are replaced
by random ones. ``randomised_copy`` re-draws the weights of the top ``depth`` layers that
have a kernel, cascading down from the logits, on a clone (the original, which other
sessions may share, is never touched); ``sanity_check`` computes the same method on both
and their Spearman rank correlation: near 1 means the map barely depends on what the
model learned.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import keras
import numpy as np

from cnnviz.data.pipeline import PIXEL_SCALE
from cnnviz.explain.saliency import DEFAULT_METHOD, Saliency, saliency_map
from cnnviz.models.layers import cached, trace

DEFAULT_DEPTH = 2  # the classifier and the last conv layer
LOW_CORRELATION = 0.5  # below this, the map clearly depends on the learned weights


@dataclass
class SanityCheck:
    """A method's map on the trained model and on its randomised copy, and how alike they rank."""

    trained: Saliency
    randomised: Saliency
    correlation: float  # Spearman's rho of the two maps' pixels
    layers: list[str]  # the layers whose weights were re-drawn, top first


def sanity_check(
    model: keras.Model, image: np.ndarray, method_key: str = DEFAULT_METHOD, class_index: int | None = None,
    *, depth: int = DEFAULT_DEPTH, scale: float = PIXEL_SCALE, options: dict[str, Any] | None = None,
) -> SanityCheck:
    """The method on the model and on a copy with its top ``depth`` kernel layers randomised."""
    trained = saliency_map(model, image, method_key, class_index, scale=scale, options=options)
    copy, layers = randomised_copy(model, depth)
    randomised = saliency_map(copy, image, method_key, trained.class_index, scale=scale, options=options)
    return SanityCheck(trained, randomised, spearman(trained.heatmap, randomised.heatmap), layers)


def randomised_copy(model: keras.Model, depth: int = DEFAULT_DEPTH, seed: int = 0) -> tuple[keras.Model, list[str]]:
    """A clone whose top ``depth`` layers with a kernel get random weights; cached per model.

    Each kernel is re-drawn from a normal distribution with the trained kernel's standard
    deviation (the scale stays, the learned structure goes); biases become zero.
    """
    return cached(model, ("randomised", depth, seed), lambda: _randomise(model, depth, seed))


def spearman(first: np.ndarray, second: np.ndarray) -> float:
    """Spearman's rank correlation of two equally shaped arrays (ties get their average rank)."""
    a, b = _ranks(np.ravel(first)), _ranks(np.ravel(second))
    a, b = a - a.mean(), b - b.mean()
    denominator = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return float((a * b).sum() / denominator) if denominator > 0 else 0.0


def _ranks(values: np.ndarray) -> np.ndarray:
    """1-based ranks, tied values sharing the mean of their ranks."""
    _unique, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    ends = np.cumsum(counts)
    return (ends - (counts - 1) / 2.0)[inverse].astype(np.float64)


def _randomise(model: keras.Model, depth: int, seed: int) -> tuple[keras.Model, list[str]]:
    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    rng = np.random.default_rng(seed)
    with_kernel = [(name, layer) for name, layer in trace(copy).layers.items() if getattr(layer, "kernel", None) is not None]
    chosen = with_kernel[::-1][:depth]
    for _name, layer in chosen:
        kernel = np.asarray(layer.kernel)
        layer.kernel.assign(rng.normal(0.0, float(kernel.std()) or 1.0, kernel.shape).astype(kernel.dtype))
        if getattr(layer, "bias", None) is not None:
            layer.bias.assign(np.zeros(layer.bias.shape, np.asarray(layer.bias).dtype))
    return copy, [name for name, _layer in chosen]
