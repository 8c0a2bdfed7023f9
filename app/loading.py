"""Datasets and saved runs, loaded once and shared by every session.

A session's dataset is an entry of the dataset cache beside the runs (``cnnviz.data.cache``):
decoded once, on disk, and memory-mapped read-only, so a server restart skips the decoding and
a training hands it to its process by reference. A dataset that decodes image files loads in
a thread of its own, so that the page can show how many files are done while it waits. Saved
runs come from the one cache of loaded runs (``cnnviz.runs.loaded``), which the training
worker's results share: one folder, one model object.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import streamlit as st

from app import private_api
from app.page import wait_for_keras
from cnnviz.data.cache import cache_root, load_cached
from cnnviz.data.dataset import Dataset, DatasetSpec
from cnnviz.data.fast_decode import Progress
from cnnviz.data.keras_datasets import KERAS_DATASETS
from cnnviz.data.registry import DatasetUnavailable
from cnnviz.i18n import _
from cnnviz.runs.loaded import loaded_run
from cnnviz.runs.store import Run, RunError, RunSummary
from cnnviz.text import plain

DEFAULT_RUNS_DIR = "runs"
PROGRESS_POLL_SECONDS = 0.2


def runs_dir() -> Path:
    """Where runs are saved (and the dataset cache kept): $CNNVIZ_RUNS_DIR, else ./runs."""
    return Path(os.environ.get("CNNVIZ_RUNS_DIR", DEFAULT_RUNS_DIR))


@st.cache_resource(show_spinner=False, max_entries=8)
def cached_dataset(spec: DatasetSpec, _progress: Progress | None = None) -> Dataset:
    """The spec's dataset mapped from the dataset cache, one object for every session that asks for the
    same spec (``_progress``: not part of the key). Its arrays are read-only."""
    return load_cached(spec, cache_root(runs_dir()), _progress)


def try_load_dataset(spec: DatasetSpec, progress: Progress | None = None) -> Dataset | None:
    """Load a dataset, showing a plain message instead of a traceback when it fails.

    ``progress(done, total)`` is called in this script's thread with how many image files
    are decoded (folders and zips), while the dataset loads in a thread of its own. Keras' own
    datasets load through Keras, so they wait for the preload first.
    """
    if spec.source in KERAS_DATASETS:
        wait_for_keras()
    try:
        if progress is not None:
            return _load_reporting(spec, progress)
        with st.spinner(_("Loading the dataset...")):
            return cached_dataset(spec)
    except DatasetUnavailable as error:
        st.error(str(error))
        return None


def _load_reporting(spec: DatasetSpec, progress: Progress) -> Dataset:
    """cached_dataset in a helper thread; this thread passes its counts on (Streamlit elements
    may not be called inside a cached function)."""
    counts = [0, 0]  # files done, files in all: written by the loading thread

    def hear(done: int, total: int) -> None:
        counts[:] = [done, total]

    context = private_api.script_run_context()

    def load() -> Dataset:
        private_api.attach_script_run_context(threading.current_thread(), context)  # Streamlit's cache runs here
        return cached_dataset(spec, hear)

    with ThreadPoolExecutor(max_workers=1) as pool:
        future = pool.submit(load)
        while True:
            try:
                return future.result(timeout=PROGRESS_POLL_SECONDS)
            except TimeoutError:
                if counts[1]:
                    progress(*counts)


def open_run(summary: RunSummary) -> Run | None:
    """The saved run with its model, from the one cache of loaded runs; an error message (and None) when
    it cannot be read."""
    try:
        with st.spinner(_("Loading the saved model...")):
            return loaded_run(summary.path)
    except (RunError, OSError) as error:
        st.error(_("Could not open the run {name!r}: {error}").format(name=plain(summary.name), error=plain(error, 300)))
        return None
