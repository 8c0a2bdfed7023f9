"""Plotly figures for training: live curves, learning rate, confusion matrix, run comparison."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

# Imported fully, up front: a training thread importing TensorFlow (which imports pandas) would
# otherwise leave pandas half-initialised in sys.modules, where plotly's validators look for it.
import pandas  # noqa: F401
import plotly.graph_objects as go
from plotly.colors import qualitative
from plotly.subplots import make_subplots

from cnnviz.i18n import N_, _

METRICS = (("loss", N_("Loss")), ("accuracy", N_("Accuracy")))


def smooth(values: Sequence[float], weight: float = 0.8) -> list[float]:
    """Exponential moving average (as TensorBoard smooths); non-finite values are skipped."""
    smoothed, last = [], None
    for value in values:
        if math.isfinite(value):
            last = value if last is None else weight * last + (1 - weight) * value
        smoothed.append(math.nan if last is None else last)
    return smoothed


def _epoch_axis(history: Sequence[dict[str, float]]) -> list[int]:
    return list(range(1, len(history) + 1))


def _column(history: Sequence[dict[str, float]], key: str) -> list[float | None]:
    return [row.get(key) for row in history]


def training_curves(
    history: Sequence[dict[str, float]],
    batch_position: Sequence[float] = (),
    batch_loss: Sequence[float] = (),
    batch_accuracy: Sequence[float] = (),
) -> go.Figure:
    """Loss and accuracy: smoothed per-batch training values plus per-epoch train and val."""
    figure = make_subplots(rows=1, cols=2, subplot_titles=[_(title) for _key, title in METRICS])
    batches = {"loss": batch_loss, "accuracy": batch_accuracy}
    epochs = _epoch_axis(history)
    for col, (key, _title) in enumerate(METRICS, start=1):
        legend = col == 1
        if len(batches[key]):
            figure.add_scatter(
                x=list(batch_position), y=smooth(batches[key]), name=_("train (per batch, smoothed)"),
                line={"color": "rgba(31,119,180,0.35)"}, showlegend=legend, row=1, col=col,
            )
        for prefix, name, color in (("", _("train (epoch)"), "#1f77b4"), ("val_", _("validation"), "#ff7f0e")):
            values = _column(history, prefix + key)
            if any(v is not None for v in values):
                figure.add_scatter(
                    x=epochs, y=values, name=name, mode="lines+markers", line={"color": color},
                    showlegend=legend, row=1, col=col,
                )
    _add_data_loss(figure, history)
    figure.update_xaxes(title_text=_("epoch"))
    figure.update_layout(height=360, margin={"t": 40, "b": 40}, legend={"orientation": "h", "y": -0.25})
    return figure


def _add_data_loss(figure: go.Figure, history: Sequence[dict[str, float]]) -> None:
    """Dotted data-loss curves beside the total loss, when a weight penalty made them differ."""
    epochs = _epoch_axis(history)
    for prefix, name, color in (("", _("train data loss (without the penalty)"), "#1f77b4"),
                                ("val_", _("validation data loss"), "#ff7f0e")):  # fmt: skip
        values = _column(history, prefix + "data_loss")
        if any(v is not None for v in values):
            figure.add_scatter(
                x=epochs, y=values, name=name, mode="lines", line={"color": color, "dash": "dot"}, row=1, col=1,
            )


def learning_rate_chart(history: Sequence[dict[str, float]]) -> go.Figure:
    """The learning rate used in each epoch (log scale: ReduceLROnPlateau divides it)."""
    figure = go.Figure(go.Scatter(
        x=_epoch_axis(history), y=_column(history, "learning_rate"), mode="lines+markers",
    ))
    figure.update_layout(
        height=260, margin={"t": 30, "b": 40}, title=_("Learning rate per epoch"),
        xaxis_title=_("epoch"), yaxis_type="log",
    )
    return figure


def confusion_figure(matrix: Sequence[Sequence[int]], names: Sequence[str]) -> go.Figure:
    """A heatmap of counts, true classes down the side and predicted classes across the top."""
    counts = np.asarray(matrix)
    figure = go.Figure(go.Heatmap(
        z=counts, x=list(names), y=list(names), colorscale="Blues", text=counts,
        texttemplate="%{text}", hovertemplate=_("true %{y}<br>predicted %{x}<br>%{z} images") + "<extra></extra>",
    ))
    figure.update_layout(
        title=_("Confusion matrix (test split)"), xaxis_title=_("predicted"), yaxis_title=_("true"),
        yaxis_autorange="reversed", height=max(320, 40 * len(names) + 160), margin={"t": 50},
    )
    return figure


def compare_curves(
    histories: dict[str, Sequence[dict[str, float]]], splits: Sequence[str] = ("", "val_")
) -> go.Figure:
    """Several runs' per-epoch curves overlaid: solid lines train, dashed lines validation.

    ``splits`` picks the curves: "" for training, "val_" for validation.
    """
    figure = make_subplots(rows=1, cols=2, subplot_titles=[_(title) for _key, title in reversed(METRICS)])
    colors = qualitative.Plotly
    for index, (label, history) in enumerate(histories.items()):
        color = colors[index % len(colors)]
        for col, (key, _title) in enumerate(reversed(METRICS), start=1):
            for prefix, dash, suffix in (("", "solid", _("train")), ("val_", "dash", _("val"))):
                if prefix not in splits:
                    continue
                values = _column(history, prefix + key)
                if any(v is not None for v in values):
                    figure.add_scatter(
                        x=_epoch_axis(history), y=values, name=f"{label} ({suffix})",
                        line={"color": color, "dash": dash}, legendgroup=label,
                        showlegend=col == 1, row=1, col=col,
                    )
    figure.update_xaxes(title_text=_("epoch"))
    figure.update_layout(height=400, margin={"t": 40}, legend={"orientation": "h", "y": -0.25})
    return figure


def kfold_figure(
    folds: Sequence[Sequence[dict[str, float]]],
    mean: Sequence[float],
    std: Sequence[float],
    holdout: Sequence[dict[str, float]] = (),
) -> go.Figure:
    """Every fold's validation curves overlaid (thin), the mean accuracy with a ±1 std band, the hold-out."""
    figure = make_subplots(rows=1, cols=2, subplot_titles=[_("Validation accuracy"), _("Validation loss")])
    for number, history in enumerate(folds, start=1):
        for col, key in enumerate(("val_accuracy", "val_loss"), start=1):
            figure.add_scatter(
                x=_epoch_axis(history), y=_column(history, key), name=_("fold {number}").format(number=number),
                mode="lines", line={"width": 1, "color": "rgba(120,120,120,0.6)"}, legendgroup=f"fold{number}",
                showlegend=col == 1, row=1, col=col,
            )
    epochs = list(range(1, len(mean) + 1))
    upper, lower = [m + s for m, s in zip(mean, std)], [m - s for m, s in zip(mean, std)]
    figure.add_scatter(x=epochs + epochs[::-1], y=upper + lower[::-1], fill="toself", fillcolor="rgba(31,119,180,0.2)",
                       line={"width": 0}, name=_("mean ± std"), hoverinfo="skip", row=1, col=1)  # fmt: skip
    figure.add_scatter(x=epochs, y=list(mean), name=_("mean of the folds"), mode="lines+markers",
                       line={"color": "#1f77b4", "width": 3}, row=1, col=1)  # fmt: skip
    for col, key in enumerate(("val_accuracy", "val_loss"), start=1):
        if holdout:
            figure.add_scatter(
                x=_epoch_axis(holdout), y=_column(holdout, key), name=_("hold-out"), mode="lines+markers",
                line={"color": "#ff7f0e", "dash": "dash"}, legendgroup="holdout", showlegend=col == 1, row=1, col=col,
            )
    figure.update_xaxes(title_text=_("epoch"))
    figure.update_layout(height=400, margin={"t": 40}, legend={"orientation": "h", "y": -0.25})
    return figure
