"""Filter patterns: the input image that each filter of a conv layer responds to most.

Gradient ascent on the input maximises a filter's mean response over the central part of
its feature map (borders are cropped, as they see the image padding). Many filters are
optimised together as one batch (image i maximises filter i) inside one compiled
``tf.function``. The work per step is kept small: the model is cut at the target layer, and
most steps optimise a small canvas at the same pixel scale, which is then repeated (tiled)
up to the full size for the last steps: a filter's MEAN response does not depend on the
image size, so the full-size steps only have to mend the seams between the tiles.
Normalised gradients, random jitter and optional blur regularise.

The response is the filter's output BEFORE its activation function (for a Conv2D with a
fused ReLU): a filter that is silent on noise (ReLU output 0 everywhere) still has a
gradient and a measurable starting value. Quality is that response on the generated image
divided by its magnitude on the starting noise image (``FilterPattern.gain``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from cnnviz.models.layers import LayerInfo, cached, conv_layers, input_shape, trace
from cnnviz.i18n import _

if TYPE_CHECKING:
    import keras

GROUP_SIZE = 16  # filters optimised per batch; bounds memory for wide layers
CHUNK_STEPS = 4  # steps per call of the compiled ascent, between progress reports
BLUR_MIX = 0.3  # share of a 3x3 Gaussian blur mixed into the image after each step
OCTAVE_SCALE = 0.32  # each canvas side relative to the next one
FINAL_SHARE = 0.15  # share of the steps taken on the full-size image
QUALITY_BAR = 10.0


@dataclass(frozen=True)
class FilterSettings:
    """How to generate filter patterns; hashable, so results can be cached per settings."""

    steps: int = 24  # gradient steps in all, spread over the octaves
    step_size: float = 1.0  # root-mean-square change of a pixel per step (image in [0, 1])
    image_size: int = 128
    octaves: int = 2  # canvas sizes from small to image_size (1: full size throughout)
    jitter: int = 2  # random shift in pixels before each step
    blur: bool = False
    seed: int = 0


@dataclass
class FilterPattern:
    """One filter's generated image (border cropped) and its response before and after."""

    index: int
    image: np.ndarray  # uint8 (H, W, C)
    start: float  # mean response on the starting noise image
    final: float  # mean response on the generated image

    @property
    def gain(self) -> float:
        return float(response_gain(self.final, self.start))


def response_gain(final: float | np.ndarray, start: float | np.ndarray) -> float | np.ndarray:
    """A response as a multiple of the starting response's magnitude (guarded near zero)."""
    return final / (np.abs(start) + 1e-6)


def filter_patterns(
    model: keras.Model,
    layer_name: str,
    filters: Sequence[int],
    settings: FilterSettings = FilterSettings(),
    progress: Callable[[float], None] | None = None,
) -> list[FilterPattern]:
    """Patterns for the given filter indices of a conv layer, cached per model and settings."""
    key = ("patterns", layer_name, tuple(filters), settings)
    return cached(model, key, lambda: _generate(model, layer_name, list(filters), settings, progress))


def pattern_layers(model: keras.Model) -> list[LayerInfo]:
    """The Conv2D layers whose filters can be visualised, in order."""
    import keras

    record = trace(model)
    return [info for info in conv_layers(model) if isinstance(record.layers[info.name], keras.layers.Conv2D)]


def starting_noise(count: int, settings: FilterSettings, channels: int) -> np.ndarray:
    """Grey images with faint uniform noise, float32 (count, size, size, channels)."""
    rng = np.random.default_rng(settings.seed)
    size = settings.image_size
    return (0.5 + (rng.random((count, size, size, channels)) - 0.5) * 0.25).astype(np.float32)


def filter_response(model: keras.Model, layer_name: str, images: np.ndarray, filters: Sequence[int]) -> np.ndarray:
    """Each image's mean response of its own filter (image i, filters[i]) over the cropped map."""
    ascent = _ascent(model, layer_name)
    return ascent.response(images, ascent.one_hot(filters)).numpy()


def octave_plan(settings: FilterSettings, min_size: int) -> list[tuple[int, int]]:
    """(canvas side, steps) from the smallest canvas to the full image; small canvases get most steps."""
    full = settings.image_size
    sizes = sorted({min(full, max(min_size, round(full * OCTAVE_SCALE**k))) for k in range(settings.octaves)})
    final = max(1, round(settings.steps * FINAL_SHARE)) if len(sizes) > 1 else settings.steps
    early = np.diff(np.linspace(0, settings.steps - final, len(sizes)).round().astype(int))
    return [(size, int(n)) for size, n in zip(sizes, [*early, final]) if n > 0]


def deprocess(images: np.ndarray, border: float = 0.1) -> np.ndarray:
    """Optimised float images -> displayable uint8, each standardised, with borders cropped."""
    crop = int(images.shape[1] * border)
    images = images[:, crop : images.shape[1] - crop, crop : images.shape[2] - crop]
    mean = images.mean(axis=(1, 2, 3), keepdims=True)
    std = images.std(axis=(1, 2, 3), keepdims=True) + 1e-5
    return (np.clip((images - mean) / std * 0.15 + 0.5, 0, 1) * 255).astype(np.uint8)


def _generate(
    model: keras.Model, layer_name: str, filters: list[int], settings: FilterSettings,
    progress: Callable[[float], None] | None,
) -> list[FilterPattern]:
    ascent = _ascent(model, layer_name)
    bad = [f for f in filters if not 0 <= f < ascent.filters]
    if bad:
        raise ValueError(_("Layer {name} has filters 0 to {last}; got {bad}.").format(
            name=layer_name, last=ascent.filters - 1, bad=bad
        ))
    patterns: list[FilterPattern] = []
    for start in range(0, len(filters), GROUP_SIZE):
        group = filters[start : start + GROUP_SIZE]
        patterns += _generate_group(ascent, group, settings, _sub_progress(progress, start, len(group), len(filters)))
    return patterns


def _generate_group(
    ascent: _Ascent, filters: list[int], settings: FilterSettings, progress: Callable[[float], None]
) -> list[FilterPattern]:
    import tensorflow as tf

    one_hot = ascent.one_hot(filters)
    noise = starting_noise(len(filters), settings, ascent.channels)
    plan = octave_plan(settings, ascent.min_size)
    rng = np.random.default_rng(settings.seed)
    images, done = tf.constant(noise[:, : plan[0][0], : plan[0][0]]), 0
    for size, steps in plan:
        images = _tile(images, size)
        for chunk in np.array_split(np.arange(steps), -(-steps // CHUNK_STEPS)):
            shifts = rng.integers(-settings.jitter, settings.jitter + 1, size=(len(chunk), 2)).astype(np.int32)
            images = ascent.ascend(images, one_hot, shifts, np.float32(settings.step_size),
                                   np.float32(BLUR_MIX if settings.blur else 0.0))
            done += len(chunk)
            progress(done / settings.steps)
    start, final = ascent.response(noise, one_hot).numpy(), ascent.response(images, one_hot).numpy()
    pictures = deprocess(images.numpy())
    return [FilterPattern(f, pictures[i], float(start[i]), float(final[i])) for i, f in enumerate(filters)]


def _tile(images: Any, size: int) -> Any:
    """Repeat a canvas periodically up to ``size`` pixels a side (keeps the pattern's scale)."""
    import tensorflow as tf

    reps = -(-size // int(images.shape[1]))
    return tf.tile(images, [1, reps, reps, 1])[:, :size, :size]


def _sub_progress(
    progress: Callable[[float], None] | None, start: int, size: int, total: int
) -> Callable[[float], None]:
    """Progress of one group of filters, reported as progress of the whole job."""
    return lambda fraction: progress((start + fraction * size) / total) if progress else None


@dataclass
class _Ascent:
    """The compiled functions for one model and conv layer."""

    response: Any  # (images, one_hot) -> (N,) mean response of each image's filter
    ascend: Any  # (images, one_hot, shifts, step_size, blur_mix) -> images after len(shifts) steps
    filters: int
    channels: int
    min_size: int  # the smallest image side that keeps a few pixels of the layer's map

    def one_hot(self, filters: Sequence[int]) -> np.ndarray:
        return np.eye(self.filters, dtype=np.float32)[list(filters)]


def _ascent(model: keras.Model, layer_name: str) -> _Ascent:
    return cached(model, ("ascent", layer_name), lambda: _compile(model, layer_name))


def _compile(model: keras.Model, layer_name: str) -> _Ascent:
    """Cut the model at the layer (on a size-free input) and compile response and ascent."""
    import keras
    import tensorflow as tf

    height, _width, channels = input_shape(model)
    fixed = trace(model)
    layer = fixed.layers.get(layer_name)
    if layer is None or not isinstance(layer, keras.layers.Conv2D):
        raise ValueError(_("{name} is not a Conv2D layer of this model.").format(name=layer_name))
    free = trace(model, (None, None, channels))
    trunk = keras.Model(free.input, free.inputs[layer_name])
    spec = tf.TensorSpec([None, None, None, channels], tf.float32)
    hot_spec = tf.TensorSpec([None, layer.filters], tf.float32)

    def mean_response(images: tf.Tensor, one_hot: tf.Tensor) -> tf.Tensor:
        maps = _pre_activation(layer, trunk(images, training=False))
        border = tf.shape(maps)[1] // 8
        central = maps[:, border : tf.shape(maps)[1] - border, border : tf.shape(maps)[2] - border]
        return tf.reduce_sum(tf.reduce_mean(central, axis=(1, 2)) * one_hot, axis=-1)

    @tf.function(input_signature=[spec, hot_spec, tf.TensorSpec([None, 2], tf.int32),
                                  tf.TensorSpec([], tf.float32), tf.TensorSpec([], tf.float32)])
    def ascend(images, one_hot, shifts, step_size, blur_mix):
        for i in tf.range(tf.shape(shifts)[0]):
            moved = tf.roll(images, shifts[i], axis=[1, 2])
            with tf.GradientTape() as tape:
                tape.watch(moved)
                loss = tf.reduce_sum(mean_response(moved, one_hot))
            grads = tape.gradient(loss, moved)
            grads /= tf.sqrt(tf.reduce_mean(grads**2, axis=(1, 2, 3), keepdims=True)) + 1e-8
            images = tf.roll(moved + step_size * grads, -shifts[i], axis=[1, 2])
            images = (1.0 - blur_mix) * images + blur_mix * _blur(images)
        return images

    factor = height / fixed.outputs[layer_name].shape[1]
    return _Ascent(tf.function(mean_response, input_signature=[spec, hot_spec]), ascend,
                   layer.filters, channels, int(np.ceil(factor * 6)))


def _pre_activation(layer: keras.Layer, inputs: Any) -> Any:
    """A Conv2D layer's output without its activation function (channels-last)."""
    outputs = layer.convolution_op(inputs, layer.kernel)
    return outputs + layer.bias if layer.use_bias else outputs


def _blur(images: Any) -> Any:
    """A 3x3 Gaussian blur of each channel, edges reflected."""
    import tensorflow as tf

    weights = tf.constant([1.0, 2.0, 1.0])
    kernel = tf.tensordot(weights, weights, axes=0) / 16.0
    kernel = tf.tile(kernel[:, :, None, None], [1, 1, images.shape[-1], 1])
    padded = tf.pad(images, [[0, 0], [1, 1], [1, 1], [0, 0]], mode="REFLECT")
    return tf.nn.depthwise_conv2d(padded, kernel, strides=[1, 1, 1, 1], padding="VALID")
