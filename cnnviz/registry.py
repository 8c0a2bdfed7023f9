"""The dataset registry: every data source, by name, behind one ``load_dataset`` call."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from cnnviz.dataset import Dataset, Split
from cnnviz.shapes import SHAPE_CLASSES, generate_shapes
from cnnviz.split import DEFAULT_RATIOS, stratified_split


class DatasetUnavailable(RuntimeError):
    """A dataset that cannot be loaded, with a message meant for the user."""


@dataclass(frozen=True)
class DatasetSpec:
    """Everything needed to (re)load a dataset; hashable, so it can key a cache."""

    source: str = "shapes"
    path: str = ""
    image_size: int = 64
    color_mode: str = "rgb"
    count: int = 2400
    split_seed: int = 42
    ratios: tuple[float, float, float] = DEFAULT_RATIOS
    keywords: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}

    @classmethod
    def from_dict(cls, data: dict) -> DatasetSpec:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        for name in ("ratios", "keywords"):
            if name in known:
                known[name] = tuple(known[name])
        return cls(**known)


def split_arrays(
    name: str, class_names: list[str], x: np.ndarray, y: np.ndarray, spec: DatasetSpec, **extra
) -> Dataset:
    """A Dataset from one pool of images, split by the spec's seed and ratios."""
    boxes = extra.pop("boxes", None)
    pool = Split(x, y.astype(np.int32), boxes)
    train, val, test = (pool.take(i) for i in stratified_split(pool.y, spec.ratios, spec.split_seed))
    return Dataset(name, class_names, train, val, test, split_seed=spec.split_seed, **extra)


def _load_shapes(spec: DatasetSpec) -> Dataset:
    x, y, boxes = generate_shapes(spec.count, spec.image_size, seed=spec.split_seed)
    return split_arrays(
        "Shapes", list(SHAPE_CLASSES), x, y, spec, boxes=boxes, source="generated offline"
    )


SOURCES: dict[str, tuple[str, Callable[[DatasetSpec], Dataset]]] = {
    "shapes": ("Shapes (generated offline)", _load_shapes),
}


def list_datasets() -> list[str]:
    return list(SOURCES)


def load_dataset(spec: DatasetSpec) -> Dataset:
    """Load any registered source; raises DatasetUnavailable with a user-facing message."""
    if spec.source not in SOURCES:
        raise DatasetUnavailable(f"Unknown dataset {spec.source!r}. Choose one of: {', '.join(SOURCES)}.")
    return SOURCES[spec.source][1](spec)
