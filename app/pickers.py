"""The pickers the inside-the-network pages share: a model (the current one or a saved run), its
layers, and an image for it (from the test split or uploaded)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import streamlit as st

from app import controls, state
from app.loading import open_run, runs_dir
from cnnviz.data.images import IMAGE_EXTENSIONS, ImageError
from cnnviz.i18n import _
from cnnviz.lesson.controls import Control
from cnnviz.lesson.pages import image_picker, model_picker
from cnnviz.photos.prepare import InputSpec, PreparedPhoto, prepare_input
from cnnviz.runs.schema import STATUS_LABELS
from cnnviz.runs.store import Run, list_runs
from cnnviz.text import plain

CURRENT_MODEL = "current"  # the model picker's option for the session's current model


def pick_image(spec: InputSpec, key: str) -> tuple[PreparedPhoto, str] | None:
    """An image for a model: from the current dataset's test split by class, or uploaded.

    Either way it goes through ``prepare_input``, so every page feeds the model exactly what
    Predict would. Returns the prepared image and a caption, or None.
    """
    picker = {control.key.removeprefix(f"{key}_"): control for control in image_picker(key)}
    choice = controls.draw(st, picker["src"], horizontal=True)
    if choice == "upload":
        upload = controls.draw(st, picker["upload"], type=[e[1:] for e in IMAGE_EXTENSIONS])
        if upload is None:
            return None
        try:
            return prepare_input(upload.getvalue(), spec), upload.name
        except ImageError as error:
            st.error(f"{plain(upload.name)}: {plain(error, 300)}")
            return None
    picked = _pick_test_image(picker["class"], picker["index"])
    return None if picked is None else (prepare_input(picked[0], spec), picked[1])


def _pick_test_image(class_control: Control, index_control: Control) -> tuple[np.ndarray, str] | None:
    dataset = state.current_dataset()
    left, right = st.columns(2)
    label = controls.draw(left, class_control, options=range(dataset.num_classes),
                          format_func=lambda i: dataset.display_names[i])  # fmt: skip
    members = np.flatnonzero(dataset.test.y == label)
    if len(members) == 0:
        st.warning(_("This class has no test images."))
        return None
    index = controls.draw(right, index_control, max_value=len(members) - 1)
    caption = _("test image of '{name}' #{number}").format(name=dataset.display_names[label], number=int(index))
    return dataset.test.x[members[int(index)]], caption


def pick_model(key: str) -> Run | None:
    """A selectbox of the session's current model and every saved run; the chosen Run or None.

    Options are run identities (folder paths), so saving a new run keeps the user's pick.
    """
    current = state.current_model()
    saved = {str(summary.path): summary for summary in list_runs(runs_dir())}
    options = ([CURRENT_MODEL] if current is not None else []) + list(saved)
    if not options:
        st.info(_("No model yet: build one on the Model page or train one on the Train page."))
        return None

    def label(option: str) -> str:
        if option == CURRENT_MODEL:
            return _("Current model: {label}").format(label=current.label)
        return f"{saved[option].label} ({_(STATUS_LABELS[saved[option].status])})"

    choice = controls.draw(st, model_picker(key), options=options, format_func=label)
    return current if choice == CURRENT_MODEL else open_run(saved[choice])


def pick_model_layers(key: str, list_layers: Callable[[Any], list], missing: str) -> tuple[Run, list]:
    """The picked model and ``list_layers(model)``; stops the page with a message when there are none."""
    run = pick_model(key)
    if run is None:
        st.stop()
    try:
        layers = list_layers(run.model)
    except ValueError as error:
        st.error(_("This model cannot be inspected: {error}").format(error=error))
        st.stop()
    if not layers:
        st.error(missing)
        st.stop()
    return run, layers


def pick_model_layers_and_image(
    key: str, list_layers: Callable[[Any], list], missing: str
) -> tuple[Run, list, PreparedPhoto, str]:
    """``pick_model_layers`` then ``pick_image`` for that model; stops the page until both are there."""
    run, layers = pick_model_layers(f"{key}_model", list_layers, missing)
    try:
        spec = InputSpec.from_config(run.config)
    except ValueError as error:
        st.error(_("This model cannot be inspected: {error}").format(error=error))
        st.stop()
    picked = pick_image(spec, f"{key}_image")
    if picked is None:
        st.stop()
    return run, layers, *picked
