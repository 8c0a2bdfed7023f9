"""cnnviz entry point: navigation over the pages and a sidebar with the current state."""

import threading

import streamlit as st

from cnnviz.i18n import _, set_language_provider
from cnnviz.runtime import import_keras_and_freeze
from pages import _session

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
        ],
        _("Inside the network"): [
            st.Page("pages/activations.py", title=_("Activations"), icon="🔬"),
            st.Page("pages/filters.py", title=_("Filters"), icon="🌀"),
            st.Page("pages/gradcam.py", title=_("Grad-CAM"), icon="🔥"),
            st.Page("pages/convolution.py", title=_("Convolution"), icon="🧮"),
        ],
        _("Use it"): [
            st.Page("pages/predict.py", title=_("Predict"), icon="📷"),
        ],
    }


@st.cache_resource(show_spinner=False)
def _install_language_provider() -> bool:
    """Once per server: cnnviz.i18n asks the running session for its language."""
    set_language_provider(_session.session_language)
    return True


@st.cache_resource(show_spinner=False)
def _preload_keras_once() -> threading.Thread:
    """Once per server: start the import in the background, so the first page shows at once."""
    thread = threading.Thread(target=import_keras_and_freeze, name="cnnviz-preload-keras", daemon=True)
    thread.start()
    return thread


_preload_keras_once()
_install_language_provider()
_session.language_picker()
navigation = st.navigation(pages())
_session.render_sidebar()
navigation.run()
