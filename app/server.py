"""One process serving a whole class: results shared by its sessions, and housekeeping Streamlit does not do."""

from __future__ import annotations

import gc
import sys
import threading
from collections.abc import Callable
from typing import Any

import streamlit as st

from app import private_api
from cnnviz.runtime import collect_periodically

SHARED_RESULTS = 128  # saved runs' maps kept for all sessions: ~10 per run, image and layer, a few KB to 0.5 MB


@st.cache_resource(show_spinner=False, max_entries=SHARED_RESULTS)
def shared_result(saved_run: tuple[str, str], inputs: tuple, what: tuple, _compute: Callable[[], Any]) -> Any:
    """A result about a saved run, computed once for every session: a class looking at the same run waits
    for one computation instead of making one each (a saved run's model never changes; its folder and
    time name it). Defined in a module, not in a page: a cached function keeps its module's globals alive,
    and a page's globals hold the last session's model."""
    return _compute()


@st.cache_resource(show_spinner=False)
def keep_keras_state_between_runs() -> bool:
    """Once per server: after every script run Streamlit calls keras.backend.clear_session(), which
    resets Keras' state and TensorFlow's kernel cache under the other sessions' running work and
    scans the whole heap. The app shares one Keras among all sessions and keeps no per-run
    Keras state, so only the rest of that clean-up stays (pyplot figures, which the app never
    opens); cyclic garbage is collected every 30 s instead (cnnviz.runtime.collect_periodically)."""
    private_api.replace_post_run_cleanup(close_pyplot_figures)
    collect_periodically(first=let_go_of_departed_sessions)
    return True


def let_go_of_departed_sessions() -> None:
    """Drop the closed tabs' sessions whose reconnect time (server.disconnectedSessionTTL) is over.

    Streamlit's session storage only drops them when it next stores a session, so a class that
    leaves together would stay in memory until somebody else leaves.
    """
    forget_finished_script_runs()
    private_api.expire_departed_sessions()


def forget_finished_script_runs() -> None:
    """Take the script-run context off every finished script thread.

    Streamlit attaches each run's context (and through it the session's state: a student's model,
    dataset and compiled functions) to the thread that ran the script, and leaves it there when the
    thread ends. Thread, context and state then form cycles that outlive the closed tab until a full
    collection, and a server that had frozen them (gc.freeze) kept about 12 MB a student for good.
    """
    for thread in [obj for obj in gc.get_objects() if isinstance(obj, threading.Thread)]:
        finished = thread.ident is not None and not thread.is_alive()  # started, and over
        if finished:
            private_api.drop_script_run_context(thread)


def close_pyplot_figures() -> None:
    """What Streamlit's per-run clean-up does besides clearing Keras."""
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")
