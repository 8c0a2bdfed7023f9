"""Per-browser-session state shared by the pages: the current dataset, model and augmentation.

Pages read and write the session's state only through these functions (and those of
``jobs``, ``memo`` and ``lesson``), so its keys live in ``app/``. Heavy objects come from the
cnnviz library through Streamlit's caches (``loading``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from typing import Any

import streamlit as st

from app.loading import cached_dataset
from cnnviz.data.augmentation import AugmentConfig
from cnnviz.data.dataset import Dataset, DatasetSpec
from cnnviz.runs.store import Run

DATASET_KEY = "cnnviz_dataset"
MODEL_KEY = "cnnviz_model"
AUGMENTATION_KEY = "cnnviz_augmentation"
AUGMENT_SEED_KEY = "augment_seed"
OWNER_KEY = "cnnviz_owner"
REDRAW_KEY = "cnnviz_redraw_state"  # what shows the state, redrawn when it changes (the sidebar's summary)


def redraw_on_change(redraw: Callable[[], None]) -> None:
    """Call ``redraw()`` whenever this session's dataset or model changes during the run (the sidebar's
    summary is drawn before the page, so a page that changes them redraws it)."""
    st.session_state[REDRAW_KEY] = redraw


def _changed() -> None:
    redraw = st.session_state.get(REDRAW_KEY)
    if redraw is not None:
        redraw()


def current_dataset() -> Dataset:
    """The session's dataset; the generated Shapes set (shared, read-only) until the user picks another."""
    if DATASET_KEY in st.session_state:
        return st.session_state[DATASET_KEY]
    return cached_dataset(DatasetSpec())  # no spinner: each would start a thread, several times a run


def picked_dataset() -> Dataset | None:
    """The dataset the user picked; None while the session has the default one."""
    return st.session_state.get(DATASET_KEY)


def current_dataset_spec() -> DatasetSpec:
    """The spec that loads the session's dataset again (the default one for a dataset built in memory)."""
    return current_dataset().spec or DatasetSpec()


def set_current_dataset(dataset: Dataset) -> None:
    st.session_state[DATASET_KEY] = dataset
    _changed()


def current_model() -> Run | None:
    """The session's current model: the last one built, trained or opened."""
    return st.session_state.get(MODEL_KEY)


def set_current_model(run: Run) -> None:
    st.session_state[MODEL_KEY] = run
    _changed()


def current_augmentation() -> AugmentConfig:
    """The augmentation set on the Augment page; all transforms off until the user picks some.

    The Train page's "augmentation on" applies exactly this config to the train split.
    """
    return st.session_state.get(AUGMENTATION_KEY, AugmentConfig())


def set_current_augmentation(config: AugmentConfig) -> None:
    st.session_state[AUGMENTATION_KEY] = config


def augment_seed() -> int:
    """The seed of the Augment page's preview grid (the Re-roll button counts it up)."""
    return st.session_state.get(AUGMENT_SEED_KEY, 0)


def reroll_augment_seed() -> None:
    st.session_state[AUGMENT_SEED_KEY] = augment_seed() + 1


def widget_values(keys: Iterable[str]) -> dict[str, Any]:
    """The current values of widgets, by key (absent keys are left out)."""
    return {key: st.session_state[key] for key in keys if key in st.session_state}


def set_widget_values(values: dict[str, Any]) -> None:
    """Set widgets' values by key; call before they are drawn (e.g. from a button's on_click)."""
    for key, value in values.items():
        st.session_state[key] = value


def session_owner() -> str:
    """This browser session's id: the background worker shows each session only its own jobs."""
    if OWNER_KEY not in st.session_state:
        st.session_state[OWNER_KEY] = uuid.uuid4().hex
    return st.session_state[OWNER_KEY]
