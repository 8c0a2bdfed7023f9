"""Feature visualisation: images optimised to excite a network, with the settled recipe.

The recipe of Olah et al. (Distill 2017, "Feature Visualization") and the lucid/lucent
libraries, written as ONE compiled TensorFlow function that optimises a whole batch:

- the image is parameterised in Fourier space, each frequency's amplitude scaled by
  1/frequency (``decay``), so the optimiser moves broad structure as easily as fine detail
  and high-frequency noise no longer wins;
- colours go through a fixed colour-correlation matrix (measured on ImageNet), so the
  optimiser works on decorrelated colours; the result is added to grey (0.5) and NOT
  squashed into [0, 1]: as in the pixel-space loops it replaces, contrast may grow (a
  filter's response grows with it), and display stretches each image;
- every step sees the image padded, jittered, slightly scaled and rotated (transformation
  robustness), so only patterns that survive small changes grow;
- Adam ascends all images of the batch at once (image i maximises objective i).

A grayscale model (1 channel) skips the colour matrix. No tiling: every image is
optimised at its full size.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np
import tensorflow as tf

# lucid's colour correlation (square root of the ImageNet colour covariance), columns normalised
COLOUR_CORRELATION_SQRT = np.array([[0.26, 0.09, 0.02], [0.27, 0.00, -0.05], [0.27, -0.09, 0.03]], np.float32)
COLOUR_CORRELATION = COLOUR_CORRELATION_SQRT / np.max(np.linalg.norm(COLOUR_CORRELATION_SQRT, axis=0))
SPECTRUM_INIT_STD = 0.01
FOURIER_MAGIC = 4.0  # lucid's divisor after the inverse FFT: keeps the start near grey
ADAM_BETAS = (0.9, 0.999)

# (images (N, H, W, C) in [0, 1], one-hot targets (N, K)) -> (N,) objective to maximise
Objective = Callable[[Any, Any], Any]


@dataclass(frozen=True)
class Robustness:
    """The random change each step applies (sizes as shares of the image side)."""

    pad: float = 0.06
    jitter: float = 0.04
    scale: float = 0.05  # scales drawn from [1 - scale, 1 + scale]
    degrees: float = 5.0  # rotations drawn from [-degrees, degrees]


def spectrum_scale(size: int, decay: float) -> np.ndarray:
    """Each rFFT coefficient's scale, 1 / frequency ** decay (times sqrt(pixels): a unitary transform)."""
    rows = np.fft.fftfreq(size)[:, None]
    columns = np.fft.rfftfreq(size)[None, :]
    frequencies = np.sqrt(rows**2 + columns**2)
    return (np.sqrt(size * size) / np.maximum(frequencies, 1.0 / size) ** decay).astype(np.float32)


def initial_spectrum(count: int, channels: int, size: int, seed: int) -> np.ndarray:
    """Small random Fourier coefficients (real and imaginary parts last): (N, C, size, size//2+1, 2)."""
    rng = np.random.default_rng(seed)
    return rng.normal(0.0, SPECTRUM_INIT_STD, (count, channels, size, size // 2 + 1, 2)).astype(np.float32)


@dataclass
class Visualiser:
    """Compiled functions for one objective at one image size."""

    ascend: Any  # (spectrum, m, v, one_hot, first_step, steps, learning_rate, seed) -> (spectrum, m, v)
    render: Any  # spectrum -> images (N, size, size, C), grey 0.5 plus the pattern


def compile_visualiser(objective: Objective, size: int, channels: int, decay: float,
                       robustness: Robustness, targets: int) -> Visualiser:
    """The batched Adam ascent of ``objective`` over Fourier-parameterised images."""
    scale = tf.constant(spectrum_scale(size, decay)[None, None])
    colour = tf.constant(COLOUR_CORRELATION.T)
    spectrum_spec = tf.TensorSpec([None, channels, size, size // 2 + 1, 2], tf.float32)

    def render(spectrum: tf.Tensor) -> tf.Tensor:
        coefficients = tf.complex(spectrum[..., 0] * scale, spectrum[..., 1] * scale)
        planes = tf.signal.irfft2d(coefficients, fft_length=[size, size]) / FOURIER_MAGIC
        images = tf.transpose(planes, [0, 2, 3, 1])
        if channels == 3:
            images = tf.reshape(tf.reshape(images, [-1, 3]) @ colour, tf.shape(images))
        return 0.5 + images

    def robust(images: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
        return _randomly_transformed(images, size, robustness, seed)

    @tf.function(input_signature=[spectrum_spec, spectrum_spec, spectrum_spec, tf.TensorSpec([None, targets], tf.float32),
                                  tf.TensorSpec([], tf.int32), tf.TensorSpec([], tf.int32),
                                  tf.TensorSpec([], tf.float32), tf.TensorSpec([], tf.int32)])
    def ascend(spectrum, m, v, one_hot, first_step, steps, learning_rate, seed):
        beta1, beta2 = ADAM_BETAS
        for step in tf.range(first_step, first_step + steps):
            with tf.GradientTape() as tape:
                tape.watch(spectrum)
                total = tf.reduce_sum(objective(robust(render(spectrum), tf.stack([seed, step])), one_hot))
            grads = tape.gradient(total, spectrum)
            m = beta1 * m + (1 - beta1) * grads
            v = beta2 * v + (1 - beta2) * grads**2
            t = tf.cast(step + 1, tf.float32)
            spectrum += learning_rate * (m / (1 - beta1**t)) / (tf.sqrt(v / (1 - beta2**t)) + 1e-8)
        return spectrum, m, v

    return Visualiser(ascend, tf.function(render, input_signature=[spectrum_spec]))


def optimise(visualiser: Visualiser, one_hot: np.ndarray, channels: int, size: int, steps: int,
             learning_rate: float, seed: int, chunk: int, progress: Callable[[float], None]) -> np.ndarray:
    """Run ``steps`` ascent steps, ``chunk`` per compiled call between progress reports; the images."""
    spectrum = initial_spectrum(len(one_hot), channels, size, seed)
    m, v = np.zeros_like(spectrum), np.zeros_like(spectrum)
    for first in range(0, steps, chunk):
        count = min(chunk, steps - first)
        spectrum, m, v = visualiser.ascend(spectrum, m, v, one_hot, np.int32(first), np.int32(count),
                                           np.float32(learning_rate), np.int32(seed))
        progress((first + count) / steps)
    return visualiser.render(spectrum).numpy()


def _randomly_transformed(images: Any, size: int, robustness: Robustness, seed: Any) -> Any:
    """Pad with grey, then one random shift, scale and rotation per image, cropped back to ``size``."""
    pad = max(1, round(size * robustness.pad))
    padded = tf.pad(images, [[0, 0], [pad, pad], [pad, pad], [0, 0]], constant_values=0.5)
    count = tf.shape(images)[0]
    draws = tf.random.stateless_uniform([count, 4], seed=seed, minval=-1.0, maxval=1.0)
    angle = draws[:, 0] * robustness.degrees * np.pi / 180.0
    zoom = 1.0 + draws[:, 1] * robustness.scale
    shift = draws[:, 2:] * max(1.0, size * robustness.jitter)
    centre = (size + 2 * pad - 1) / 2.0
    cos, sin = tf.cos(angle) / zoom, tf.sin(angle) / zoom
    transform = tf.stack([cos, -sin, centre - cos * centre + sin * centre + shift[:, 0],
                          sin, cos, centre - sin * centre - cos * centre + shift[:, 1],
                          tf.zeros_like(cos), tf.zeros_like(cos)], axis=1)
    moved = keras.ops.image.affine_transform(padded, transform, interpolation="bilinear",
                                             fill_mode="constant", fill_value=0.5)
    return moved[:, pad : pad + size, pad : pad + size]
