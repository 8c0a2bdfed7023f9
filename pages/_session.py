"""Per-browser-session state shared by the pages: the current dataset, model and run.

Pages read and write the app's state only through these functions, so the keys live in
one place. Heavy objects come from the cnnviz library through Streamlit's caches.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import streamlit as st

from cnnviz.data.augmentation import AugmentConfig
from cnnviz.data.dataset import Dataset
from cnnviz.data.images import IMAGE_EXTENSIONS, ImageError, fit_to_shape, load_image_array
from cnnviz.training.progress import status_line
from cnnviz.data.registry import DatasetSpec, DatasetUnavailable, load_dataset
from cnnviz.runs.store import Run, RunError, RunSummary, list_runs, load_run
from cnnviz.training.worker import get_worker

DATASET_KEY = "cnnviz_dataset"
DATASET_SPEC_KEY = "cnnviz_dataset_spec"
DEFAULT_RUNS_DIR = "runs"


def runs_dir() -> Path:
    """Where runs are saved: $CNNVIZ_RUNS_DIR, else ./runs."""
    return Path(os.environ.get("CNNVIZ_RUNS_DIR", DEFAULT_RUNS_DIR))


@st.cache_resource(show_spinner="Loading the dataset...", max_entries=8)
def cached_dataset(spec: DatasetSpec) -> Dataset:
    """Datasets are shared by every session that asks for the same spec."""
    return load_dataset(spec)


def current_dataset() -> Dataset:
    """The session's dataset; the generated Shapes set until the user picks another."""
    if DATASET_KEY not in st.session_state:
        set_current_dataset(DatasetSpec(), cached_dataset(DatasetSpec()))
    return st.session_state[DATASET_KEY]


def current_dataset_spec() -> DatasetSpec:
    current_dataset()
    return st.session_state[DATASET_SPEC_KEY]


def set_current_dataset(spec: DatasetSpec, dataset: Dataset) -> None:
    st.session_state[DATASET_SPEC_KEY] = spec
    st.session_state[DATASET_KEY] = dataset
    _refresh_sidebar()


def try_load_dataset(spec: DatasetSpec) -> Dataset | None:
    """Load a dataset, showing a plain message instead of a traceback when it fails."""
    try:
        return cached_dataset(spec)
    except DatasetUnavailable as error:
        st.error(str(error))
        return None


SIDEBAR_SLOT_KEY = "cnnviz_sidebar_slot"


def render_sidebar() -> None:
    """Always-visible summary of what the session is working on.

    It is drawn before the page runs, into a slot that ``set_current_dataset`` and
    ``set_current_model`` redraw, so it never shows the previous dataset or model.
    """
    st.session_state[SIDEBAR_SLOT_KEY] = st.sidebar.empty()
    _refresh_sidebar()


def _refresh_sidebar() -> None:
    slot = st.session_state.get(SIDEBAR_SLOT_KEY)
    if slot is None:
        return
    with slot.container():
        st.caption("Current dataset")
        if DATASET_KEY in st.session_state:
            dataset = st.session_state[DATASET_KEY]
            height, width, channels = dataset.image_shape
            st.markdown(
                f"**{dataset.name}** · {dataset.num_classes} classes · "
                f"{height}×{width}×{channels} · {len(dataset.train)}/{len(dataset.val)}/"
                f"{len(dataset.test)} images"
            )
        else:
            st.markdown("**Shapes** (default, generated offline)")
        st.caption("Current model")
        model = current_model()
        st.markdown(f"**{model.label}**" if model else "none yet: pick one on the Model page")
        training = training_status()
        if training:
            st.caption("Training")
            st.markdown(training)


MODEL_KEY = "cnnviz_model"


def current_model() -> Run | None:
    """The session's current model: the last one built, trained or opened."""
    return st.session_state.get(MODEL_KEY)


def set_current_model(run: Run) -> None:
    st.session_state[MODEL_KEY] = run
    _refresh_sidebar()


def pick_image(input_shape: tuple[int, int, int], key: str) -> tuple[np.ndarray, str] | None:
    """An image for a model: from the current dataset's test split by class, or uploaded.

    Returns the image as uint8 shaped like ``input_shape`` and a caption, or None.
    """
    dataset = current_dataset()
    choice = st.radio("Image", ["From the test split", "Upload a photo"], horizontal=True, key=f"{key}_src")
    if choice == "Upload a photo":
        upload = st.file_uploader("Photo", type=[e[1:] for e in IMAGE_EXTENSIONS], key=f"{key}_upload")
        if upload is None:
            return None
        height, width, channels = input_shape
        try:
            image = load_image_array(upload.getvalue(), (height, width), "grayscale" if channels == 1 else "rgb")
        except ImageError as error:
            st.error(f"{upload.name}: {error}")
            return None
        return image, upload.name
    left, right = st.columns(2)
    label = left.selectbox(
        "Class", range(dataset.num_classes), format_func=lambda i: dataset.display_names[i], key=f"{key}_class"
    )
    members = np.flatnonzero(dataset.test.y == label)
    if len(members) == 0:
        st.warning("This class has no test images.")
        return None
    index = right.number_input("Image number", 0, len(members) - 1, 0, key=f"{key}_index")
    image = dataset.test.x[members[int(index)]]
    return fit_to_shape(image, input_shape), f"test image of '{dataset.display_names[label]}' #{int(index)}"


AUGMENTATION_KEY = "cnnviz_augmentation"


def current_augmentation() -> AugmentConfig:
    """The augmentation set on the Augment page; all transforms off until the user picks some.

    The Train page's "augmentation on" applies exactly this config to the train split.
    """
    return st.session_state.get(AUGMENTATION_KEY, AugmentConfig())


def set_current_augmentation(config: AugmentConfig) -> None:
    st.session_state[AUGMENTATION_KEY] = config


OWNER_KEY = "cnnviz_owner"


def session_owner() -> str:
    """This browser session's id: the background worker shows each session only its own jobs."""
    if OWNER_KEY not in st.session_state:
        st.session_state[OWNER_KEY] = uuid.uuid4().hex
    return st.session_state[OWNER_KEY]


def training_status() -> str | None:
    """One line about this session's latest training, for the sidebar (None when there is none)."""
    jobs = get_worker().jobs_for(session_owner())
    if not jobs:
        return None
    job = jobs[-1]
    return status_line(job, get_worker().progress(job.id).snapshot(), get_worker().result(job.id))


@st.cache_resource(show_spinner="Loading the saved model...", max_entries=8)
def cached_run(path: str, mtime: float) -> Run:
    """A saved run, loaded once per folder and config version (``mtime`` keys the cache)."""
    return load_run(Path(path))


CURRENT_MODEL = "current"  # the picker's option for the session's current model


def run_identity(run: Run) -> str:
    """What tells runs apart (names repeat): the saved run's folder, else the model object."""
    return str(run.path) if run.path is not None else f"unsaved model {id(run.model)}"


def open_run(summary: RunSummary) -> Run | None:
    """Load a saved run through the cache; an error message (and None) when it cannot be read."""
    try:
        return cached_run(str(summary.path), (summary.path / "config.json").stat().st_mtime)
    except (RunError, OSError) as error:
        st.error(f"Could not open the run {summary.name!r}: {error}")
        return None


def pick_model(key: str) -> Run | None:
    """A selectbox of the session's current model and every saved run; the chosen Run or None.

    Options are run identities (folder paths), so saving a new run keeps the user's pick.
    """
    current = current_model()
    saved = {str(summary.path): summary for summary in list_runs(runs_dir())}
    options = ([CURRENT_MODEL] if current is not None else []) + list(saved)
    if not options:
        st.info("No model yet: build one on the Model page or train one on the Train page.")
        return None

    def label(option: str) -> str:
        if option == CURRENT_MODEL:
            return f"Current model: {current.label}"
        return f"{saved[option].label} ({saved[option].status})"

    choice = st.selectbox("Model", options, key=key, format_func=label)
    return current if choice == CURRENT_MODEL else open_run(saved[choice])


def pick_model_layers(key: str, list_layers: Callable[[Any], list], missing: str) -> tuple[Run, list]:
    """The picked model and ``list_layers(model)``; stops the page with a message when there are none."""
    run = pick_model(key)
    if run is None:
        st.stop()
    try:
        layers = list_layers(run.model)
    except ValueError as error:
        st.error(f"This model cannot be inspected: {error}")
        st.stop()
    if not layers:
        st.error(missing)
        st.stop()
    return run, layers


def pick_model_layers_and_image(
    key: str, list_layers: Callable[[Any], list], missing: str
) -> tuple[Run, list, np.ndarray, str]:
    """``pick_model_layers`` then ``pick_image`` for that model; stops the page until both are there."""
    run, layers = pick_model_layers(f"{key}_model", list_layers, missing)
    picked = pick_image(run.input_shape, f"{key}_image")
    if picked is None:
        st.stop()
    return run, layers, *picked
