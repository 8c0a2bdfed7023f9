"""Is a generated pattern worth looking at? Two measures beside the response gain.

- ``tiling_score``: the highest normalised autocorrelation of the image's detail (its
  Laplacian, so that smooth shading, which correlates over long distances, does not count)
  at any shift farther than a small radius (up to half the image each way). A small tile
  repeated in a grid correlates perfectly with itself one tile away (score near 1); a
  pattern that is one picture stays well below (``TILING_BAR``).
- ``high_frequency_ratio``: the share of the image's spectral power (mean removed) above
  half the Nyquist frequency. Colour noise from pixel-space ascent puts much of its power
  there; natural images and good feature visualisations little.
"""

from __future__ import annotations

import numpy as np

TILING_BAR = 0.8  # a tiling score at or above this means the pattern repeats itself
HIGH_FREQUENCY = 0.25  # cycles per pixel: half of Nyquist


def tiling_score(image: np.ndarray, radius: int | None = None) -> float:
    """Max normalised autocorrelation of an (H, W[, C]) image over shifts beyond ``radius`` pixels.

    The linear (zero-padded) autocorrelation at each shift is divided by the number of
    overlapping pixels and by its zero-shift value; shifts go up to half the image side.
    ``radius`` defaults to an eighth of the smaller side (at least 2).
    """
    planes = _laplacian(_planes(image))
    height, width = planes.shape[1:]
    radius = max(2, min(height, width) // 8) if radius is None else radius
    spectrum = np.fft.rfft2(planes, s=(2 * height, 2 * width))
    correlation = np.fft.irfft2(np.abs(spectrum) ** 2, s=(2 * height, 2 * width)).sum(axis=0)
    dy = np.fft.fftfreq(2 * height, 1 / (2 * height)).astype(int)[:, None]
    dx = np.fft.fftfreq(2 * width, 1 / (2 * width)).astype(int)[None, :]
    overlap = (height - np.abs(dy)) * (width - np.abs(dx))
    zero = correlation[0, 0] / (height * width)
    if zero <= 0:
        return 0.0
    far = (np.hypot(dy, dx) > radius) & (np.abs(dy) <= height // 2) & (np.abs(dx) <= width // 2)
    return float((correlation / np.maximum(overlap, 1))[far].max() / zero)


def high_frequency_ratio(image: np.ndarray) -> float:
    """The share of spectral power (mean removed, summed over channels) above ``HIGH_FREQUENCY``."""
    planes = _planes(image)
    power = (np.abs(np.fft.fft2(planes)) ** 2).sum(axis=0)
    height, width = power.shape
    frequency = np.hypot(np.fft.fftfreq(height)[:, None], np.fft.fftfreq(width)[None, :])
    total = float(power.sum())
    return float(power[frequency > HIGH_FREQUENCY].sum() / total) if total > 0 else 0.0


def _laplacian(planes: np.ndarray) -> np.ndarray:
    """Each plane's 4-neighbour Laplacian over its interior (one pixel smaller each side), mean removed."""
    centre = planes[:, 1:-1, 1:-1]
    detail = 4 * centre - planes[:, :-2, 1:-1] - planes[:, 2:, 1:-1] - planes[:, 1:-1, :-2] - planes[:, 1:-1, 2:]
    return detail - detail.mean(axis=(1, 2), keepdims=True)


def _planes(image: np.ndarray) -> np.ndarray:
    """(C, H, W) float64 channels with each channel's mean removed."""
    array = np.asarray(image, np.float64)
    planes = np.moveaxis(array[..., np.newaxis] if array.ndim == 2 else array, -1, 0)
    return planes - planes.mean(axis=(1, 2), keepdims=True)
