"""Grad-CAM: class choice, overlays, nested bases (tests/test_saliency.py checks that it points at the shape)."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from cnnviz.explain.activations import colorize
from cnnviz.explain.gradcam import gradcam_overlay
from cnnviz.models.layers import NoConvLayerError
from cnnviz.models.predictions import top_classes


def test_predicted_class_probabilities_and_an_unchanged_model(trained_shapes):
    run, dataset = trained_shapes
    image = dataset.test.x[0]
    expected = run.model.predict(image[np.newaxis] / 255.0, verbose=0)[0]
    cam = gradcam_overlay(run.model, image)
    np.testing.assert_allclose(cam.probabilities, expected, atol=1e-5)
    assert cam.class_index == int(np.argmax(expected))
    other = (cam.class_index + 1) % dataset.num_classes
    assert gradcam_overlay(run.model, image, other).class_index == other
    assert run.model.layers[-1].activation.__name__ == "softmax"  # logits computed beside, not by mutation
    np.testing.assert_allclose(run.model.predict(image[np.newaxis] / 255.0, verbose=0)[0], expected, atol=1e-6)


def test_overlay_opacity_and_display_size(trained_shapes):
    run, dataset = trained_shapes
    image = dataset.test.x[1]
    clear = gradcam_overlay(run.model, image, opacity=0.0)
    np.testing.assert_array_equal(clear.overlay, image)
    full = gradcam_overlay(run.model, image, opacity=1.0, colormap="viridis")
    np.testing.assert_array_equal(full.overlay, colorize(full.heatmap, "viridis"))
    big = np.zeros((90, 120, 3), np.uint8)
    shown = gradcam_overlay(run.model, image, display=big)
    assert shown.heatmap.shape == (90, 120) and shown.overlay.shape == (90, 120, 3)
    assert 0.0 <= shown.heatmap.min() and shown.heatmap.max() <= 1.0


def test_top_classes_are_sorted():
    assert top_classes(np.array([0.1, 0.6, 0.05, 0.25])) == [(1, 0.6), (3, 0.25), (0, 0.1)]


def _mobilenet(functional: bool) -> keras.Model:
    base = keras.applications.MobileNetV2(include_top=False, weights=None, input_shape=(32, 32, 3))
    if not functional:
        return keras.Sequential([keras.Input((32, 32, 3)), base, keras.layers.GlobalAveragePooling2D(),
                                 keras.layers.Dense(3, activation="softmax")])
    inputs = keras.Input((32, 32, 3))
    features = keras.layers.GlobalAveragePooling2D()(base(inputs, training=False))
    return keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(features))


@pytest.mark.parametrize("functional", [False, True], ids=["sequential", "functional"])
def test_nested_mobilenetv2_base(functional):
    """Conv layers inside a nested keras.applications base are found and differentiable."""
    model = _mobilenet(functional)
    image = np.random.default_rng(0).integers(0, 256, (32, 32, 3), dtype=np.uint8)
    cam = gradcam_overlay(model, image, plus_plus=functional)
    assert cam.layer_name == "Conv_1"
    assert cam.heatmap.shape == (32, 32) and cam.overlay.shape == (32, 32, 3)
    np.testing.assert_allclose(cam.probabilities, model(image[np.newaxis] / 255.0)[0], atol=1e-5)
    inner = gradcam_overlay(model, image, 2, layer_name="block_3_expand")
    assert inner.heatmap.shape == (32, 32) and np.isfinite(inner.heatmap).all()


def test_model_without_conv_layer_gets_a_clear_message():
    model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Flatten(), keras.layers.Dense(2, activation="softmax")])
    with pytest.raises(NoConvLayerError, match="no convolutional layer"):
        gradcam_overlay(model, np.zeros((8, 8, 1), np.uint8))


def test_one_sigmoid_unit_gives_two_classes():
    model = keras.Sequential([keras.Input((16, 16, 1)), keras.layers.Conv2D(4, 3, activation="relu"),
                              keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(1, activation="sigmoid")])
    image = np.random.default_rng(1).integers(0, 256, (16, 16, 1), dtype=np.uint8)
    p = float(model(image[np.newaxis] / 255.0)[0, 0])
    cam = gradcam_overlay(model, image)
    np.testing.assert_allclose(cam.probabilities, [1 - p, p], atol=1e-5)
    assert cam.overlay.shape == (16, 16, 3) and cam.class_index == int(p > 0.5)
