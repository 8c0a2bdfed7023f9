"""The first page must paint fast: the entry script and the Data page import no TensorFlow, and the
preload's thread, which imports it meanwhile, shares no module with them (cnnviz/runtime.py)."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys

from tests.conftest import APPTEST_TIMEOUT_S, REPO_ROOT

HEAVY = ("tensorflow", "keras")
ENTRY = REPO_ROOT / "streamlit_app.py"
PRELOAD_STARTED = """
import json, sys
from cnnviz import runtime
runtime._import_keras = lambda done: None  # the preload's thread imports nothing: what follows does it alone
runtime.start_preload()
from streamlit.testing.v1 import AppTest
before = set(sys.modules)
"""
FIRST_PAGE = PRELOAD_STARTED + f"""
at = AppTest.from_file({str(ENTRY)!r}, default_timeout={APPTEST_TIMEOUT_S}).run()
print(json.dumps({{"titles": [t.value for t in at.title], "exceptions": [e.value for e in at.exception],
                  "imported": sorted(set(sys.modules) - before)}}))
"""
KERAS_IMPORT = PRELOAD_STARTED + """
import importlib
from cnnviz import private_api
for name in runtime.KERAS_MODULES:  # what the preload's thread does
    importlib.import_module(name)
private_api.check()
print(json.dumps({"imported": sorted(set(sys.modules) - before)}))
"""


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


def keras_free_pages() -> list:
    """The pages that start with ``app_page(needs_keras=False)``: they paint before TensorFlow is in."""
    return [path for path in sorted((REPO_ROOT / "pages").glob("*.py"))
            if "app_page(needs_keras=False)" in path.read_text(encoding="utf-8")]  # fmt: skip


def imported_by(code: str, tmp_path) -> dict:
    """What a fresh interpreter running ``code`` printed last, as JSON."""
    environment = {**os.environ, "CNNVIZ_RUNS_DIR": str(tmp_path / "runs")}
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True,
                         env=environment, timeout=APPTEST_TIMEOUT_S)  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_the_entry_and_the_first_page_import_no_tensorflow_at_start_up():
    assert [path.stem for path in keras_free_pages()] == ["data"]
    scripts = [ENTRY, *keras_free_pages()]
    modules = sorted(set().union(*(top_level_imports(p) for p in scripts)) - {"streamlit"})
    assert {"cnnviz.data.registry", "app.state", "app.entry"} <= set(modules)
    code = "import importlib, sys\n" + "".join(f"importlib.import_module({m!r})\n" for m in modules)
    code += f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))"
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", f"loaded at start-up: {out.stdout.strip()}"


def test_the_first_page_paints_without_tensorflow_and_shares_no_import_with_the_preload(tmp_path):
    """The whole first script run (set-up, sidebar, lesson link, Data page, its Code expander) imports
    no TensorFlow, and nothing that the preload's thread imports at the same time."""
    page = imported_by(FIRST_PAGE, tmp_path)
    assert page["titles"] == ["Data"] and not page["exceptions"], page
    assert not [name for name in page["imported"] if name.split(".")[0] in HEAVY]
    shared = set(page["imported"]) & set(imported_by(KERAS_IMPORT, tmp_path)["imported"])
    assert not shared, f"imported by both the first page and the preload's thread: {sorted(shared)}"


def test_the_preload_imports_tensorflow_once_the_pages_are_quiet_or_when_a_page_needs_it(monkeypatch):
    """Importing TensorFlow holds the GIL for long stretches: a class's first pages run first."""
    import threading
    import time

    from cnnviz import runtime

    monkeypatch.setattr(runtime, "QUIET_S", 0.3)
    monkeypatch.setattr(runtime, "_keras_wanted", False)
    monkeypatch.setattr(runtime, "_last_page_end", time.monotonic())
    waiter = threading.Thread(target=runtime._wait_until_quiet)
    with runtime.foreground():
        waiter.start()
        waiter.join(0.6)
        assert waiter.is_alive(), "it imported while a page was running"
    ended = time.monotonic()
    waiter.join(5)
    assert not waiter.is_alive() and time.monotonic() - ended >= 0.3 - 0.05, "it did not wait for a quiet moment"
    waiter = threading.Thread(target=runtime._wait_until_quiet)
    with runtime.foreground():
        waiter.start()
        with runtime._activity:  # what preload() does: a page needs Keras now
            monkeypatch.setattr(runtime, "_keras_wanted", True)
            runtime._activity.notify_all()
        waiter.join(5)
        assert not waiter.is_alive(), "a page that needs Keras waited for the others"


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
