"""cnnviz entry point: navigation over the pages and a sidebar with the current state."""

from pathlib import Path

import streamlit as st

from cnnviz.runtime import preload

preload()  # every session waits here until the heavy modules are imported, once per server

from cnnviz.i18n import _, set_language_provider  # noqa: E402
from cnnviz.training.jobs import recover_interrupted  # noqa: E402
from pages import _language, _lesson, _server, _session  # noqa: E402

st.set_page_config(page_title="cnnviz", page_icon="🧠", layout="wide")


def pages() -> dict[str, list[st.Page]]:
    """The navigation, in the session's language (URLs come from the file names, not the titles)."""
    return {
        _("Data and model"): [
            st.Page("pages/data.py", title=_("Data"), icon="🗂️", default=True),
            st.Page("pages/model.py", title=_("Model"), icon="🧱"),
            st.Page("pages/augment.py", title=_("Augment"), icon="🎛️"),
        ],
        _("Training"): [
            st.Page("pages/train.py", title=_("Train"), icon="📈"),
            st.Page("pages/runs.py", title=_("Runs"), icon="🗃️"),
            st.Page("pages/lab.py", title=_("Overfitting lab"), icon="🧪"),
        ],
        _("Inside the network"): [
            st.Page("pages/activations.py", title=_("Activations"), icon="🔬"),
            st.Page("pages/filters.py", title=_("Filters"), icon="🌀"),
            st.Page("pages/gradcam.py", title=_("Where the network looks"), icon="🔥", url_path="gradcam"),
            st.Page("pages/convolution.py", title=_("Convolution"), icon="🧮"),
        ],
        _("Use it"): [
            st.Page("pages/predict.py", title=_("Predict"), icon="📷"),
        ],
    }


@st.cache_resource(show_spinner=False)
def _install_language_provider() -> bool:
    """Once per server: cnnviz.i18n asks the running session for its language."""
    set_language_provider(_language.session_language)
    return True


@st.cache_resource(show_spinner=False)
def recover_once(runs_dir: str) -> int:
    """Once per server: trainings a previous server left unfinished become "interrupted" runs."""
    return len(recover_interrupted(Path(runs_dir)))


_server.keep_keras_state_between_runs()
recover_once(str(_session.runs_dir()))
_install_language_provider()
_language.language_picker()
navigation = st.navigation(pages())
_session.render_sidebar()
_lesson.lesson_sidebar(navigation.url_path)
navigation.run()
