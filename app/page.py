"""Every page starts with ``app_page()``, so that a page opened by its own URL still gets the whole app.

The problem: Streamlit 1.67 finds the folder ``pages/`` beside streamlit_app.py and starts the
server in its old multipage mode (``PagesManager.uses_pages_directory``), in which every file
in that folder is a page of its own, run without the entry script. The first ``st.navigation``
call, in any session, switches the whole process to the app's navigation for good; until
somebody has opened the root, a request for ``/train`` (a bookmark, the tabs of a class
reconnecting after a restart) runs pages/train.py alone: no preload, no language, no sidebar,
no housekeeping, no lesson link.

What ``app_page()`` does: when the page runs in the app (the session's main script is
streamlit_app.py) but not inside the app's own navigation (``inside_app_navigation``), it runs
the entry there and then: the preload's start, the set-up, the sidebar and ``st.navigation``,
which switches the process to the app's navigation and picks the same page from the URL, then
runs that page inside it. The outer run of the page then stops; the page has drawn once, in the
app. Inside the navigation, a page that needs Keras (every page but Data) then waits for the
preload's TensorFlow and Keras (``wait_for_keras``), so that its own imports may load them.

Why this way: Streamlit 1.67 has no option that turns the folder's discovery off
(``client.showSidebarNavigation`` only hides its links), and the folder keeps its name.
Sending the browser on to ``/?page=train`` would take two more script runs, spend the
session's one lesson-link application and drop the link's other parameters (``?lang=ko``).
Setting ``PagesManager.uses_pages_directory`` by hand would be a private, process-wide switch
flipped from one session, still racing the sessions already started in the old mode. Running
the entry in place is what Streamlit itself does for a first request to ``/`` in that mode (the
folder's navigation runs streamlit_app.py as its main page, which calls ``st.navigation``):
the same nesting, in one script run, with the URL left as it is. The marker is a context
variable, so it is per script thread and needs no lock.

A page whose own file is the main script (``AppTest.from_file("pages/train.py")``, as the tests
drive pages) stays a bare page.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

import streamlit as st
from streamlit.errors import StreamlitValueAboveMaxError, StreamlitValueBelowMinError

from app import private_api
from cnnviz.i18n import _
from cnnviz.runtime import preload, preloaded, start_preload

ENTRY_SCRIPT = Path(__file__).resolve().parent.parent / "streamlit_app.py"
_inside_navigation: ContextVar[bool] = ContextVar("cnnviz_inside_app_navigation", default=False)


@contextmanager
def inside_app_navigation() -> Iterator[None]:
    """The app's navigation runs its page within this (app/entry.py)."""
    token = _inside_navigation.set(True)
    try:
        yield
    except (StreamlitValueAboveMaxError, StreamlitValueBelowMinError) as error:
        from app.lesson import forget_linked_values  # a link's value out of a control's range: its defaults instead

        if not forget_linked_values(error):
            raise
    finally:
        _inside_navigation.reset(token)


def _opened_outside_the_app_navigation() -> bool:
    main = private_api.main_script()
    return not _inside_navigation.get() and main is not None and main.resolve() == ENTRY_SCRIPT


def app_page(needs_keras: bool = True) -> None:
    """Call first in every page: a page Streamlit started without the entry script runs the whole app
    instead (the module docstring says why and how); otherwise a page that ``needs_keras`` waits for
    TensorFlow and Keras, and a page that does not (the first page, Data) goes on at once."""
    if _opened_outside_the_app_navigation():
        start_preload()  # as streamlit_app.py does, before the app's own imports
        from app.entry import run_app  # the whole app's imports: only once the page modules are in

        run_app()
        st.stop()
    if needs_keras:
        wait_for_keras()


def wait_for_keras() -> None:
    """Wait for the preload's TensorFlow and Keras (cnnviz.runtime), with a spinner while they import.

    Anything that builds, loads or runs a model calls it first; on a server that has been up for
    a few seconds it returns at once.
    """
    if preloaded():
        preload()  # at once; raises what the import raised
        return
    with st.spinner(_("Starting TensorFlow (once per server, a few seconds)...")):
        preload()
