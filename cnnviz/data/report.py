"""What the Data page shows about a dataset: counts per split, imbalance, samples."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from cnnviz.data.dataset import Dataset

IMBALANCE_RATIO = 1.5
SPLIT_LABELS = {"train": "train", "val": "validation", "test": "test"}


def class_counts_figure(dataset: Dataset) -> go.Figure:
    """Grouped bars: images per class (display names) in each split."""
    figure = go.Figure()
    for split, counts in dataset.class_counts().items():
        figure.add_bar(name=SPLIT_LABELS[split], x=dataset.display_names, y=counts.tolist())
    figure.update_layout(
        barmode="group", xaxis_title="class", yaxis_title="images", height=320,
        margin=dict(l=10, r=10, t=30, b=10), legend=dict(orientation="h", y=1.1),
    )  # fmt: skip
    return figure


def imbalance_message(dataset: Dataset) -> str | None:
    """A warning when the largest training class is much bigger than the smallest."""
    counts = dataset.train.class_counts(dataset.num_classes)
    smallest, largest = int(counts.min()), int(counts.max())
    if smallest == 0:
        return "Some classes have no training images."
    if largest / smallest < IMBALANCE_RATIO:
        return None
    rare = dataset.display_names[int(counts.argmin())]
    common = dataset.display_names[int(counts.argmax())]
    return (
        f"The classes are imbalanced: '{common}' has {largest} training images, '{rare}' only "
        f"{smallest} ({largest / smallest:.1f}x). Accuracy alone can mislead; look at the "
        "confusion matrix after training."
    )


def samples_per_class(dataset: Dataset, per_class: int, split: str = "train") -> list[tuple[str, np.ndarray]]:
    """(display name, up to per_class uint8 images) for every class, first images first."""
    data = dataset.split(split)
    return [
        (name, data.x[np.flatnonzero(data.y == label)[:per_class]])
        for label, name in enumerate(dataset.display_names)
    ]
