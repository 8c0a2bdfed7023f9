"""Saliency maps behind one interface: "where in the image did the model look for this class?".

Every method takes the model, one model-input image (a float32 batch of one), the target
class and its options, and returns a non-negative map the size of the image. ``METHODS``
is the registry (keys are stable identifiers; labels and the one-sentence explanations are
translated at display). ``saliency_map`` is the one entry point: it scales the uint8
image, picks the predicted class when none is given, and normalises the map to [0, 1].

    result = saliency_map(model, image, "occlusion")        # result.heatmap: (H, W) in [0, 1]
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import cv2
import keras
import numpy as np

from cnnviz.data.pipeline import PIXEL_SCALE, to_model_input
from cnnviz.explain import gradients, perturbation
from cnnviz.explain.gradcam import layer_gradcam
from cnnviz.explain.scores import class_scores, softmax
from cnnviz.i18n import N_, _
from cnnviz.registry import Registry

# (model, batch of one float32 image, class index, options) -> map (H, W), any resolution, >= 0
Compute = Callable[[keras.Model, np.ndarray, int, Mapping[str, Any]], np.ndarray]


@dataclass(frozen=True)
class Method:
    """One way to explain a prediction: a name, one sentence on how it works, the computation."""

    key: str
    label: str  # N_() text
    how: str  # N_() text: one sentence a student can follow
    compute: Compute
    defaults: Mapping[str, Any] = field(default_factory=dict)
    needs_conv_layer: bool = False  # takes a ``layer_name`` option (default: the last conv layer)


@dataclass
class Saliency:
    """One map: (H, W) float32 in [0, 1] at the model input's size, and what it explains."""

    heatmap: np.ndarray
    method: str
    class_index: int
    probabilities: np.ndarray  # float32 (num_classes,)


METHODS: Registry[Method] = Registry("explanation method")
METHODS.register(Method("gradcam", N_("Grad-CAM"), N_(
    "Weighs the last conv layer's feature maps by how much the class score rises with each, "
    "and adds them up."), layer_gradcam, {"plus_plus": False}, needs_conv_layer=True))  # fmt: skip
METHODS.register(Method("gradcam_plus_plus", N_("Grad-CAM++"), N_(
    "Like Grad-CAM, but weighs each position of a feature map too, so several objects "
    "of the same class all light up."), layer_gradcam, {"plus_plus": True}, needs_conv_layer=True))  # fmt: skip
METHODS.register(Method("score_cam", N_("Score-CAM"), N_(
    "Shows the image through each feature map as a mask and weighs the map by how much "
    "the class score rises; no gradients at all."), perturbation.score_cam,
    {"masks": 32, "batch": 32}, needs_conv_layer=True))  # fmt: skip
METHODS.register(Method("gradients", N_("Vanilla gradients"), N_(
    "How much the class score changes when one pixel changes a little."), gradients.vanilla))  # fmt: skip
METHODS.register(Method("smoothgrad", N_("SmoothGrad"), N_(
    "Vanilla gradients averaged over noisy copies of the image, which removes most of their "
    "speckle."), gradients.smoothgrad, {"samples": 16, "noise": 0.15}))  # fmt: skip
METHODS.register(Method("integrated_gradients", N_("Integrated Gradients"), N_(
    "Adds up the gradients along a path from a black image to this one, so the pixels' "
    "shares add up to the change in the class score."), gradients.integrated, {"steps": 16}))  # fmt: skip
METHODS.register(Method("occlusion", N_("Occlusion"), N_(
    "Covers one patch of the image at a time with grey and measures how much the class "
    "score drops; it works for any model."), perturbation.occlusion,
    {"window": 0.2, "stride": 0.5, "batch": 64}))  # fmt: skip


DEFAULT_METHOD = "gradcam"


def method_keys() -> list[str]:
    """The registered methods' keys, in display order."""
    return list(METHODS)


def method(key: str) -> Method:
    """The registered method with this key; ValueError naming the known keys otherwise."""
    if key not in METHODS:
        raise ValueError(_("Unknown explanation method {key}; known methods: {known}.").format(
            key=key, known=", ".join(METHODS)))
    return METHODS[key]


def saliency_map(
    model: keras.Model,
    image: np.ndarray,
    method_key: str = DEFAULT_METHOD,
    class_index: int | None = None,
    *,
    scale: float = PIXEL_SCALE,
    options: Mapping[str, Any] | None = None,
) -> Saliency:
    """The map of ``method_key`` for ``class_index`` (default: the predicted class) of a uint8 image.

    ``image`` (H, W, C) must match the model's input shape; ``scale`` is the run's pixel
    scale; ``options`` override the method's defaults. Raises ValueError for an unknown
    method, NoConvLayerError for a CAM method on a model without conv layers.
    """
    chosen_method = method(method_key)
    batch = to_model_input(np.asarray(image)[np.newaxis], scale)
    probabilities = class_probabilities(model, batch)
    chosen = int(np.argmax(probabilities)) if class_index is None else int(class_index)
    raw = chosen_method.compute(model, batch, chosen, {**chosen_method.defaults, **(options or {})})
    return Saliency(resize_and_normalise(raw, image.shape[:2]), method_key, chosen, probabilities)


def class_probabilities(model: keras.Model, batch: np.ndarray) -> np.ndarray:
    """Softmax of the logits ``class_scores`` gives, for a batch of one: (num_classes,) float32."""
    return softmax(np.asarray(class_scores(model)(batch), dtype=np.float64)[0]).astype(np.float32)


def resize_and_normalise(raw: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """A non-negative map resized (bilinear) to (height, width) and scaled so its maximum is 1."""
    height, width = size
    resized = cv2.resize(np.asarray(raw, np.float32), (width, height), interpolation=cv2.INTER_LINEAR)
    resized = np.maximum(np.nan_to_num(resized), 0.0)
    peak = float(resized.max())
    return resized / peak if peak > 0 else resized


def mass_centre(heatmap: np.ndarray) -> tuple[float, float]:
    """The map's mass-weighted centre (x, y) in pixels; the image centre for an empty map."""
    height, width = heatmap.shape
    total = float(heatmap.sum())
    if total <= 0:
        return (width - 1) / 2, (height - 1) / 2
    rows, columns = np.indices(heatmap.shape)
    return float((columns * heatmap).sum() / total), float((rows * heatmap).sum() / total)
