"""Pictures for the convolution page: feature maps as coloured tiles, windows outlined on them."""

from __future__ import annotations

import cv2
import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from cnnviz.explain.activations import as_rgb, colorize
from cnnviz.i18n import _

Box = tuple[int, int, int, int]  # left, top, right, bottom (inclusive), in map pixels
HIGHLIGHT = (255, 40, 40)


def normalised(values: np.ndarray) -> np.ndarray:
    """Values scaled to [0, 1] by their own minimum and maximum (all zeros when flat)."""
    values = np.nan_to_num(np.asarray(values, "float64"))
    low, high = values.min(), values.max()
    return np.zeros_like(values) if high <= low else (values - low) / (high - low)


def map_tile(values: np.ndarray, size: int = 160, colormap: str = "viridis") -> np.ndarray:
    """A (H, W) map as a uint8 RGB tile about ``size`` pixels wide, pixels kept square and sharp."""
    tile = colorize(normalised(values), colormap)
    scale = max(1, size // max(values.shape))
    return cv2.resize(tile, None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST)


def image_tile(image: np.ndarray, size: int = 160) -> np.ndarray:
    """A uint8 image upscaled (nearest) so its pixels stay visible."""
    scale = max(1, size // max(image.shape[:2]))
    return cv2.resize(as_rgb(image), None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST)


def outline(tile: np.ndarray, box: Box, map_shape: tuple[int, int], thickness: int = 2) -> np.ndarray:
    """``tile`` (an upscaled map of ``map_shape``) with ``box`` outlined; parts off the map are clipped."""
    scale_y, scale_x = tile.shape[0] / map_shape[0], tile.shape[1] / map_shape[1]
    left, top = max(box[0], 0), max(box[1], 0)
    right, bottom = min(box[2], map_shape[1] - 1), min(box[3], map_shape[0] - 1)
    drawn = np.ascontiguousarray(tile.copy())
    if right < left or bottom < top:
        return drawn
    corner1 = (int(left * scale_x), int(top * scale_y))
    corner2 = (int((right + 1) * scale_x) - 1, int((bottom + 1) * scale_y) - 1)
    cv2.rectangle(drawn, corner1, corner2, HIGHLIGHT, thickness)
    return drawn


def window_box(origin: tuple[int, int], shape: tuple[int, ...]) -> Box:
    """The box a window of ``shape`` (height, width, ...) covers from its top-left ``origin`` (x, y)."""
    return origin[0], origin[1], origin[0] + shape[1] - 1, origin[1] + shape[0] - 1


def number_grid(values: np.ndarray, title: str, decimals: int = 2) -> go.Figure:
    """A small matrix as a heatmap with each number written in its cell (red < 0 < blue)."""
    values = np.asarray(values, "float64")
    text = [["" if np.isnan(v) else f"{v:.{decimals}f}" for v in row] for row in values]
    limit = float(np.nanmax(np.abs(values))) if np.isfinite(values).any() else 1.0
    figure = go.Figure(go.Heatmap(
        z=values, text=text, texttemplate="%{text}", colorscale="RdBu", zmid=0, zmin=-limit, zmax=limit,
        showscale=False, hovertemplate=_("row %{y}, column %{x}: %{z:.4f}") + "<extra></extra>",
    ))  # fmt: skip
    cell = 34 if values.shape[1] <= 7 else 24
    figure.update_layout(
        title=title, height=80 + cell * values.shape[0], width=60 + cell * max(values.shape[1], 3),
        margin={"l": 30, "r": 10, "t": 40, "b": 20}, yaxis={"autorange": "reversed"},
    )
    return figure


def softmax_figure(names: list[str], logits: np.ndarray, probabilities: np.ndarray) -> go.Figure:
    """Logits beside the probabilities softmax turns them into, one bar pair per class."""
    figure = make_subplots(rows=1, cols=2, subplot_titles=[_("logits"), _("probabilities")])
    figure.add_bar(x=names, y=logits, marker_color="#888", showlegend=False, row=1, col=1)
    figure.add_bar(x=names, y=probabilities, marker_color="#3b6fd4", showlegend=False, row=1, col=2)
    figure.update_yaxes(range=[0, 1], row=1, col=2)
    figure.update_layout(height=300, margin={"l": 30, "r": 10, "t": 40, "b": 20})
    return figure
