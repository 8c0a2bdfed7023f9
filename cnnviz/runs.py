"""Runs: a trained (or just built) model with the config that explains how to feed it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import keras


@dataclass
class Run:
    """A model plus its config.json content; ``path`` is None until the run is saved.

    config keys: "name", "dataset" (Dataset.describe() plus the dataset spec),
    "class_names", "display_names", "input_shape" [H, W, C],
    "preprocessing" {"scale": 1/255, "color_mode": "rgb"|"grayscale", "light_on_dark": bool},
    "architecture" {"name": str, "options": dict}, "hyperparameters", "augmentation",
    "test_metrics".
    """

    model: keras.Model
    config: dict[str, Any]
    history: list[dict[str, float]] = field(default_factory=list)
    path: Path | None = None

    @property
    def display_names(self) -> list[str]:
        return list(self.config["display_names"])

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return tuple(self.config["input_shape"])  # type: ignore[return-value]

    @property
    def label(self) -> str:
        """A short name for menus."""
        return self.config.get("name") or self.config["architecture"]["name"]
