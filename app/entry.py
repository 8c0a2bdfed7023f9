"""The whole app in one script run: the server's set-up once, then the language, navigation, sidebar and page.

streamlit_app.py calls ``run_app()`` once the preload has started; so does a page that Streamlit
started without it (``app.page.app_page``). Nothing here waits for TensorFlow: the first page
paints while the preload imports it (cnnviz/runtime.py).
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from app import language, lesson, loading, private_api, server, sidebar
from app.page import inside_app_navigation
from cnnviz.i18n import _, set_language_provider
from cnnviz.lesson.pages import DEFAULT_PAGE, NAVIGATION
from cnnviz.runs.store import STAGING_PREFIX
from cnnviz.runtime import foreground, preload
from cnnviz.training.jobs import recover_interrupted


def pages() -> dict[str, list[st.Page]]:
    """The navigation, in the session's language (URLs come from the file names, not the titles)."""
    return {
        _(section): [st.Page(f"pages/{page.key}.py", title=_(page.title), icon=page.icon, default=page.key == DEFAULT_PAGE)
                     for page in section_pages]
        for section, section_pages in NAVIGATION
    }  # fmt: skip


@st.cache_resource(show_spinner=False)
def set_up_server() -> bool:
    """Once per server, before the first page: check the private Streamlit names the app relies on (the
    preload checks Keras' own), take over Streamlit's per-run clean-up, and have cnnviz.i18n ask the
    running session for its language."""
    private_api.check_streamlit()
    server.keep_keras_state_between_runs()
    set_language_provider(language.session_language)
    return True


@st.cache_resource(show_spinner=False)
def recover_once(runs_dir: str) -> int:
    """Once per server: trainings a previous server left unfinished become "interrupted" runs (saving
    them loads their checkpoints, so only then does the first page wait for Keras)."""
    folder = Path(runs_dir)
    if not any(folder.glob(f"{STAGING_PREFIX}*")):
        return 0
    preload()
    return len(recover_interrupted(folder))


def run_app() -> None:
    """One script run of the app: set-up, language picker, navigation, sidebar, then the page (in the
    foreground: the preload imports TensorFlow once the pages are quiet, cnnviz/runtime.py says why)."""
    with foreground():
        st.set_page_config(page_title="cnnviz", page_icon="🧠", layout="wide")
        set_up_server()
        recover_once(str(loading.runs_dir()))
        language.language_picker()
        navigation = st.navigation(pages())
        sidebar.render_sidebar()
        lesson.lesson_sidebar(navigation.url_path)
        with inside_app_navigation():
            navigation.run()
