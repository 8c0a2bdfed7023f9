"""The private Streamlit and Keras names the app relies on: all in two modules, and still working.

If ``test_the_private_names_still_work`` fails after an upgrade, its message names the version
and the name: update app/private_api.py (Streamlit) or cnnviz/private_api.py (Keras).
"""

from __future__ import annotations

import ast
import io
import tokenize

import pytest

from app import private_api
from cnnviz import private_api as keras_private_api
from tests.conftest import REPO_ROOT

PRIVATE_API_MODULES = {REPO_ROOT / "app" / "private_api.py", REPO_ROOT / "cnnviz" / "private_api.py"}
SOURCES = sorted({
    REPO_ROOT / "streamlit_app.py", *(REPO_ROOT / "app").rglob("*.py"), *(REPO_ROOT / "pages").rglob("*.py"),
    *(REPO_ROOT / "cnnviz").rglob("*.py"),
} - PRIVATE_API_MODULES)
PRIVATE_MODULES = ("streamlit.runtime", "streamlit.web", "streamlit.proto", "keras.src")
PRIVATE_NAMES = {
    "_clean_problem_modules", "_session_mgr", "_session_storage", "_storage_lock", "_run_through_graph",
    "SCRIPT_RUN_CONTEXT_ATTR_NAME", "uses_pages_directory", "main_script_path",
}  # fmt: skip


def test_the_private_names_still_work():
    private_api.check()


def test_a_renamed_streamlit_name_fails_loudly_with_the_version(monkeypatch):
    from streamlit.runtime.scriptrunner import script_runner

    monkeypatch.delattr(script_runner, "_clean_problem_modules")
    with pytest.raises(private_api.PrivateApiChanged, match=r"Streamlit 1\.\d+\.\d+ .*_clean_problem_modules"):
        private_api.check()


def test_a_changed_keras_name_fails_loudly_with_the_version(monkeypatch):
    import keras

    inputs = keras.Input((2,))
    functional = type(keras.Model(inputs, keras.layers.Dense(1)(inputs)))
    walk = functional._run_through_graph

    def renamed(self, inputs, layer_fn=None, call_fn=None):  # a Keras that renamed operation_fn
        return walk(self, inputs, call_fn=call_fn) if layer_fn is None else walk(self, inputs, layer_fn, call_fn)

    monkeypatch.setattr(functional, "_run_through_graph", renamed)
    with pytest.raises(private_api.PrivateApiChanged, match=r"Keras 3\.\d+\.\d+ .*operation_fn"):
        private_api.check()


def test_the_pins_are_the_installed_requirements():
    pinned = (REPO_ROOT / "requirements.txt").read_text().split()
    assert private_api.STREAMLIT_PIN in pinned and keras_private_api.KERAS_PIN in pinned


def code_names(source: str) -> set[str]:
    """The names the code uses, and strings that are exactly a name (``getattr(x, "_name")``); not comments
    or docstrings."""
    names = set()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.NAME:
            names.add(token.string)
        elif token.type == tokenize.STRING and token.string.strip("'\"").isidentifier():
            names.add(token.string.strip("'\""))
    return names


def imported_modules(source: str) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", SOURCES, ids=[str(path.relative_to(REPO_ROOT)) for path in SOURCES])
def test_no_other_module_reaches_into_streamlit_or_keras_internals(path):
    source = path.read_text(encoding="utf-8")
    internal = [name for name in imported_modules(source) if name.startswith(PRIVATE_MODULES)]
    assert not internal, f"{path.name} imports {internal}: go through app/private_api.py or cnnviz/private_api.py"
    assert not code_names(source) & PRIVATE_NAMES, f"{path.name} uses a private Streamlit or Keras name"
