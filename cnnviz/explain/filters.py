"""Filter patterns and class patterns: the input a filter (or a class score) responds to most.

The images are optimised with the feature-visualisation recipe of ``feature_vis`` (Fourier
parameterisation with a 1/f spectrum, decorrelated colour, transformation robustness, all
filters as one batch in one compiled function). A filter's objective is its mean response
over the central part of its feature map (borders see the image padding), taken BEFORE
its activation function: a filter that is silent on grey (ReLU output 0 everywhere) still
has a gradient. A class's objective is its logit (the score before the softmax).

Quality is the response on the pattern divided by its magnitude on a near-grey starting
image (``FilterPattern.gain``); ``pattern_quality`` checks tiling and high frequencies.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from cnnviz.explain.feature_vis import Robustness, Visualiser, compile_visualiser, optimise
from cnnviz.explain.scores import class_scores
from cnnviz.i18n import _
from cnnviz.models.layers import LayerInfo, cached, conv_layers, input_shape, trace

GROUP_SIZE = 32  # filters optimised per batch; bounds memory for wide layers
CHUNK_STEPS = 8  # steps per call of the compiled ascent, between progress reports
QUALITY_BAR = 10.0
DISPLAY_PERCENTILES = (0.5, 99.5)  # the contrast stretch for display clips only these extremes
BORDER = 0.125  # share of each side cropped for display: the objective ignores the map's outer eighth


@dataclass(frozen=True)
class FilterSettings:
    """How to generate patterns; hashable, so results can be cached per settings."""

    steps: int = 12
    learning_rate: float = 1.5  # Adam's step on the Fourier coefficients
    image_size: int = 128
    decay: float = 1.0  # spectrum amplitude ~ 1 / frequency ** decay (0: plain pixels' statistics)
    robustness: Robustness = Robustness()
    seed: int = 0


@dataclass
class FilterPattern:
    """One filter's (or class's) generated image and its response before and after."""

    index: int
    image: np.ndarray  # uint8 (H, W, C), contrast-stretched for display
    start: float  # mean response on the near-grey starting image
    final: float  # mean response on the generated image
    raw: np.ndarray | None = None  # float32 (H, W, C): the optimised image (grey 0.5), same crop as ``image``

    @property
    def gain(self) -> float:
        return float(response_gain(self.final, self.start))

    @property
    def fires(self) -> bool:
        """Whether the pattern makes the filter's response positive (a ReLU after it would pass it).

        A filter that stays negative even on its own pattern is silent (dead): no input the
        ascent finds makes it fire, so its gain cannot reach the bar and is not a failure of
        the picture.
        """
        return self.final > 0


def response_gain(final: float | np.ndarray, start: float | np.ndarray) -> float | np.ndarray:
    """A response as a multiple of the starting response's magnitude (guarded near zero)."""
    return final / (np.abs(start) + 1e-6)


def filter_patterns(
    model: keras.Model, layer_name: str, filters: Sequence[int], settings: FilterSettings = FilterSettings(),
    progress: Callable[[float], None] | None = None,
) -> list[FilterPattern]:
    """Patterns for the given filter indices of a conv layer, cached per model and settings."""
    key = ("patterns", layer_name, tuple(filters), settings)
    return cached(model, key, lambda: _filter_patterns(model, layer_name, list(filters), settings, progress))


def class_pattern(
    model: keras.Model, class_index: int, settings: FilterSettings = FilterSettings(),
    progress: Callable[[float], None] | None = None,
) -> FilterPattern:
    """The input that maximises one class's logit, at the model's input size; cached per settings."""
    key = ("class pattern", class_index, settings)
    return cached(model, key, lambda: _class_pattern(model, class_index, settings, progress))


def pattern_layers(model: keras.Model) -> list[LayerInfo]:
    """The Conv2D layers whose filters can be visualised, in order."""
    record = trace(model)
    return [info for info in conv_layers(model) if isinstance(record.layers[info.name], keras.layers.Conv2D)]


def starting_noise(count: int, settings: FilterSettings, channels: int) -> np.ndarray:
    """The reference images for the gain: grey with faint uniform noise, float32 (count, size, size, C)."""
    rng = np.random.default_rng(settings.seed)
    size = settings.image_size
    return (0.5 + (rng.random((count, size, size, channels)) - 0.5) * 0.25).astype(np.float32)


def filter_response(model: keras.Model, layer_name: str, images: np.ndarray, filters: Sequence[int]) -> np.ndarray:
    """Each image's mean response of its own filter (image i, filters[i]) over the cropped map."""
    target = _filter_target(model, layer_name)
    return target.response(np.asarray(images, np.float32), target.one_hot(filters)).numpy()


def crop_border(images: np.ndarray, border: float = BORDER) -> np.ndarray:
    """A batch (N, H, W, C) without ``border`` of each side."""
    rows, columns = int(images.shape[1] * border), int(images.shape[2] * border)
    return images[:, rows : images.shape[1] - rows, columns : images.shape[2] - columns]


def deprocess(images: np.ndarray) -> np.ndarray:
    """Optimised float images -> uint8, each stretched between its 0.5th and 99.5th percentile."""
    low, high = (np.percentile(images, q, axis=(1, 2, 3), keepdims=True) for q in DISPLAY_PERCENTILES)
    stretched = (images - low) / np.maximum(high - low, 1e-6)
    return (np.clip(stretched, 0.0, 1.0) * 255).round().astype(np.uint8)


def _filter_patterns(
    model: keras.Model, layer_name: str, filters: list[int], settings: FilterSettings,
    progress: Callable[[float], None] | None,
) -> list[FilterPattern]:
    target = _filter_target(model, layer_name)
    bad = [f for f in filters if not 0 <= f < target.filters]
    if bad:
        raise ValueError(_("Layer {name} has filters 0 to {last}; got {bad}.").format(
            name=layer_name, last=target.filters - 1, bad=bad))
    visualiser = cached(model, ("visualiser", layer_name, settings.image_size, settings.decay, settings.robustness),
                        lambda: compile_visualiser(target.response, settings.image_size, target.channels,
                                                   settings.decay, settings.robustness, target.filters))
    patterns: list[FilterPattern] = []
    for start in range(0, len(filters), GROUP_SIZE):
        group = filters[start : start + GROUP_SIZE]
        report = _sub_progress(progress, start, len(group), len(filters))
        patterns += _optimised(visualiser, target.response, target.one_hot(group), group, target.channels,
                               settings, report)
    return patterns


def _class_pattern(
    model: keras.Model, class_index: int, settings: FilterSettings, progress: Callable[[float], None] | None,
) -> FilterPattern:
    height, _width, channels = input_shape(model)
    settings = FilterSettings(**{**settings.__dict__, "image_size": height})
    scores = class_scores(model)
    classes = int(scores(np.zeros((1, *input_shape(model)), np.float32)).shape[-1])
    if not 0 <= class_index < classes:
        raise ValueError(_("This model has classes 0 to {last}; got {bad}.").format(last=classes - 1, bad=class_index))

    def logit(images: Any, one_hot: Any) -> Any:
        return tf.reduce_sum(scores(images) * one_hot, axis=-1)

    visualiser = cached(model, ("class visualiser", height, settings.decay, settings.robustness),
                        lambda: compile_visualiser(logit, height, channels, settings.decay, settings.robustness, classes))
    one_hot = np.eye(classes, dtype=np.float32)[[class_index]]
    report = progress or (lambda fraction: None)
    [pattern] = _optimised(visualiser, logit, one_hot, [class_index], channels, settings, report)
    return pattern


def _optimised(visualiser: Visualiser, objective: Any, one_hot: np.ndarray, indices: list[int], channels: int,
               settings: FilterSettings, progress: Callable[[float], None]) -> list[FilterPattern]:
    """Optimise one batch and score it against the starting images."""
    images = optimise(visualiser, one_hot, channels, settings.image_size, settings.steps, settings.learning_rate,
                      settings.seed, CHUNK_STEPS, progress)
    start = np.asarray(objective(starting_noise(len(indices), settings, channels), one_hot))
    final = np.asarray(objective(images, one_hot))
    cropped = crop_border(images)
    pictures = deprocess(cropped)
    return [FilterPattern(index, pictures[i], float(start[i]), float(final[i]), cropped[i])
            for i, index in enumerate(indices)]


def _sub_progress(
    progress: Callable[[float], None] | None, start: int, size: int, total: int
) -> Callable[[float], None]:
    """Progress of one group of filters, reported as progress of the whole job."""
    return lambda fraction: progress((start + fraction * size) / total) if progress else None


@dataclass
class _FilterTarget:
    """One conv layer's filters as objectives: mean pre-activation response over the cropped map."""

    response: Any  # (images, one_hot) -> (N,) mean response of each image's filter
    filters: int
    channels: int

    def one_hot(self, filters: Sequence[int]) -> np.ndarray:
        return np.eye(self.filters, dtype=np.float32)[list(filters)]


def _filter_target(model: keras.Model, layer_name: str) -> _FilterTarget:
    return cached(model, ("filter target", layer_name), lambda: _compile_target(model, layer_name))


def _compile_target(model: keras.Model, layer_name: str) -> _FilterTarget:
    """Cut the model at the layer (on a size-free input) and compile the response."""
    _height, _width, channels = input_shape(model)
    layer = trace(model).layers.get(layer_name)
    if layer is None or not isinstance(layer, keras.layers.Conv2D):
        raise ValueError(_("{name} is not a Conv2D layer of this model.").format(name=layer_name))
    free = trace(model, (None, None, channels))
    trunk = keras.Model(free.input, free.inputs[layer_name])

    def mean_response(images: tf.Tensor, one_hot: tf.Tensor) -> tf.Tensor:
        maps = tf.cast(_pre_activation(layer, trunk(images, training=False)), tf.float32)
        border = tf.shape(maps)[1] // 8
        central = maps[:, border : tf.shape(maps)[1] - border, border : tf.shape(maps)[2] - border]
        return tf.reduce_sum(tf.reduce_mean(central, axis=(1, 2)) * one_hot, axis=-1)

    spec = [tf.TensorSpec([None, None, None, channels], tf.float32), tf.TensorSpec([None, layer.filters], tf.float32)]
    return _FilterTarget(tf.function(mean_response, input_signature=spec), layer.filters, channels)


def _pre_activation(layer: keras.Layer, inputs: Any) -> Any:
    """A Conv2D layer's output without its activation function (channels-last)."""
    outputs = layer.convolution_op(inputs, layer.kernel)
    return outputs + layer.bias if layer.use_bias else outputs
