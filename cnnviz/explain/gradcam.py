"""Grad-CAM and Grad-CAM++: where in the image the model looked to score a class.

Usage: ``gradcam_overlay(model, image)`` with a uint8 image shaped like the model's input
gives the heatmap, a coloured overlay and the class probabilities. The gradient function is
compiled once per model, layer and method (see ``cnnviz.models.layers.cached``), so later calls cost
one forward and a partial backward pass.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import cv2
import keras
import numpy as np
import tensorflow as tf

from cnnviz.data.pipeline import PIXEL_SCALE, to_model_input
from cnnviz.explain.activations import as_rgb, colorize
from cnnviz.explain.scores import score_head
from cnnviz.i18n import _
from cnnviz.models.layers import cached, last_conv_layer, trace

DEFAULT_OPACITY = 0.4


@dataclass
class GradCam:
    """One explanation: heatmap and overlay at the display image's size."""

    heatmap: np.ndarray  # float32 (H, W) in [0, 1]
    overlay: np.ndarray  # uint8 (H, W, 3) RGB
    class_index: int
    probabilities: np.ndarray  # float32 (num_classes,)
    layer_name: str


def gradcam_overlay(
    model: keras.Model,
    image: np.ndarray,
    class_index: int | None = None,
    *,
    layer_name: str | None = None,
    plus_plus: bool = False,
    opacity: float = DEFAULT_OPACITY,
    colormap: str = "jet",
    display: np.ndarray | None = None,
    scale: float = PIXEL_SCALE,
) -> GradCam:
    """Grad-CAM for ``class_index`` (default: the predicted class) of a uint8 (H, W, C) image.

    ``image`` must match the model's input shape and ``scale`` is the run's pixel scale; the
    overlay is drawn on ``display`` (default: ``image``), which may be any size, e.g. the
    original photo. The layer defaults to the last convolutional layer (raises
    NoConvLayerError when there is none).
    """
    layer_name = layer_name or last_conv_layer(model)
    cam, probabilities = compute_heatmap(
        model, image, class_index, layer_name=layer_name, plus_plus=plus_plus, scale=scale
    )
    chosen = int(np.argmax(probabilities)) if class_index is None else int(class_index)
    heatmap, overlay = overlay_heatmap(image if display is None else display, cam, opacity, colormap)
    return GradCam(heatmap, overlay, chosen, probabilities, layer_name)


def compute_heatmap(
    model: keras.Model,
    image: np.ndarray,
    class_index: int | None = None,
    *,
    layer_name: str,
    plus_plus: bool = False,
    scale: float = PIXEL_SCALE,
) -> tuple[np.ndarray, np.ndarray]:
    """The class activation map at the layer's resolution (max 1) and the class probabilities."""
    batch = to_model_input(np.asarray(image)[np.newaxis], scale)
    cam, probabilities = _explainer(model, layer_name, plus_plus)(batch, np.int32(-1 if class_index is None else class_index))
    return cam.numpy(), probabilities.numpy()


def layer_gradcam(model: keras.Model, batch: np.ndarray, class_index: int, options: Mapping[str, Any]) -> np.ndarray:
    """Grad-CAM (``plus_plus`` option: Grad-CAM++) at the ``layer_name`` option's resolution (default: last conv)."""
    layer_name = options.get("layer_name") or last_conv_layer(model)
    return _explainer(model, layer_name, bool(options.get("plus_plus", False)))(batch, np.int32(class_index))[0].numpy()


def overlay_heatmap(
    image: np.ndarray, cam: np.ndarray, opacity: float = DEFAULT_OPACITY, colormap: str = "jet"
) -> tuple[np.ndarray, np.ndarray]:
    """The heatmap resized to the image, and the image blended with it in a colour map."""
    height, width = image.shape[:2]
    heatmap = cv2.resize(cam.astype(np.float32), (width, height), interpolation=cv2.INTER_LINEAR)
    overlay = cv2.addWeighted(as_rgb(image), 1.0 - opacity, colorize(heatmap, colormap), opacity, 0.0)
    return heatmap, overlay


def mass_inside(heatmap: np.ndarray, box: np.ndarray) -> float:
    """The fraction of the heatmap's total mass inside an (x0, y0, x1, y1) pixel box."""
    x0, y0, x1, y1 = (int(v) for v in box)
    total = float(heatmap.sum())
    return float(heatmap[y0 : y1 + 1, x0 : x1 + 1].sum()) / total if total > 0 else 0.0


def _explainer(model: keras.Model, layer_name: str, plus_plus: bool) -> Any:
    """The compiled Grad-CAM function for one layer and method, cached per model."""
    return cached(model, ("gradcam", layer_name, plus_plus), lambda: _compile(model, layer_name, plus_plus))


def _compile(model: keras.Model, layer_name: str, plus_plus: bool) -> Any:
    """A tf.function (image batch of 1, class or -1) -> (cam, probabilities) for one layer."""
    record = trace(model)
    if layer_name not in record.outputs:
        raise KeyError(_("No layer named {names} in this model.").format(names=layer_name))
    head, head_input = score_head(record)
    grad_model = keras.Model(record.input, [record.outputs[layer_name], head_input])
    weigh = _plus_plus_weights if plus_plus else _grad_weights

    @tf.function(input_signature=[
        tf.TensorSpec([1, *record.input.shape[1:]], tf.float32), tf.TensorSpec([], tf.int32)
    ])
    def explain(batch: tf.Tensor, class_index: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        with tf.GradientTape() as tape:
            features, scores_input = grad_model(batch, training=False)
            logits = tf.cast(head(scores_input), tf.float32)
            chosen = tf.where(class_index < 0, tf.argmax(logits[0], output_type=tf.int32), class_index)
            score = logits[0, chosen]
        grads = tf.cast(tape.gradient(score, features), tf.float32)
        features = tf.cast(features, tf.float32)
        cam = tf.nn.relu(tf.reduce_sum(weigh(features, grads) * features, axis=-1))[0]
        return cam / (tf.reduce_max(cam) + 1e-8), tf.nn.softmax(logits[0])

    return explain


def _grad_weights(features: Any, grads: Any) -> Any:
    """Grad-CAM: each channel weighted by its spatially averaged gradient."""
    return tf.reduce_mean(grads, axis=(1, 2), keepdims=True)


def _plus_plus_weights(features: Any, grads: Any) -> Any:
    """Grad-CAM++ (Chattopadhay et al. 2018), higher derivatives via the exponential trick."""
    second, third = grads**2, grads**3
    spatial_sum = tf.reduce_sum(features, axis=(1, 2), keepdims=True)
    denominator = 2.0 * second + spatial_sum * third
    alphas = second / tf.where(denominator != 0.0, denominator, tf.ones_like(denominator))
    return tf.reduce_sum(alphas * tf.nn.relu(grads), axis=(1, 2), keepdims=True)
