"""The first page must paint fast: nothing a page imports at start-up may load TensorFlow."""

from __future__ import annotations

import ast
import subprocess
import sys

from tests.conftest import APPTEST_TIMEOUT_S, REPO_ROOT

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


def test_the_server_keeps_keras_state_between_runs_and_collects_garbage_periodically():
    """Streamlit would clear Keras' session after every script run of every session (resetting state under
    the others' running work, and scanning the whole heap each time: a third of a class's server time)."""
    import threading

    from keras.src.backend.common import global_state
    from streamlit.runtime.scriptrunner import script_runner
    from streamlit.testing.v1 import AppTest

    read = "from streamlit import config; print(config.get_option('runner.postScriptGC'))"
    finished = subprocess.run([sys.executable, "-c", read], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert finished.stdout.strip() == "False", finished.stdout + finished.stderr  # as `streamlit run` reads it
    at = AppTest.from_file(str(REPO_ROOT / "streamlit_app.py"), default_timeout=APPTEST_TIMEOUT_S).run()
    assert not at.exception
    state = global_state.GLOBAL_STATE_TRACKER
    script_runner._clean_problem_modules()  # what Streamlit calls after each script run
    assert global_state.GLOBAL_STATE_TRACKER is state, "Keras' session was cleared"
    assert "cnnviz-collector" in {thread.name for thread in threading.enumerate()}


def test_departed_sessions_are_let_go_once_their_reconnect_time_is_over(monkeypatch):
    """A class that leaves together: Streamlit's storage would keep every session until somebody else leaves."""
    import threading
    from types import SimpleNamespace

    from streamlit.runtime import Runtime
    from streamlit.runtime.memory_session_storage import MemorySessionStorage

    storage = MemorySessionStorage(ttl_seconds=60)
    clock = [1000.0]
    monkeypatch.setattr(storage._cache, "_timer", lambda: clock[0])
    for number in range(3):
        storage.save(SimpleNamespace(session=SimpleNamespace(id=f"student {number}")))
    manager = SimpleNamespace(_storage_lock=threading.Lock(), _session_storage=storage)
    monkeypatch.setattr(Runtime, "exists", classmethod(lambda cls: True))
    monkeypatch.setattr(Runtime, "instance", classmethod(lambda cls: SimpleNamespace(_session_mgr=manager)))
    from pages import _server

    clock[0] += 30
    _server.let_go_of_departed_sessions()
    assert len(storage._cache._data) == 3, "still within the reconnect time"
    clock[0] += 31
    _server.let_go_of_departed_sessions()
    assert not storage._cache._data


def test_a_finished_script_thread_lets_go_of_its_session_state():
    """Streamlit leaves each run's context on the finished script thread, and keeps the thread: a
    closed tab's state (model, dataset) must not stay reachable through it."""
    import gc
    import threading
    import weakref

    from streamlit.runtime.scriptrunner_utils.script_run_context_attr import SCRIPT_RUN_CONTEXT_ATTR_NAME

    from pages import _server

    class SessionState:  # stands in for a context that holds a session's state
        pass

    def thread_with_context(target) -> tuple[threading.Thread, weakref.ref]:
        thread, state = threading.Thread(target=target), SessionState()
        setattr(thread, SCRIPT_RUN_CONTEXT_ATTR_NAME, state)
        return thread, weakref.ref(state)

    release = threading.Event()
    finished, finished_state = thread_with_context(lambda: None)
    running, running_state = thread_with_context(release.wait)
    not_started, not_started_state = thread_with_context(lambda: None)
    finished.start()
    finished.join()
    running.start()
    try:
        _server.forget_finished_script_runs()
        gc.collect()
        assert finished_state() is None, "the finished run's state is still alive"
        assert hasattr(running, SCRIPT_RUN_CONTEXT_ATTR_NAME) and running_state() is not None
        assert hasattr(not_started, SCRIPT_RUN_CONTEXT_ATTR_NAME) and not_started_state() is not None
    finally:
        release.set()
        running.join()
