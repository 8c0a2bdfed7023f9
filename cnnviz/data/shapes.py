"""The offline default dataset: generated images of geometric shapes, with bounding boxes."""

from __future__ import annotations

import cv2
import numpy as np

from cnnviz.i18n import _

SHAPE_CLASSES = ("circle", "square", "triangle", "star")
MIN_SIZE, MAX_SIZE = 32, 128
NOISE_CHUNK_BYTES = 16 * 1024**2  # the noise is drawn and added this much at a time


def generate_shapes(
    count: int, image_size: int = 64, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``count`` RGB images (uint8), balanced labels and each shape's (x0, y0, x1, y1) box.

    Every image has a random background colour, one shape of random size, position,
    rotation and contrasting colour, and Gaussian noise. The same seed gives the same data.
    """
    if not MIN_SIZE <= image_size <= MAX_SIZE:
        raise ValueError(_("image_size must be between {low} and {high}").format(low=MIN_SIZE, high=MAX_SIZE))
    rng = np.random.default_rng(seed)
    labels = np.arange(count) % len(SHAPE_CLASSES)
    rng.shuffle(labels)
    images = np.empty((count, image_size, image_size, 3), dtype=np.uint8)
    boxes = np.empty((count, 4), dtype=np.int32)
    for index, label in enumerate(labels):
        images[index], boxes[index] = _draw_one(SHAPE_CLASSES[label], image_size, rng)
    _add_noise(images, rng)
    return images, labels.astype(np.int32), boxes


def _add_noise(images: np.ndarray, rng: np.random.Generator) -> None:
    """Add Gaussian noise (sigma 8) in place, a chunk of images at a time, in float32: the memory it
    takes beyond the images stays under NOISE_CHUNK_BYTES. The draws are the same as in one piece."""
    per_chunk = max(1, NOISE_CHUNK_BYTES // max(1, images[0].size * 8)) if len(images) else 1
    for start in range(0, len(images), per_chunk):
        chunk = images[start : start + per_chunk]
        noisy = chunk.astype(np.float32)
        noisy += rng.normal(0.0, 8.0, size=chunk.shape).astype(np.float32)
        np.clip(noisy, 0, 255, out=noisy)
        chunk[...] = noisy  # truncated to uint8, as astype does


def _draw_one(shape: str, size: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    background, foreground = _contrasting_colours(rng)
    canvas = np.full((size, size, 3), background, dtype=np.uint8)
    radius = rng.uniform(0.15, 0.35) * size
    centre = rng.uniform(radius + 1, size - radius - 1, size=2)
    points = _outline(shape, centre, radius, rng.uniform(0, 2 * np.pi))
    polygon = np.round(points * 16).astype(np.int32)  # 4 fractional bits for smooth edges
    cv2.fillPoly(canvas, [polygon], foreground, lineType=cv2.LINE_AA, shift=4)
    x0, y0 = np.floor(points.min(axis=0))
    x1, y1 = np.ceil(points.max(axis=0))
    box = np.clip([x0, y0, x1, y1], 0, size - 1).astype(np.int32)
    return canvas, box


def _outline(shape: str, centre: np.ndarray, radius: float, angle: float) -> np.ndarray:
    """Polygon vertices (x, y) of a shape inscribed in a circle of ``radius``."""
    if shape == "circle":
        corners, radii = 48, [radius]
    elif shape == "square":
        corners, radii = 4, [radius]
    elif shape == "triangle":
        corners, radii = 3, [radius]
    else:  # star: alternate outer and inner vertices
        corners, radii = 10, [radius, radius * 0.45]
    theta = angle + np.arange(corners) * 2 * np.pi / corners
    r = np.resize(np.asarray(radii, dtype=np.float64), corners)
    return np.stack([centre[0] + r * np.cos(theta), centre[1] + r * np.sin(theta)], axis=1)


def _contrasting_colours(rng: np.random.Generator) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """A background and a shape colour whose brightness differs clearly."""
    dark = rng.integers(0, 110, size=3)
    light = rng.integers(150, 256, size=3)
    if rng.random() < 0.5:
        dark, light = light, dark
    return tuple(int(v) for v in dark), tuple(int(v) for v in light)
