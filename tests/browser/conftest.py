"""Real-browser fixtures: the app served by `streamlit run` on a free port, and Debian's Chromium.

The server gets temporary runs, upload-cache and Keras directories and runs in its own
process group, killed at the end whatever happens. Screenshots go to $CNNVIZ_SCREENSHOTS
(default: ./screenshots/browser); the folder is printed in pytest's terminal summary.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.browser.driver import CHROMIUM, CHROMIUM_ARGS, UI_TIMEOUT_MS, AppServer, Screenshots
from tests.conftest import REPO_ROOT

expect.set_options(timeout=UI_TIMEOUT_MS)  # expect's own default (5 s) is tight on a loaded machine
SCREENSHOTS_ENV = "CNNVIZ_SCREENSHOTS"
SHOTS = pytest.StashKey[Screenshots]()
VIEWPORT = {"width": 1400, "height": 1800}


def _screenshot_folder() -> Path:
    return Path(os.environ.get(SCREENSHOTS_ENV) or REPO_ROOT / "screenshots" / "browser")


@pytest.fixture(scope="session")
def screenshots(pytestconfig: pytest.Config) -> Screenshots:
    """Where every step's screenshot is saved; emptied at the start of the session."""
    folder = _screenshot_folder()
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    pytestconfig.stash[SHOTS] = Screenshots(folder)
    return pytestconfig.stash[SHOTS]


@pytest.fixture(scope="session")
def app_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    """`streamlit run streamlit_app.py` with temporary state folders; stopped at the end."""
    root = tmp_path_factory.mktemp("cnnviz-browser")
    server = AppServer(REPO_ROOT, root)
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def browser():
    """Chromium from Debian driven by Playwright; fails (never skips) when Chromium is missing."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Remember each phase's report on the test item, so fixtures can see a failure."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def new_page(browser, request: pytest.FixtureRequest, screenshots: Screenshots) -> Iterator[Callable]:
    """Opens a page in a fresh browser context (its own Streamlit session) per call."""
    contexts = []

    def open_page():
        context = browser.new_context(viewport=VIEWPORT)
        context.set_default_timeout(UI_TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield open_page
    failed = getattr(request.node, "report_call", None) is None or request.node.report_call.failed
    for number, context in enumerate(contexts):
        if failed:
            for page in context.pages:
                screenshots.save(page, f"FAILED-{request.node.name}-{number}")
        context.close()


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    """The screenshot folder and how long each browser step took."""
    shots = config.stash.get(SHOTS, None)
    if shots is None:
        return
    steps = ", ".join(f"{name} {seconds:.0f}s" for name, seconds in shots.timings)
    terminalreporter.write_line(f"browser steps: {steps}")
    terminalreporter.write_line(f"browser screenshots: {shots.folder}")
