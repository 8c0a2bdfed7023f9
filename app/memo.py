"""What a page computed, kept in the session with the inputs it was computed for.

A page's view is recomputed on every script run unless it is kept: ``remembered`` keeps one
result per page while its inputs stay the same. ``run_identity`` and ``view_key`` say what
such inputs are made of (runs' names repeat; images are compared by their pixels).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable
from typing import Any

import numpy as np
import streamlit as st

from cnnviz.runs.store import Run

SHOWN_PREFIX = "cnnviz_shown_"


def remember_shown(page: str, inputs: Hashable, result: Any) -> None:
    """Keep what a page computed on a button press, with the inputs it was computed for."""
    st.session_state[SHOWN_PREFIX + page] = (inputs, result)


def shown_result(page: str, inputs: Hashable) -> Any | None:
    """The result ``remember_shown`` kept for these same inputs, else None."""
    kept_inputs, result = st.session_state.get(SHOWN_PREFIX + page, (None, None))
    return result if kept_inputs == inputs else None


def remembered(page: str, inputs: Hashable, compute: Callable[[], Any]) -> Any:
    """What ``compute()`` gives for these inputs, computed once and kept while the inputs stay the same."""
    result = shown_result(page, inputs)
    if result is None:
        result = compute()
        remember_shown(page, inputs, result)
    return result


def run_identity(run: Run) -> str:
    """What tells runs apart (names repeat): the saved run's folder, else the model object."""
    return str(run.path) if run.path is not None else f"unsaved model {id(run.model)}"


def view_key(run: Run, image: np.ndarray, layer_name: str) -> tuple[str, str, str]:
    """What a view of one layer computed for one image depends on: the run, the image's pixels, the layer."""
    return run_identity(run), hashlib.sha1(np.ascontiguousarray(image).tobytes()).hexdigest(), layer_name
