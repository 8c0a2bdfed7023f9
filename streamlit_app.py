"""cnnviz entry point: navigation over the pages and a sidebar with the current state."""

from pathlib import Path

import streamlit as st

from cnnviz.runtime import preload

preload()  # every session waits here until the heavy modules are imported, once per server

from cnnviz.training.jobs import recover_interrupted  # noqa: E402
from pages import _session  # noqa: E402

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
    ],
    "Use it": [
        st.Page("pages/predict.py", title="Predict", icon="📷"),
    ],
}



@st.cache_resource(show_spinner=False)
def recover_once(runs_dir: str) -> int:
    """Once per server: trainings a previous server left unfinished become "interrupted" runs."""
    return len(recover_interrupted(Path(runs_dir)))


recover_once(str(_session.runs_dir()))
navigation = st.navigation(PAGES)
_session.render_sidebar()
navigation.run()
