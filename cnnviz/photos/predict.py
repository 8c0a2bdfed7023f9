"""Predicting a run's classes for photo files: top-k per file, a clear error per bad file, CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import plotly.graph_objects as go

from cnnviz.data.images import ImageError
from cnnviz.explain.gradcam import overlay_heatmap
from cnnviz.explain.saliency import saliency_map
from cnnviz.i18n import _
from cnnviz.models.predictions import predict_probabilities, top_classes
from cnnviz.photos.prepare import InputSpec, PhotoOptions, PreparedPhoto, prepare_input
from cnnviz.runs.store import Run


@dataclass
class FileResult:
    """One file's outcome: the prepared photo and class probabilities, or an error message."""

    name: str
    photo: PreparedPhoto | None = None
    probabilities: np.ndarray | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def top(self, display_names: list[str], k: int) -> list[tuple[str, float]]:
        """The k most likely classes as (display name, probability), most likely first."""
        if self.probabilities is None:
            return []
        return [(display_names[i], p) for i, p in top_classes(self.probabilities, k)]

    def record(self, display_names: list[str], k: int) -> dict[str, Any]:
        """A JSON-ready record: {"file", "top": [[name, p], ...]} or {"file", "error"}."""
        if not self.ok:
            return {"file": self.name, "error": self.error}
        return {"file": self.name, "top": [[n, round(p, 6)] for n, p in self.top(display_names, k)]}


def predict_files(
    run: Run, files: Iterable[tuple[str, bytes | str | Path]], options: PhotoOptions = PhotoOptions()
) -> list[FileResult]:
    """Prepare every (name, bytes or path) and predict the good ones in batches.

    A file that cannot be read or decoded gets its error and never stops the others.
    Raises ValueError when the run's input shape and colour mode contradict each other.
    """
    spec = InputSpec.from_config(run.config)
    results = [_prepare(name, source, spec, options) for name, source in files]
    ready = [r for r in results if r.ok]
    if ready:
        images = np.stack([r.photo.image for r in ready])  # type: ignore[union-attr]
        for result, probabilities in zip(ready, predict_probabilities(run.model, images, scale=spec.scale)):
            result.probabilities = probabilities
    return results


def _prepare(name: str, source: bytes | str | Path, spec: InputSpec, options: PhotoOptions) -> FileResult:
    try:
        return FileResult(name, photo=prepare_input(source, spec, options))
    except ImageError as error:
        return FileResult(name, error=str(error))
    except OSError as error:
        reason = error.strerror or error
        return FileResult(name, error=_("the file cannot be read ({reason})").format(reason=reason))


def results_csv(results: Iterable[FileResult], display_names: list[str], k: int) -> str:
    """One row per file: file, then class/probability pairs for the top k, then any error."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        ["file", *(f"{kind}_{rank}" for rank in range(1, k + 1) for kind in ("class", "probability")), "error"]
    )
    for result in results:
        pairs = [value for name, p in result.top(display_names, k) for value in (name, f"{p:.6f}")]
        pairs += [""] * (2 * k - len(pairs))
        writer.writerow([result.name, *pairs, result.error or ""])
    return buffer.getvalue()


def top_k_figure(top: list[tuple[str, float]]) -> go.Figure:
    """A horizontal Plotly bar chart of the top classes, the most likely at the top."""
    names = [name for name, _probability in reversed(top)]
    values = [p for _name, p in reversed(top)]
    figure = go.Figure(
        go.Bar(x=values, y=names, orientation="h", text=[f"{p:.1%}" for p in values], textposition="auto")
    )
    figure.update_layout(
        xaxis={"range": [0, 1], "tickformat": ".0%", "title": _("probability")},
        height=60 + 28 * len(top),
        margin={"l": 10, "r": 10, "t": 10, "b": 40},
    )
    return figure


def explain(run: Run, result: FileResult, method: str = "gradcam") -> np.ndarray:
    """The saliency overlay (uint8 RGB, Grad-CAM by default) for the top class, drawn on the cropped photo the model saw.

    ``method`` is a key of ``cnnviz.explain.saliency``. Raises cnnviz.models.layers.NoConvLayerError
    for a CAM method on a model without convolutional layers.
    """
    photo, probabilities = result.photo, result.probabilities
    if photo is None or probabilities is None:
        raise ValueError(_("{name} has no prediction to explain").format(name=result.name))
    scale = run.config.preprocessing.scale
    found = saliency_map(run.model, photo.image, method, int(np.argmax(probabilities)), scale=scale)
    return overlay_heatmap(photo.cropped, found.heatmap)[1]

