"""The one in-memory shape every data source becomes (three splits plus class names), and the
``DatasetSpec`` that loads it again through the registry (``cnnviz.data.registry.load_dataset``)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from cnnviz.data.split import DEFAULT_RATIOS
from cnnviz.i18n import LazyText, _

SPLIT_NAMES = ("train", "val", "test")


@dataclass(frozen=True)
class DatasetSpec:
    """Everything needed to (re)load a dataset; hashable, so it can key a cache.

    image_size and color_mode apply to image files and Shapes; count is the number of
    Shapes images; limit caps the training pool of other sources (0 = everything);
    keywords name the classes of a flat folder (empty = suggested from file names).
    """

    source: str = "shapes"
    path: str = ""
    image_size: int = 64
    color_mode: str = "rgb"
    count: int = 2400
    split_seed: int = 42
    ratios: tuple[float, float, float] = DEFAULT_RATIOS
    keywords: tuple[str, ...] = ()
    limit: int = 0

    def to_dict(self) -> dict:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}

    @classmethod
    def from_dict(cls, data: dict) -> DatasetSpec:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        for name in ("ratios", "keywords"):
            if name in known:
                known[name] = tuple(known[name])
        return cls(**known)


@dataclass(frozen=True)
class Split:
    """Decoded images (uint8, N x H x W x C) with integer labels."""

    x: np.ndarray
    y: np.ndarray
    boxes: np.ndarray | None = None  # (N, 4) x0, y0, x1, y1 in pixels; generated data only

    def __len__(self) -> int:
        return len(self.y)

    def take(self, indices: np.ndarray) -> Split:
        """The sub-split at the given indices."""
        boxes = None if self.boxes is None else self.boxes[indices]
        return Split(self.x[indices], self.y[indices], boxes)

    def class_counts(self, num_classes: int) -> np.ndarray:
        return np.bincount(self.y, minlength=num_classes)


@dataclass(frozen=True)
class SkippedFile:
    """A file that was not loaded, and why."""

    path: str
    reason: LazyText  # translated when shown: one dataset is shared by sessions in other languages


@dataclass(frozen=True)
class Dataset:
    """A dataset ready for training and for every view of the app."""

    name: str
    class_names: list[str]
    train: Split
    val: Split
    test: Split
    display_names: list[str] = field(default_factory=list)
    source: str = ""
    split_seed: int | None = None
    light_on_dark: bool = False  # light objects on a dark background, as in MNIST
    skipped: list[SkippedFile] = field(default_factory=list)
    spec: DatasetSpec | None = None  # the registry spec that loads it again (None: built in memory)

    def __post_init__(self) -> None:
        if not self.display_names:
            object.__setattr__(self, "display_names", list(self.class_names))
        if len(self.display_names) != len(self.class_names):
            raise ValueError(_("display_names must have one entry per class"))

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return tuple(int(d) for d in self.train.x.shape[1:])  # type: ignore[return-value]

    @property
    def channels(self) -> int:
        return self.image_shape[2]

    def split(self, name: str) -> Split:
        if name not in SPLIT_NAMES:
            raise KeyError(
                _("unknown split {name!r}; expected one of {names}").format(name=name, names=SPLIT_NAMES)
            )
        return getattr(self, name)

    def splits(self) -> dict[str, Split]:
        return {name: self.split(name) for name in SPLIT_NAMES}

    def with_display_names(self, display_names: list[str]) -> Dataset:
        return replace(self, display_names=list(display_names))

    def class_counts(self) -> dict[str, np.ndarray]:
        """Images per class, for each split."""
        return {name: split.class_counts(self.num_classes) for name, split in self.splits().items()}
