"""The lesson bridges of every page: the Code expander, and the sidebar's "Lesson link" box.

A link opened in a fresh session is applied once (``lesson_sidebar``): the dataset is loaded,
the model built (or the saved run opened), augmentation, training settings and the page's
controls set by their widget keys, and the locked controls remembered, so that ``control(key)``
draws them disabled. What cannot be rebuilt gives a message and keeps the default.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import streamlit as st

from app import state as session
from app.loading import cached_dataset, open_run, runs_dir
from app.page import wait_for_keras
from cnnviz.data.dataset import DatasetSpec
from cnnviz.data.registry import DatasetUnavailable
from cnnviz.i18n import _, current_language
from cnnviz.lesson.code import CodeUnavailable, Setup, page_code, script
from cnnviz.lesson.controls import MODEL_ARCHITECTURE_KEY
from cnnviz.lesson.link import (
    AUGMENT_KEYS,
    MODEL_OPTION_KEYS,
    PAGE_WIDGETS,
    TRAIN_KEYS,
    LessonState,
    from_params,
    has_lesson,
    lesson_url,
)
from cnnviz.lesson.notebook import notebook_json
from cnnviz.lesson.pages import DEFAULT_PAGE, lock_labels
from cnnviz.models.architectures import build_model
from cnnviz.models.transfer import WeightsUnavailable
from cnnviz.runs.schema import RunConfig, TrainConfig, model_config
from cnnviz.runs.store import Run, list_runs, slug
from cnnviz.runtime import preload
from cnnviz.text import plain

APPLIED_KEY = "cnnviz_lesson_applied"
LOCKED_KEY = "cnnviz_lesson_locked"
PROBLEMS_KEY = "cnnviz_lesson_problems"
LINKED_KEY = "cnnviz_lesson_linked"  # the widget keys a link set
log = logging.getLogger(__name__)


def locked(key: str) -> bool:
    """Whether the lesson link this session opened locks the widget with this key."""
    return key in st.session_state.get(LOCKED_KEY, ())


def control(key: str) -> dict[str, Any]:
    """A widget's key and disabled flag: ``st.slider(..., **control("augment_zoom"))``."""
    return {"key": key, "disabled": locked(key)}


# ---------------------------------------------------------------- the current set-up


def current_training() -> TrainConfig:
    """The Train page's settings as the widgets hold them (defaults for those not drawn yet)."""
    values = session.widget_values(TRAIN_KEYS.values())
    by_field = {name: values[key] for name, key in TRAIN_KEYS.items() if key in values}
    try:
        return TrainConfig(**by_field)
    except (ValueError, TypeError):
        return TrainConfig()


def current_setup(architecture: str | None = None, options: dict[str, Any] | None = None) -> Setup:
    """The session's set-up; ``architecture`` and ``options`` override the current model's."""
    dataset = session.current_dataset()
    model = session.current_model()
    if architecture is None:
        choice = model.config.architecture if model is not None else None
        architecture, options = (choice.name, choice.options) if choice else ("simple", {})
    training = current_training()
    augmentation = session.current_augmentation()
    augment = not augmentation.is_identity and st.session_state.get(TRAIN_KEYS["augment"], True)
    return Setup(
        dataset.spec or DatasetSpec(), architecture, dict(options or {}), dataset.image_shape, dataset.num_classes,
        replace(training, augment=bool(augment)), augmentation if augment else None, len(dataset.val) > 0,
    )  # fmt: skip


@st.cache_data(show_spinner=False, max_entries=32)
def cached_page_code(setup: Setup, page: str, language: str) -> str:
    """The page's steps (building the model once per set-up), in ``language``."""
    return page_code(setup, page)


def _after_preload(write: Callable[[Setup, str], str], setup: Setup, title: str) -> Callable[[], str]:
    """A download's writer, called when clicked (in a thread of Streamlit's): it builds the model, so it
    first waits for the preload's Keras, which a click on the Data page can come before."""

    def written() -> str:
        preload()
        return write(setup, title)

    return written


def _downloads(setup: Setup, title: str, key: str) -> None:
    """The whole set-up as a .py script and an .ipynb notebook, written when clicked."""
    left, right = st.columns(2)
    name = slug(title) or "lesson"
    left.download_button(_("Download .py"), data=_after_preload(script, setup, title), file_name=f"{name}.py",
                         mime="text/x-python", key=f"{key}_py")  # fmt: skip
    right.download_button(_("Download .ipynb"), data=_after_preload(notebook_json, setup, title),
                          file_name=f"{name}.ipynb", mime="application/x-ipynb+json",
                          key=f"{key}_ipynb")  # fmt: skip


def code_expander(page: str, architecture: str | None = None, options: dict[str, Any] | None = None) -> None:
    """The page's "Code" expander: its Keras code, and the whole set-up as a script or notebook."""
    with st.expander(_("Code")):
        setup = current_setup(architecture, options)
        try:
            st.code(cached_page_code(setup, page, current_language()), language="python")
        except CodeUnavailable as error:
            st.info(str(error))
            return
        st.caption(_("The downloads hold the whole set-up: data, split, model, augmentation, training, saving."))
        _downloads(setup, _("{architecture} on {dataset}").format(
            architecture=setup.architecture, dataset=session.current_dataset().name), f"code_{page}")


def run_code(config: RunConfig) -> None:
    """A saved run's code, from its config.json, as script and notebook downloads."""
    st.caption(_("This run's Keras code (settings from its config.json):"))
    try:
        setup = Setup.of_run(config)
    except CodeUnavailable as error:
        st.info(str(error))
        return
    _downloads(setup, config.name, "code_run")


# ---------------------------------------------------------------- opening a link


def _load_dataset(spec: DatasetSpec, problems: list[str]) -> None:
    if spec == DatasetSpec():
        return
    try:
        session.set_current_dataset(cached_dataset(spec))
    except DatasetUnavailable as error:
        problems.append(_("The link's dataset could not be loaded ({error}); the default dataset is used.").format(error=error))


def _open_run(run_id: str, problems: list[str]) -> None:
    found = [summary for summary in list_runs(runs_dir()) if summary.path.name == run_id]
    run = open_run(found[0]) if found else None
    if run is None:
        problems.append(_("The link names a saved run that this server does not have."))
    else:
        session.set_current_model(run)


def _build_model(state: LessonState, problems: list[str]) -> None:
    dataset = session.current_dataset()
    try:
        model = build_model(state.architecture, dataset.image_shape, dataset.num_classes, **state.options)
    except (ValueError, TypeError, WeightsUnavailable) as error:
        problems.append(_("The link's model could not be built ({error}); pick one on the Model page.").format(error=error))
        return
    session.set_current_model(Run(model, model_config(state.architecture, state.options, dataset)))
    _set_linked({MODEL_ARCHITECTURE_KEY: state.architecture})
    _set_linked({MODEL_OPTION_KEYS[k]: v for k, v in state.options.items() if k in MODEL_OPTION_KEYS})


def apply_lesson(state: LessonState) -> list[str]:
    """Rebuild the session from a link's state; the problems met, as messages."""
    problems: list[str] = []
    _load_dataset(state.dataset, problems)
    if state.run:
        _open_run(state.run, problems)
    elif state.architecture:
        _build_model(state, problems)
    session.set_current_augmentation(state.augmentation)
    augment = state.augmentation.to_dict()
    _set_linked({key: tuple(v) if isinstance(v, list) else v
                                for key, v in ((AUGMENT_KEYS[name], augment[name]) for name in augment)})  # fmt: skip
    training = state.training.to_dict()
    _set_linked({key: training[name] for name, key in TRAIN_KEYS.items() if name in training})
    _set_linked(state.widgets)
    st.session_state[LOCKED_KEY] = frozenset(state.locked)
    return problems


def _set_linked(values: dict[str, Any]) -> None:
    """Set widgets' values from the link, remembering which (``forget_linked_values``)."""
    session.set_widget_values(values)
    st.session_state[LINKED_KEY] = st.session_state.get(LINKED_KEY, frozenset()) | set(values)


def forget_linked_values(error: Exception) -> bool:
    """After a page refused a control's value as out of its range: when a link set controls, they go back to
    the page's defaults and the page runs again with a message (True: a rerun is on its way)."""
    linked = st.session_state.pop(LINKED_KEY, frozenset())
    if not linked:
        return False
    log.info("a lesson link set a control out of its range: %s", error)
    for key in linked:
        st.session_state.pop(key, None)
    st.session_state[PROBLEMS_KEY] = [_("The link sets a control outside its range; the page's defaults are used.")]
    st.rerun()
    return True


def _apply_link_once(page: str) -> None:
    """On a session's first run: rebuild the link's view and go to its page; its problems are shown there."""
    if not st.session_state.get(APPLIED_KEY):
        st.session_state[APPLIED_KEY] = True
        params = st.query_params.to_dict()
        if has_lesson(params):
            wait_for_keras()  # the link's model is built or its saved run loaded
            state, problems = from_params(params)
            st.session_state[PROBLEMS_KEY] = problems + apply_lesson(state)
            if state.page != page:
                st.switch_page(f"pages/{state.page}.py")
    for problem in st.session_state.pop(PROBLEMS_KEY, []):
        st.warning(plain(problem, 500), icon="🔗")  # our sentence, but it may hold a name from the link


# ---------------------------------------------------------------- the sidebar box


def current_state(page: str, locks: tuple[str, ...]) -> LessonState:
    """What the link of the current view carries."""
    setup = current_setup()
    model = session.current_model()
    run_id = model.path.name if model is not None and model.path is not None else ""
    widgets = session.widget_values(PAGE_WIDGETS.get(page, ()))
    return LessonState(
        page=page, dataset=setup.dataset, architecture="" if run_id or model is None else setup.architecture,
        options={} if run_id else setup.options, run=run_id, augmentation=session.current_augmentation(),
        training=current_training(), widgets=widgets,
        locked=locks,
    )  # fmt: skip


def _base_url(page: str) -> str:
    """The app's address without the current page's path."""
    return (st.context.url or "").removesuffix("/").removesuffix(f"/{page}")


def lesson_sidebar(url_path: str) -> None:
    """Apply a lesson link once per session, then show the link of the current view with lock boxes."""
    page = url_path or DEFAULT_PAGE
    _apply_link_once(page)
    with st.sidebar.expander(_("🔗 Lesson link")):
        labels = lock_labels(page)
        if labels:
            st.caption(_("Lock for students:"))
        locks = tuple(key for key, label in labels.items() if st.checkbox(_(label), key=f"lesson_lock_{key}"))
        link = lesson_url(_base_url(page), current_state(page, locks), {"lang": current_language()})
        st.code(link, language=None, wrap_lines=True)
        st.caption(_("Students who open this link see this page with these settings; locked controls cannot be changed."))
