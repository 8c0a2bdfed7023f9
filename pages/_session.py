"""Per-browser-session state shared by the pages: the current dataset, model and run.

Pages read and write the app's state only through these functions, so the keys live in
one place. Heavy objects come from the cnnviz library through Streamlit's caches.
"""

from __future__ import annotations

import hashlib
import os
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Callable, Hashable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
import streamlit as st
from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx

from cnnviz.i18n import N_, _
from cnnviz.data.augmentation import AugmentConfig
from cnnviz.data.dataset import Dataset
from cnnviz.data.fast_decode import Progress
from cnnviz.data.images import IMAGE_EXTENSIONS, ImageError
from cnnviz.data.registry import DatasetSpec, DatasetUnavailable, load_dataset
from cnnviz.photos.prepare import InputSpec, PreparedPhoto, prepare_input
from cnnviz.runs.schema import STATUS_LABELS
from cnnviz.runs.store import Run, RunError, RunSummary, list_runs, load_run
from cnnviz.training.progress import status_line
from cnnviz.training.backends import get_worker

DATASET_KEY = "cnnviz_dataset"
DEFAULT_RUNS_DIR = "runs"


def runs_dir() -> Path:
    """Where runs are saved: $CNNVIZ_RUNS_DIR, else ./runs."""
    return Path(os.environ.get("CNNVIZ_RUNS_DIR", DEFAULT_RUNS_DIR))


@st.cache_resource(show_spinner="Loading the dataset...", max_entries=8)
def cached_dataset(spec: DatasetSpec, _progress: Progress | None = None) -> Dataset:
    """Datasets are shared by every session that asks for the same spec (``_progress``: not part of the key)."""
    return load_dataset(spec, _progress)


def current_dataset() -> Dataset:
    """The session's dataset; the generated Shapes set (shared, read-only) until the user picks another."""
    if DATASET_KEY in st.session_state:
        return st.session_state[DATASET_KEY]
    return cached_dataset(DatasetSpec())


def current_dataset_spec() -> DatasetSpec:
    """The spec that loads the session's dataset again (the default one for a dataset built in memory)."""
    return current_dataset().spec or DatasetSpec()


def set_current_dataset(dataset: Dataset) -> None:
    st.session_state[DATASET_KEY] = dataset
    _refresh_sidebar()


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


PROGRESS_POLL_SECONDS = 0.2


def _load_reporting(spec: DatasetSpec, progress: Progress) -> Dataset:
    """cached_dataset in a helper thread; this thread passes its counts on (Streamlit elements
    may not be called inside a cached function)."""
    counts = [0, 0]  # files done, files in all: written by the loading thread

    def hear(done: int, total: int) -> None:
        counts[:] = [done, total]

    context = get_script_run_ctx()

    def load() -> Dataset:
        add_script_run_ctx(threading.current_thread(), context)  # the cache's spinner shows in this session
        return cached_dataset(spec, hear)

    with ThreadPoolExecutor(max_workers=1) as pool:
        future = pool.submit(load)
        while True:
            try:
                return future.result(timeout=PROGRESS_POLL_SECONDS)
            except TimeoutError:
                if counts[1]:
                    progress(*counts)


SIDEBAR_SLOT_KEY = "cnnviz_sidebar_slot"


def render_sidebar() -> None:
    """Always-visible summary of what the session is working on.

    It is drawn before the page runs, into a slot that ``set_current_dataset`` and
    ``set_current_model`` redraw, so it never shows the previous dataset or model.
    """
    adopt_finished_training()
    st.session_state[SIDEBAR_SLOT_KEY] = st.sidebar.empty()
    _refresh_sidebar()


def _refresh_sidebar() -> None:
    slot = st.session_state.get(SIDEBAR_SLOT_KEY)
    if slot is None:
        return
    with slot.container():
        st.caption(_("Current dataset"))
        if DATASET_KEY in st.session_state:
            dataset = st.session_state[DATASET_KEY]
            height, width, channels = dataset.image_shape
            st.markdown(_(
                "**{name}** · {classes} classes · {height}×{width}×{channels} · {train}/{val}/{test} images"
            ).format(
                name=dataset.name, classes=dataset.num_classes, height=height, width=width, channels=channels,
                train=len(dataset.train), val=len(dataset.val), test=len(dataset.test),
            ))
        else:
            st.markdown(_("**Shapes** (default, generated offline)"))
        st.caption(_("Current model"))
        model = current_model()
        st.markdown(f"**{model.label}**" if model else _("none yet: pick one on the Model page"))
        training = training_status()
        if training:
            st.caption(_("Training"))
            st.markdown(training)


MODEL_KEY = "cnnviz_model"


def current_model() -> Run | None:
    """The session's current model: the last one built, trained or opened."""
    return st.session_state.get(MODEL_KEY)


def set_current_model(run: Run) -> None:
    st.session_state[MODEL_KEY] = run
    _refresh_sidebar()


IMAGE_SOURCES = {"test_split": N_("From the test split"), "upload": N_("Upload a photo")}


def pick_image(spec: InputSpec, key: str) -> tuple[PreparedPhoto, str] | None:
    """An image for a model: from the current dataset's test split by class, or uploaded.

    Either way it goes through ``prepare_input``, so every page feeds the model exactly what
    Predict would. Returns the prepared image and a caption, or None.
    """
    choice = st.radio(
        _("Image"), list(IMAGE_SOURCES), format_func=lambda k: _(IMAGE_SOURCES[k]), horizontal=True, key=f"{key}_src"
    )
    if choice == "upload":
        upload = st.file_uploader(_("Photo"), type=[e[1:] for e in IMAGE_EXTENSIONS], key=f"{key}_upload")
        if upload is None:
            return None
        try:
            return prepare_input(upload.getvalue(), spec), upload.name
        except ImageError as error:
            st.error(f"{upload.name}: {error}")
            return None
    picked = _pick_test_image(key)
    return None if picked is None else (prepare_input(picked[0], spec), picked[1])


def _pick_test_image(key: str) -> tuple[np.ndarray, str] | None:
    dataset = current_dataset()
    left, right = st.columns(2)
    label = left.selectbox(
        _("Class"), range(dataset.num_classes), format_func=lambda i: dataset.display_names[i], key=f"{key}_class"
    )
    members = np.flatnonzero(dataset.test.y == label)
    if len(members) == 0:
        st.warning(_("This class has no test images."))
        return None
    index = right.number_input(_("Image number"), 0, len(members) - 1, 0, key=f"{key}_index")
    caption = _("test image of '{name}' #{number}").format(name=dataset.display_names[label], number=int(index))
    return dataset.test.x[members[int(index)]], caption


AUGMENTATION_KEY = "cnnviz_augmentation"


def current_augmentation() -> AugmentConfig:
    """The augmentation set on the Augment page; all transforms off until the user picks some.

    The Train page's "augmentation on" applies exactly this config to the train split.
    """
    return st.session_state.get(AUGMENTATION_KEY, AugmentConfig())


def set_current_augmentation(config: AugmentConfig) -> None:
    st.session_state[AUGMENTATION_KEY] = config


AUGMENT_SEED_KEY = "augment_seed"


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


TRAIN_JOB_KEY = "cnnviz_train_job"
ADOPTED_JOB_KEY = "cnnviz_train_adopted"


def training_job_id() -> str | None:
    """The job the Train page follows: the session's last Start, while the worker still knows it."""
    job_id = st.session_state.get(TRAIN_JOB_KEY)
    known = {info.id for info in get_worker().jobs_for(session_owner())}
    return job_id if job_id in known else None  # forgotten e.g. after a server restart


def set_training_job_id(job_id: str) -> None:
    st.session_state[TRAIN_JOB_KEY] = job_id


def adopt_finished_training() -> None:
    """The session's finished training becomes its current model, once per job, on whatever page the student is."""
    job_id = training_job_id()
    if job_id is None or st.session_state.get(ADOPTED_JOB_KEY) == job_id:
        return
    finished_run = get_worker().result(job_id)
    if finished_run is not None:
        set_current_model(finished_run)
        st.session_state[ADOPTED_JOB_KEY] = job_id


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
    return status_line(job, get_worker().progress(job.id).snapshot(), get_worker().result_config(job.id))


@st.cache_resource(show_spinner="Loading the saved model...", max_entries=4)
def cached_run(path: str, mtime: float) -> Run:
    """A saved run, loaded once per folder and config version (``mtime`` keys the cache)."""
    return load_run(Path(path))


CURRENT_MODEL = "current"  # the picker's option for the session's current model


def run_identity(run: Run) -> str:
    """What tells runs apart (names repeat): the saved run's folder, else the model object."""
    return str(run.path) if run.path is not None else f"unsaved model {id(run.model)}"


def view_key(run: Run, image: np.ndarray, layer_name: str) -> tuple[str, str, str]:
    """What a view of one layer computed for one image depends on: the run, the image's pixels, the layer."""
    return run_identity(run), hashlib.sha1(np.ascontiguousarray(image).tobytes()).hexdigest(), layer_name


def open_run(summary: RunSummary) -> Run | None:
    """Load a saved run through the cache; an error message (and None) when it cannot be read."""
    try:
        return cached_run(str(summary.path), (summary.path / "config.json").stat().st_mtime)
    except (RunError, OSError) as error:
        st.error(_("Could not open the run {name!r}: {error}").format(name=summary.name, error=error))
        return None


def pick_model(key: str) -> Run | None:
    """A selectbox of the session's current model and every saved run; the chosen Run or None.

    Options are run identities (folder paths), so saving a new run keeps the user's pick.
    """
    current = current_model()
    saved = {str(summary.path): summary for summary in list_runs(runs_dir())}
    options = ([CURRENT_MODEL] if current is not None else []) + list(saved)
    if not options:
        st.info(_("No model yet: build one on the Model page or train one on the Train page."))
        return None

    def label(option: str) -> str:
        if option == CURRENT_MODEL:
            return _("Current model: {label}").format(label=current.label)
        return f"{saved[option].label} ({_(STATUS_LABELS[saved[option].status])})"

    choice = st.selectbox(_("Model"), options, key=key, format_func=label)
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


def step_position(x_key: str, y_key: str, width: int, height: int) -> None:
    """Move a pair of (x, y) position widgets one step on, row by row, wrapping at the end."""
    index = st.session_state.get(y_key, 0) * width + st.session_state.get(x_key, 0) + 1
    st.session_state[y_key], st.session_state[x_key] = divmod(index % (width * height), width)


LAB_JOB_KEY = "cnnviz_lab_job"


def lab_job() -> tuple[str, str, str] | None:
    """(job id, group kind, group id) of the lab's last experiment, while the worker still knows it."""
    job = st.session_state.get(LAB_JOB_KEY)
    known = {info.id for info in get_worker().jobs_for(session_owner())}
    return job if job is not None and job[0] in known else None


def set_lab_job(job_id: str, kind: str, group: str) -> None:
    st.session_state[LAB_JOB_KEY] = (job_id, kind, group)
