"""The session's language: from its link (``?lang=ko``) or the browser, switched in the sidebar."""

from __future__ import annotations

import streamlit as st

from app import private_api
from cnnviz import i18n
from cnnviz.i18n import _

LANGUAGE_KEY = "lang"  # also the query parameter: ?lang=ko opens the app in Korean


def session_language() -> str | None:
    """The language of the session whose script runs in this thread (None outside a session).

    The app installs this once per server as cnnviz.i18n's language provider.
    """
    if private_api.script_run_context() is None:
        return None
    return st.session_state.get(LANGUAGE_KEY) or i18n.supported(st.context.locale)


def language_picker() -> None:
    """The sidebar's language selector, kept for the session.

    A session starts in the language its link names (``?lang=ko``), else the browser's; a switch
    takes effect at once and is written back to the link, so a shared link keeps the language.
    """
    if LANGUAGE_KEY not in st.session_state:
        st.session_state[LANGUAGE_KEY] = (
            i18n.supported(st.query_params.get(LANGUAGE_KEY)) or i18n.supported(st.context.locale)
            or i18n.SOURCE_LANGUAGE
        )
    st.sidebar.selectbox(
        _("🌐 Language · 언어"), list(i18n.LANGUAGES), format_func=i18n.LANGUAGES.get, key=LANGUAGE_KEY,
        on_change=_language_to_link,
    )


def _language_to_link() -> None:
    st.query_params[LANGUAGE_KEY] = st.session_state[LANGUAGE_KEY]
