"""A convolution sandbox: any kernel on a small crop, with the output size worked out.

The output size along one axis is (W - K + 2P) / S + 1. When that is not a whole number the
window does not fit evenly: frameworks silently drop the last pixels, and the sandbox says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from cnnviz.i18n import _

KERNEL_PRESETS: dict[str, np.ndarray] = {
    "vertical_edges": np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], "float64"),
    "horizontal_edges": np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]], "float64"),
    "blur": np.full((3, 3), 1 / 9),
    "sharpen": np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], "float64"),
    "identity": np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]], "float64"),
}


@dataclass(frozen=True)
class OutputSize:
    """(W - K + 2P) / S + 1 for one axis, exactly."""

    size: int
    kernel: int
    padding: int
    stride: int

    @property
    def exact(self) -> Fraction:
        return Fraction(self.size - self.kernel + 2 * self.padding, self.stride) + 1

    @property
    def fits(self) -> bool:
        """The window steps evenly across the padded input, and at least once."""
        return self.exact.denominator == 1 and self.exact >= 1

    @property
    def value(self) -> int:
        """The size frameworks produce (the fraction rounded down; 0 when nothing fits)."""
        return max(0, int(self.exact // 1))

    def formula(self) -> str:
        """ "(28 - 3 + 2×1) / 1 + 1 = 28" with the fraction when it is not whole."""
        result = str(self.exact) if self.exact.denominator == 1 else f"{float(self.exact):.2f}"
        return f"({self.size} - {self.kernel} + 2×{self.padding}) / {self.stride} + 1 = {result}"


def convolve(image: np.ndarray, kernel: np.ndarray, padding: int, stride: int) -> np.ndarray:
    """A single-channel (H, W) float image cross-correlated with a 2-D kernel, as Conv2D does."""
    axes = [OutputSize(image.shape[axis], kernel.shape[axis], padding, stride) for axis in (0, 1)]
    if min(axis.value for axis in axes) < 1:
        raise ValueError(_("The kernel is larger than the padded image: there is no output."))
    padded = np.pad(np.asarray(image, "float64"), padding)
    views = np.lib.stride_tricks.sliding_window_view(padded, kernel.shape)[::stride, ::stride]
    return np.einsum("hwij,ij->hw", views, kernel)


def crop_centre(image: np.ndarray, side: int) -> np.ndarray:
    """The central ``side`` x ``side`` crop of a (H, W) or (H, W, C) image (smaller images stay whole)."""
    top = max(0, (image.shape[0] - side) // 2)
    left = max(0, (image.shape[1] - side) // 2)
    return image[top : top + side, left : left + side]


def to_gray(image: np.ndarray) -> np.ndarray:
    """A uint8 RGB or grayscale image as float (H, W) in [0, 1] (luma weights for RGB)."""
    values = np.asarray(image, "float64") / 255.0
    if values.ndim == 3 and values.shape[2] == 3:
        return values @ np.array([0.299, 0.587, 0.114])
    return values.reshape(values.shape[:2])
