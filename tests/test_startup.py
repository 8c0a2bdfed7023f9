"""The first page must paint fast: nothing a page imports at start-up may load TensorFlow."""

from __future__ import annotations

import ast
import subprocess
import sys

from tests.conftest import REPO_ROOT

HEAVY = ("tensorflow", "keras")


def top_level_imports(path) -> set[str]:
    """Modules a script imports at its top level (not inside functions)."""
    modules = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
            if node.module == "pages":  # page helpers: `from pages import _session`
                modules.update(f"pages.{alias.name}" for alias in node.names)
    return modules


def test_pages_import_no_tensorflow_at_start_up():
    scripts = [REPO_ROOT / "streamlit_app.py", *sorted((REPO_ROOT / "pages").glob("*.py"))]
    modules = sorted(set().union(*(top_level_imports(p) for p in scripts)) - {"streamlit"})
    assert "cnnviz.data.registry" in modules and "pages._session" in modules
    code = "import importlib, sys\n" + "".join(f"importlib.import_module({m!r})\n" for m in modules)
    code += f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))"
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", f"loaded at start-up: {out.stdout.strip()}"



def test_the_server_collects_garbage_once_per_script_run_not_twice():
    """Streamlit clears the Keras session after every run (keras is always preloaded), which runs a full
    collection; the server's own post-run collection is off, as it would scan the whole heap again (with a
    class on one server the two took ~40% of the server's busy time). Read as `streamlit run` reads it."""
    from cnnviz.runtime import HEAVY_MODULES

    read = "from streamlit import config; print(config.get_option('runner.postScriptGC'))"
    finished = subprocess.run([sys.executable, "-c", read], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert finished.stdout.strip() == "False", finished.stdout + finished.stderr
    assert "keras" in HEAVY_MODULES
