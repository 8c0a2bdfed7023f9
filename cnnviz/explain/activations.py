"""Intermediate activations: every layer's feature maps for one image, from one forward pass."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import keras
import numpy as np

from cnnviz.data.pipeline import PIXEL_SCALE, to_model_input
from cnnviz.i18n import _
from cnnviz.models.layers import LayerInfo, feature_model, inspectable_layers

COLORMAPS = {
    "viridis": cv2.COLORMAP_VIRIDIS,
    "jet": cv2.COLORMAP_JET,
    "inferno": cv2.COLORMAP_INFERNO,
    "magma": cv2.COLORMAP_MAGMA,
    "turbo": cv2.COLORMAP_TURBO,
    "gray": None,
}
DEAD_COLOUR = (255, 0, 0)
LABEL_HEIGHT = 14


def colorize(values: np.ndarray, colormap: str = "viridis") -> np.ndarray:
    """A (H, W) float array in [0, 1] as a uint8 RGB image in an OpenCV colour map."""
    if colormap not in COLORMAPS:
        raise ValueError(_("colormap must be one of {names}").format(names=", ".join(COLORMAPS)))
    grey = np.clip(np.nan_to_num(values) * 255.0, 0, 255).astype(np.uint8)
    if COLORMAPS[colormap] is None:
        return cv2.cvtColor(grey, cv2.COLOR_GRAY2RGB)
    return cv2.cvtColor(cv2.applyColorMap(grey, COLORMAPS[colormap]), cv2.COLOR_BGR2RGB)


def as_rgb(image: np.ndarray) -> np.ndarray:
    """A uint8 RGB image from an RGB or grayscale (H, W) / (H, W, 1) one."""
    return image if image.ndim == 3 and image.shape[2] == 3 else cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)


def feature_maps(model: keras.Model, image: np.ndarray, scale: float = PIXEL_SCALE) -> dict[str, np.ndarray]:
    """Each inspectable layer's output (H, W, C) for one uint8 image, from a single forward pass.

    ``scale`` is the run's pixel scale (its preprocessing).
    """
    names = tuple(info.name for info in inspectable_layers(model))
    batch = to_model_input(np.asarray(image)[np.newaxis], scale)
    outputs = feature_model(model, names)(batch, training=False)
    return {name: np.asarray(output)[0] for name, output in zip(names, outputs)}


@dataclass
class ChannelGrid:
    """One layer's feature maps as coloured tiles, one per channel, at the layer's size."""

    tiles: np.ndarray  # uint8 (C, H, W, 3)
    dead: np.ndarray  # bool (C,): the channel is zero everywhere

    def mosaic(self, columns: int = 16, tile_size: int = 64) -> np.ndarray:
        """All tiles in one RGB image, each labelled with its channel index; dead ones crossed."""
        labels = [f"#{index}" for index in range(len(self.tiles))]
        return labelled_mosaic(list(self.tiles), labels, columns, tile_size, self.dead)


def channel_grid(maps: np.ndarray, colormap: str = "viridis", per_channel: bool = True) -> ChannelGrid:
    """Colour every channel of a (H, W, C) layer output, normalised per channel or per layer."""
    maps = np.moveaxis(np.asarray(maps, dtype=np.float32), -1, 0)
    dead = np.all(maps == 0.0, axis=(1, 2))
    axes = (1, 2) if per_channel else None
    low = maps.min(axis=axes, keepdims=per_channel)
    span = maps.max(axis=axes, keepdims=per_channel) - low
    scaled = (maps - low) / np.where(span > 0, span, 1.0)
    return ChannelGrid(np.stack([colorize(channel, colormap) for channel in scaled]), dead)


def depth_strip(
    maps: dict[str, np.ndarray], layers: list[LayerInfo], per_layer: int = 4, tile_size: int = 48,
    colormap: str = "viridis",
) -> list[tuple[LayerInfo, np.ndarray]]:
    """For every layer, its ``per_layer`` most active channels side by side, to walk the depth."""
    strips = []
    for info in layers:
        layer_maps = maps[info.name]
        strongest = np.sort(np.argsort(layer_maps.mean(axis=(0, 1)))[::-1][:per_layer])
        grid = channel_grid(layer_maps[..., strongest], colormap)
        labels = [f"#{index}" for index in strongest]
        strips.append((info, labelled_mosaic(list(grid.tiles), labels, per_layer, tile_size, grid.dead)))
    return strips


def labelled_mosaic(
    tiles: list[np.ndarray], labels: list[str], columns: int, tile_size: int, crossed: Sequence[bool] | None = None,
) -> np.ndarray:
    """Tiles (RGB or grayscale) scaled to ``tile_size`` px under their labels, in rows of
    ``columns``; the ``crossed`` ones (dead channels) get a red cross."""
    crossed = crossed if crossed is not None else [False] * len(tiles)
    return _assemble([_labelled_tile(*args, tile_size) for args in zip(tiles, labels, crossed)], columns)


def _labelled_tile(tile: np.ndarray, label: str, dead: bool, size: int) -> np.ndarray:
    """A tile scaled to ``size`` px (nearest neighbour) under a band with its label."""
    body = cv2.resize(as_rgb(tile), (size, size), interpolation=cv2.INTER_NEAREST)
    band = np.full((LABEL_HEIGHT, size, 3), 255, dtype=np.uint8)
    cv2.putText(band, label, (2, LABEL_HEIGHT - 3), cv2.FONT_HERSHEY_PLAIN, 0.9, (0, 0, 0), 1, cv2.LINE_AA)
    if dead:
        cv2.line(body, (0, 0), (size - 1, size - 1), DEAD_COLOUR, 2)
        cv2.line(body, (0, size - 1), (size - 1, 0), DEAD_COLOUR, 2)
        cv2.putText(band, "dead", (size - 30, LABEL_HEIGHT - 3), cv2.FONT_HERSHEY_PLAIN, 0.8, DEAD_COLOUR, 1)
    return cv2.copyMakeBorder(np.vstack([band, body]), 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=(255, 255, 255))


def _assemble(tiles: list[np.ndarray], columns: int) -> np.ndarray:
    """Equal-sized tiles in rows of ``columns``, padding the last row with white."""
    columns = max(1, min(columns, len(tiles)))
    blank = np.full_like(tiles[0], 255)
    padded = tiles + [blank] * (-len(tiles) % columns)
    rows = [np.hstack(padded[start : start + columns]) for start in range(0, len(padded), columns)]
    return np.vstack(rows)
