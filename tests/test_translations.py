"""Translations: every message has Korean, text is never shown untranslated, languages are per session."""

from __future__ import annotations

import ast
import re
import string
import threading
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from cnnviz import i18n
from tests.conftest import REPO_ROOT

METHOD_MAP = [
    ("cnnviz/**.py", "python"), ("app/**.py", "python"), ("pages/**.py", "python"), ("streamlit_app.py", "python")
]
# Every file whose text a user can read: the app, its pages and the library.
TRANSLATED = sorted(
    str(path.relative_to(REPO_ROOT))
    for path in [REPO_ROOT / "streamlit_app.py", *(REPO_ROOT / "pages").glob("*.py"), *(REPO_ROOT / "app").glob("*.py"),
                 *(REPO_ROOT / "cnnviz").rglob("*.py")]
)
# Streamlit calls whose first argument, or these keyword arguments, are read by the user.
TEXT_CALLS = {
    "title", "header", "subheader", "caption", "markdown", "write", "text", "info", "warning", "error", "success",
    "toast", "button", "checkbox", "toggle", "radio", "selectbox", "multiselect", "slider", "select_slider",
    "number_input", "text_input", "text_area", "file_uploader", "download_button", "form_submit_button",
    "expander", "metric", "spinner", "progress", "tabs", "popover", "camera_input", "Page",
}  # fmt: skip
TEXT_KEYWORDS = {"label", "help", "caption", "text", "placeholder", "title"}
WORDS = re.compile(r"[A-Za-z]{2,}")


def extracted_messages() -> set[str]:
    messages = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(str(REPO_ROOT), METHOD_MAP):
        messages.add(message if isinstance(message, str) else message[0])  # ngettext: its catalog key, the singular
    return messages


def korean_catalog():
    with i18n.catalog_path("ko").open("rb") as stream:
        return read_po(stream)


def placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def test_every_message_has_a_korean_translation_with_the_same_placeholders():
    catalog = korean_catalog()
    problems = []
    for message in sorted(extracted_messages()):
        entry = catalog.get(message)
        forms = () if entry is None else entry.string if isinstance(entry.string, tuple) else (entry.string,)
        if not all(forms) or not forms:  # an ngettext entry has one string per plural form
            problems.append(f"untranslated: {message!r}")
        elif entry.fuzzy:
            problems.append(f"fuzzy: {message!r}")
        elif any(placeholders(form) != placeholders(message) for form in forms):
            problems.append(f"placeholders differ: {message!r} -> {entry.string!r}")
    assert not problems, "run pybabel extract/update (see README) and translate:\n" + "\n".join(problems)


def is_literal_text(node: ast.AST) -> bool:
    """A string constant or f-string with words in it (a bare key like "conv_x" has no spaces)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return bool(WORDS.search(node.value)) and (" " in node.value or node.value[:1].isupper())
    return isinstance(node, ast.JoinedStr) and any(is_literal_text(v) for v in node.values)


def untranslated_text(path: Path) -> list[str]:
    """Text passed to Streamlit, or raised as an exception message, without going through ``_``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in TEXT_CALLS:
            if isinstance(node.func.value, ast.Name) and node.func.value.id == "log":
                continue  # the server's log, read by whoever runs it, in English
            arguments = node.args[:1] + [k.value for k in node.keywords if k.arg in TEXT_KEYWORDS]
        elif isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
            arguments = node.exc.args[:1]
        else:
            continue
        found += [f"{path.name}:{a.lineno}: {ast.unparse(a)[:70]}" for a in arguments if is_literal_text(a)]
    return found


@pytest.mark.parametrize("name", TRANSLATED)
def test_user_facing_text_goes_through_the_translation_function(name):
    assert untranslated_text(REPO_ROOT / name) == []


def test_the_checker_catches_bare_text(tmp_path):
    page = tmp_path / "page.py"
    page.write_text('st.title("Hello there")\nst.info(f"{n} images left")\nraise ValueError("Bad input")\n'
                    'st.title(_("Fine"))\nst.slider(_("x"), key="conv_x")\n')
    assert sorted(line.split(":")[1] for line in untranslated_text(page)) == ["1", "2", "3"]


def test_languages_are_per_thread_never_process_wide():
    seen: dict[str, str] = {}
    ready = threading.Barrier(2)

    def translate(code: str) -> None:
        with i18n.use_language(code):
            ready.wait(timeout=30)  # both threads hold their language at the same moment
            seen[code] = i18n._("Convolution")

    threads = [threading.Thread(target=translate, args=(code,)) for code in ("ko", "en")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == {"ko": "합성곱", "en": "Convolution"}
    assert i18n.current_language() == i18n.language_from_env()


def test_the_command_line_follows_lang(monkeypatch):
    for variable in i18n.ENV_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("LANG", "ko_KR.UTF-8")
    assert i18n.current_language() == "ko" and i18n._("Kernel") == "커널"
    monkeypatch.setenv("LANG", "de_DE.UTF-8")
    assert i18n.current_language() == "en" and i18n._("Kernel") == "Kernel"
    assert i18n.supported("ko-KR") == "ko" and i18n.supported(None) is None


def test_a_link_with_lang_ko_opens_the_app_in_korean_and_the_picker_switches_back():
    from streamlit.testing.v1 import AppTest

    from tests.conftest import APPTEST_TIMEOUT_S

    at = AppTest.from_file(str(REPO_ROOT / "streamlit_app.py"), default_timeout=APPTEST_TIMEOUT_S)
    at.query_params["lang"] = "ko"
    at.run()
    assert not at.exception
    assert at.session_state["lang"] == "ko" and at.title[0].value == "데이터"
    with i18n.use_language("ko"):  # AppTest formats the Korean page's options in this thread
        at.selectbox(key="lang").set_value("en").run()
    assert at.title[0].value == "Data" and at.query_params["lang"] == "en"
