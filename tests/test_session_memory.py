"""A session that leaves frees what only it held: its model, its traces and its shown results."""

from __future__ import annotations

import gc
import weakref

from streamlit.testing.v1 import AppTest

from app.state import DATASET_KEY, MODEL_KEY
from tests.conftest import APPTEST_TIMEOUT_S, REPO_ROOT, tiny_model_run


def visit_inside_pages(dataset, monkeypatch, tmp_path) -> weakref.ref:
    """One student's session: its own model, looked at on Activations and Grad-CAM; then it leaves."""
    monkeypatch.setenv("CNNVIZ_RUNS_DIR", str(tmp_path / "runs"))
    run = tiny_model_run(dataset)
    model = weakref.ref(run.model)
    for page in ("activations", "gradcam"):
        at = AppTest.from_file(str(REPO_ROOT / "pages" / f"{page}.py"), default_timeout=APPTEST_TIMEOUT_S)
        at.session_state[DATASET_KEY] = dataset
        at.session_state[MODEL_KEY] = run
        at.run()
        assert not at.exception and at.image, f"the {page} page showed nothing"
    return model


def test_a_model_only_a_departed_session_held_is_freed(small_shapes, monkeypatch, tmp_path):
    model = visit_inside_pages(small_shapes, monkeypatch, tmp_path)
    # Streamlit leaves the last script run's namespace installed as sys.modules["__main__"] until
    # the next run, in any session, replaces it: another student's page run comes next.
    AppTest.from_string("import streamlit as st\nst.write('another student')").run()
    gc.collect()
    assert model() is None, f"still referred to by {[type(r).__name__ for r in gc.get_referrers(model())][:8]}"
