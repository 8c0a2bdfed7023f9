"""What the Data page shows about a dataset: counts per split, imbalance, samples."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from cnnviz.data.dataset import Dataset
from cnnviz.i18n import N_, _

IMBALANCE_RATIO = 1.5
SPLIT_LABELS = {"train": N_("train"), "val": N_("validation"), "test": N_("test")}


def class_counts_figure(dataset: Dataset, names: Sequence[str] | None = None) -> go.Figure:
    """Grouped bars: images per class (``names``, else the display names) in each split."""
    figure = go.Figure()
    for split, counts in dataset.class_counts().items():
        figure.add_bar(name=_(SPLIT_LABELS[split]), x=list(names or dataset.display_names), y=counts.tolist())
    figure.update_layout(
        barmode="group", xaxis_title=_("class"), yaxis_title=_("images"), height=320,
        margin=dict(l=10, r=10, t=30, b=10), legend=dict(orientation="h", y=1.1),
    )  # fmt: skip
    return figure


def imbalance_message(dataset: Dataset, names: Sequence[str] | None = None) -> str | None:
    """A warning when the largest training class is much bigger than the smallest (``names`` as shown)."""
    counts = dataset.train.class_counts(dataset.num_classes)
    smallest, largest = int(counts.min()), int(counts.max())
    if smallest == 0:
        return _("Some classes have no training images.")
    if largest / smallest < IMBALANCE_RATIO:
        return None
    names = names or dataset.display_names
    return _(
        "The classes are imbalanced: '{common}' has {largest} training images, '{rare}' only "
        "{smallest} ({ratio:.1f}x). Accuracy alone can mislead; look at the confusion matrix after training."
    ).format(
        common=names[int(counts.argmax())], rare=names[int(counts.argmin())], largest=largest, smallest=smallest,
        ratio=largest / smallest,
    )


def samples_per_class(
    dataset: Dataset, per_class: int, split: str = "train", names: Sequence[str] | None = None
) -> list[tuple[str, np.ndarray]]:
    """(name, up to per_class uint8 images) for every class, first images first (``names`` as shown)."""
    data = dataset.split(split)
    return [
        (name, data.x[np.flatnonzero(data.y == label)[:per_class]])
        for label, name in enumerate(names or dataset.display_names)
    ]
