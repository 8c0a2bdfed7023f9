"""cnnviz entry point: navigation over the pages and a sidebar with the current state."""

import threading

import streamlit as st

from cnnviz.runtime import import_keras_and_freeze
from pages import _session

st.set_page_config(page_title="cnnviz", page_icon="🧠", layout="wide")

PAGES = {
    "Data and model": [
        st.Page("pages/data.py", title="Data", icon="🗂️", default=True),
        st.Page("pages/model.py", title="Model", icon="🧱"),
        st.Page("pages/augment.py", title="Augment", icon="🎛️"),
    ],
    "Training": [
        st.Page("pages/train.py", title="Train", icon="📈"),
        st.Page("pages/runs.py", title="Runs", icon="🗃️"),
    ],
    "Inside the network": [
        st.Page("pages/activations.py", title="Activations", icon="🔬"),
        st.Page("pages/filters.py", title="Filters", icon="🌀"),
        st.Page("pages/gradcam.py", title="Grad-CAM", icon="🔥"),
        st.Page("pages/convolution.py", title="Convolution", icon="🧮"),
    ],
    "Use it": [
        st.Page("pages/predict.py", title="Predict", icon="📷"),
    ],
}


@st.cache_resource(show_spinner=False)
def _preload_keras_once() -> threading.Thread:
    """Once per server: start the import in the background, so the first page shows at once."""
    thread = threading.Thread(target=import_keras_and_freeze, name="cnnviz-preload-keras", daemon=True)
    thread.start()
    return thread


_preload_keras_once()
navigation = st.navigation(PAGES)
_session.render_sidebar()
navigation.run()
