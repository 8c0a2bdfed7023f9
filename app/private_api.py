"""Every private Streamlit name the app uses, in one place, and the start-up check that they still work.

Streamlit documents ``st.*`` and ``streamlit.testing``; everything under ``streamlit.runtime``
is internal and may change in any release, with no error until the day it is called. The app
needs a few such names (each function below says why); nothing else in ``app/``, ``pages/`` or
``streamlit_app.py`` reaches below ``streamlit`` (tests/test_private_api.py checks that).
``check_streamlit()`` runs once per server before the first page (app/entry.py): it makes sure
that each name exists and behaves as the app expects, and raises ``PrivateApiChanged`` naming
the Streamlit version otherwise, so an upgrade fails loudly in CI instead of silently in a
class. cnnviz's private Keras names (``cnnviz.private_api``: the library cannot import this
module) are checked by the preload, right after it imports Keras (``cnnviz.runtime``), so the
first page need not wait for Keras; ``check()``, which the tests run, checks both.
"""

from __future__ import annotations

import threading
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import streamlit
from streamlit.runtime import Runtime
from streamlit.runtime.memory_session_storage import MemorySessionStorage
from streamlit.runtime.scriptrunner import ScriptRunContext, ScriptRunner, add_script_run_ctx, get_script_run_ctx
from streamlit.runtime.scriptrunner import script_runner
from streamlit.runtime.scriptrunner_utils.script_run_context_attr import SCRIPT_RUN_CONTEXT_ATTR_NAME
from streamlit.runtime.websocket_session_manager import WebsocketSessionManager

from cnnviz import private_api as keras_private_api
from cnnviz.i18n import _

STREAMLIT_PIN = "streamlit==1.67.0"  # requirements.txt; the version these names were read from


class PrivateApiChanged(RuntimeError):
    """A private Streamlit or Keras name the app uses is gone or behaves differently."""


# ---------------------------------------------------------------- the script-run context


def script_run_context() -> ScriptRunContext | None:
    """The context of the session whose script runs in this thread; None in any other thread."""
    return get_script_run_ctx(suppress_warning=True)


def attach_script_run_context(thread: threading.Thread, context: ScriptRunContext | None) -> None:
    """Let a helper thread draw into the session of ``context`` (a cached function's spinner)."""
    add_script_run_ctx(thread, context)


def main_script() -> Path | None:
    """The main script of the running session (streamlit_app.py in the app; the page itself when a
    test runs one page alone); None outside a session."""
    context = script_run_context()
    return None if context is None else Path(context.main_script_path)


def has_script_run_context(thread: threading.Thread) -> bool:
    """Whether Streamlit left a script run's context on this thread."""
    return hasattr(thread, SCRIPT_RUN_CONTEXT_ATTR_NAME)


def drop_script_run_context(thread: threading.Thread) -> None:
    """Take a script run's context off a thread (Streamlit never does, even after the run is over)."""
    if hasattr(thread, SCRIPT_RUN_CONTEXT_ATTR_NAME):
        delattr(thread, SCRIPT_RUN_CONTEXT_ATTR_NAME)


# ---------------------------------------------------------------- the server's housekeeping


def replace_post_run_cleanup(cleanup: Callable[[], None]) -> None:
    """Have Streamlit call ``cleanup()`` after every script run instead of its own clean-up, which
    clears Keras' session (app/server.py says why the app cannot have that). Process-wide: the
    app calls it once per server."""
    script_runner._clean_problem_modules = cleanup


def post_run_cleanup() -> Callable[[], None]:
    """What Streamlit calls after every script run."""
    return script_runner._clean_problem_modules


def _session_manager() -> Any | None:
    """The server's session manager; None without a server (AppTest's stand-in runtime has none)."""
    return vars(Runtime.instance()).get("_session_mgr") if Runtime.exists() else None


def expire_departed_sessions() -> None:
    """Have Streamlit's session storage drop the closed tabs' sessions whose reconnect time is over
    (it drops them only when it next stores a session). Nothing to do without a server."""
    manager = _session_manager()
    if manager is None:
        return
    with manager._storage_lock:
        manager._session_storage._cache.expire()


# ---------------------------------------------------------------- the check


def _code_names(code: types.CodeType) -> Iterator[str]:
    """Every global and attribute name a function's code uses, nested functions included."""
    yield from code.co_names
    for constant in code.co_consts:
        if isinstance(constant, types.CodeType):
            yield from _code_names(constant)


def _method_names(cls: type) -> set[str]:
    return {name for member in vars(cls).values() if isinstance(member, types.FunctionType)
            for name in _code_names(member.__code__)}  # fmt: skip


def _require(condition: bool, what: str) -> None:
    if not condition:
        raise PrivateApiChanged(_(
            "Streamlit {version} changed a private name the app relies on ({what}); the app was written for "
            "{pin}. Update app/private_api.py for this version."
        ).format(version=streamlit.__version__, what=what, pin=STREAMLIT_PIN))


def _check_script_run_context() -> None:
    probe, context = threading.Thread(target=lambda: None), SimpleNamespace()
    add_script_run_ctx(probe, context)  # type: ignore[arg-type]
    _require(getattr(probe, SCRIPT_RUN_CONTEXT_ATTR_NAME, None) is context,
             f"add_script_run_ctx keeps the context in the thread attribute {SCRIPT_RUN_CONTEXT_ATTR_NAME!r}")
    drop_script_run_context(probe)
    _require(not has_script_run_context(probe), "a thread's script-run context can be taken off")
    seen: list[Any] = []
    other = threading.Thread(target=lambda: seen.append(get_script_run_ctx(suppress_warning=True)))
    other.start()
    other.join()
    _require(seen == [None], "get_script_run_ctx() is None in a thread without a session")
    _require("main_script_path" in getattr(ScriptRunContext, "__dataclass_fields__", {}),
             "ScriptRunContext.main_script_path")  # fmt: skip


def _check_post_run_cleanup() -> None:
    _require(callable(getattr(script_runner, "_clean_problem_modules", None)),
             "streamlit.runtime.scriptrunner.script_runner._clean_problem_modules")
    _require("_clean_problem_modules" in _method_names(ScriptRunner),
             "ScriptRunner looks _clean_problem_modules up by name after every run, so replacing it takes effect")


def _check_session_storage() -> None:
    _require("_session_mgr" in _method_names(Runtime), "Runtime._session_mgr")
    _require({"_storage_lock", "_session_storage"} <= _method_names(WebsocketSessionManager),
             "WebsocketSessionManager._storage_lock and ._session_storage")
    storage = MemorySessionStorage(ttl_seconds=0)
    storage.save(SimpleNamespace(session=SimpleNamespace(id="probe")))  # type: ignore[arg-type]
    expired = getattr(getattr(storage, "_cache", None), "expire", None)
    _require(callable(expired), "MemorySessionStorage._cache.expire")
    _require([key for key, _ in expired()] == ["probe"],
             "MemorySessionStorage._cache.expire() drops the expired sessions")
    manager = _session_manager()
    if manager is not None:  # in a server: the running session manager is the one checked above
        _require(isinstance(getattr(manager, "_storage_lock", None), type(threading.Lock()))
                 and isinstance(getattr(manager, "_session_storage", None), MemorySessionStorage),
                 "the server's session manager keeps a MemorySessionStorage behind _storage_lock")  # fmt: skip


def check_streamlit() -> None:
    """Raise PrivateApiChanged, naming the version, if a private Streamlit name the app uses is gone or no
    longer behaves as the app expects."""
    _check_script_run_context()
    _check_post_run_cleanup()
    _check_session_storage()


def check() -> None:
    """``check_streamlit()``, then the same for cnnviz's private Keras names (this imports Keras)."""
    check_streamlit()
    try:
        keras_private_api.check()
    except RuntimeError as error:
        raise PrivateApiChanged(str(error)) from error
