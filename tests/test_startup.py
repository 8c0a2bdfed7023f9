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
            if node.module == "app":  # the app's glue: `from app import state`
                modules.update(f"app.{alias.name}" for alias in node.names)
    return modules


def test_pages_import_no_tensorflow_at_start_up():
    scripts = [REPO_ROOT / "streamlit_app.py", *sorted((REPO_ROOT / "pages").glob("*.py"))]
    modules = sorted(set().union(*(top_level_imports(p) for p in scripts)) - {"streamlit"})
    assert {"cnnviz.data.registry", "app.state", "app.entry"} <= set(modules)
    code = "import importlib, sys\n" + "".join(f"importlib.import_module({m!r})\n" for m in modules)
    code += f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))"
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", f"loaded at start-up: {out.stdout.strip()}"


def test_the_server_keeps_keras_state_between_runs_and_collects_garbage_periodically():
    """Streamlit would clear Keras' session after every script run of every session (resetting state under
    the others' running work, and scanning the whole heap each time: a third of a class's server time)."""
    import threading

    import keras
    from streamlit.testing.v1 import AppTest

    from app import private_api

    read = "from streamlit import config; print(config.get_option('runner.postScriptGC'))"
    finished = subprocess.run([sys.executable, "-c", read], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert finished.stdout.strip() == "False", finished.stdout + finished.stderr  # as `streamlit run` reads it
    at = AppTest.from_file(str(REPO_ROOT / "streamlit_app.py"), default_timeout=APPTEST_TIMEOUT_S).run()
    assert not at.exception
    before = keras.backend.get_uid("cnnviz_probe")  # Keras' name counters: clear_session() restarts them
    private_api.post_run_cleanup()()  # what Streamlit calls after each script run
    assert keras.backend.get_uid("cnnviz_probe") == before + 1, "Keras' session was cleared"
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
    from app import server

    clock[0] += 30
    server.let_go_of_departed_sessions()
    assert len(storage._cache._data) == 3, "still within the reconnect time"
    clock[0] += 31
    server.let_go_of_departed_sessions()
    assert not storage._cache._data


def test_a_finished_script_thread_lets_go_of_its_session_state():
    """Streamlit leaves each run's context on the finished script thread, and keeps the thread: a
    closed tab's state (model, dataset) must not stay reachable through it."""
    import gc
    import threading
    import weakref

    from app import private_api, server

    class SessionState:  # stands in for a context that holds a session's state
        pass

    def thread_with_context(target) -> tuple[threading.Thread, weakref.ref]:
        thread, state = threading.Thread(target=target), SessionState()
        private_api.attach_script_run_context(thread, state)  # type: ignore[arg-type]
        return thread, weakref.ref(state)

    release = threading.Event()
    finished, finished_state = thread_with_context(lambda: None)
    running, running_state = thread_with_context(release.wait)
    not_started, not_started_state = thread_with_context(lambda: None)
    finished.start()
    finished.join()
    running.start()
    try:
        server.forget_finished_script_runs()
        gc.collect()
        assert finished_state() is None, "the finished run's state is still alive"
        assert private_api.has_script_run_context(running) and running_state() is not None
        assert private_api.has_script_run_context(not_started) and not_started_state() is not None
    finally:
        release.set()
        running.join()
