"""Datasets and saved runs, loaded once per server through Streamlit's caches and shared by every session.

A dataset that decodes image files loads in a thread of its own, so that the page can show
how many files are done while it waits.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import streamlit as st

from app import private_api
from cnnviz.data.dataset import Dataset
from cnnviz.data.fast_decode import Progress
from cnnviz.data.registry import DatasetSpec, DatasetUnavailable, load_dataset
from cnnviz.i18n import _
from cnnviz.runs.store import Run, RunError, RunSummary, load_run

PROGRESS_POLL_SECONDS = 0.2


@st.cache_resource(show_spinner="Loading the dataset...", max_entries=8)
def cached_dataset(spec: DatasetSpec, _progress: Progress | None = None) -> Dataset:
    """Datasets are shared by every session that asks for the same spec (``_progress``: not part of the key)."""
    return load_dataset(spec, _progress)


def try_load_dataset(spec: DatasetSpec, progress: Progress | None = None) -> Dataset | None:
    """Load a dataset, showing a plain message instead of a traceback when it fails.

    ``progress(done, total)`` is called in this script's thread with how many image files
    are decoded (folders and zips), while the dataset loads in a thread of its own.
    """
    try:
        return cached_dataset(spec) if progress is None else _load_reporting(spec, progress)
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
        private_api.attach_script_run_context(threading.current_thread(), context)  # the spinner shows here
        return cached_dataset(spec, hear)

    with ThreadPoolExecutor(max_workers=1) as pool:
        future = pool.submit(load)
        while True:
            try:
                return future.result(timeout=PROGRESS_POLL_SECONDS)
            except TimeoutError:
                if counts[1]:
                    progress(*counts)


@st.cache_resource(show_spinner="Loading the saved model...", max_entries=4)
def cached_run(path: str, mtime: float) -> Run:
    """A saved run, loaded once per folder and config version (``mtime`` keys the cache)."""
    return load_run(Path(path))


def open_run(summary: RunSummary) -> Run | None:
    """Load a saved run through the cache; an error message (and None) when it cannot be read."""
    try:
        return cached_run(str(summary.path), (summary.path / "config.json").stat().st_mtime)
    except (RunError, OSError) as error:
        st.error(_("Could not open the run {name!r}: {error}").format(name=summary.name, error=error))
        return None
