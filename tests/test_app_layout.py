"""pages/ holds only pages, and a page opened by its own URL still gets the whole app (app/page.py)."""

from __future__ import annotations

import ast

import pytest
from streamlit.testing.v1 import AppTest

from cnnviz.lesson.pages import PAGES as NAVIGATION_PAGES
from tests.conftest import APPTEST_TIMEOUT_S, REPO_ROOT

PAGES = sorted((REPO_ROOT / "pages").glob("*.py"))


def navigation_files() -> set[str]:
    """The page files the app's navigation names (app/entry.py draws cnnviz.lesson.pages.NAVIGATION)."""
    return {f"pages/{page}.py" for page in NAVIGATION_PAGES}


def test_every_file_in_pages_is_a_page_of_the_navigation():
    assert {f"pages/{path.name}" for path in PAGES} == navigation_files()
    assert not list((REPO_ROOT / "pages").glob("_*.py")), "the app's glue lives in app/"


@pytest.mark.parametrize("path", PAGES, ids=[path.stem for path in PAGES])
def test_every_page_calls_app_page_before_anything_else(path):
    body = [node for node in ast.parse(path.read_text(encoding="utf-8")).body
            if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))  # the docstring
            and not (isinstance(node, ast.ImportFrom) and node.module == "__future__")]  # fmt: skip
    first, second = (ast.unparse(node) for node in body[:2])
    assert first == "from app.page import app_page"
    assert second in ("app_page()", "app_page(needs_keras=False)"), "every page but the first waits for Keras"


def deep_link(page: str, tmp_path, monkeypatch) -> AppTest:
    """A fresh session whose first request is the page's own URL, as a bookmark or a reconnecting tab sends it.

    AppTest starts every run as Streamlit starts a fresh server: with a ``pages/`` folder beside the
    main script, in the folder's old multipage mode, until ``st.navigation`` runs.
    """
    monkeypatch.setenv("CNNVIZ_RUNS_DIR", str(tmp_path))
    at = AppTest.from_file(str(REPO_ROOT / "streamlit_app.py"), default_timeout=APPTEST_TIMEOUT_S)
    return at.switch_page(f"pages/{page}.py").run()


def test_a_page_opened_by_its_own_url_gets_the_sidebar_language_and_lesson_link(tmp_path, monkeypatch):
    at = deep_link("train", tmp_path, monkeypatch)
    assert not at.exception, at.exception
    assert [title.value for title in at.title] == ["📈 Train"], "the page is drawn once"
    assert [box.label for box in at.sidebar.selectbox] == ["🌐 Language · 언어"]
    assert "🔗 Lesson link" in [expander.label for expander in at.sidebar.expander]
    assert "Current dataset" in [caption.value for caption in at.sidebar.caption]
    assert "page=train" in at.sidebar.code[0].value, "the app's navigation picked the page from its URL"


def test_a_deep_link_session_goes_on_in_the_app(tmp_path, monkeypatch):
    """The next run of the same session (a widget change) is the app's own: still one page, same sidebar."""
    at = deep_link("augment", tmp_path, monkeypatch)
    assert not at.exception, at.exception
    at.slider(key="augment_zoom").set_value(0.3).run()
    assert not at.exception, at.exception
    assert len(at.title) == 1 and "🔗 Lesson link" in [expander.label for expander in at.sidebar.expander]


def test_the_app_glue_imports_no_page():
    for path in (REPO_ROOT / "app").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
        imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        assert not [name for name in imported if name == "pages" or name.startswith("pages.")], path.name
