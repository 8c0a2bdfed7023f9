"""Driving the running cnnviz app in Chromium the way a student does: clicks, typing, file drops."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

from tests.app_server import UNHANDLED, AppServer  # noqa: F401 (the browser tests import AppServer from here)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip
APP = "[data-testid='stApp']"
# Every wait on the app (Playwright's default too): generous, as the machine may be loaded; waits end at their event.
UI_TIMEOUT_MS = 180_000


class Screenshots:
    """Numbered screenshots of each step, and a FAILED one when a step fails."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0
        self.timings: list[tuple[str, float]] = []

    def save(self, page: Page, name: str) -> Path:
        self.count += 1
        path = self.folder / f"{self.count:02d}-{re.sub(r'[^A-Za-z0-9_-]+', '-', name)}.png"
        try:
            page.screenshot(path=path, full_page=True, timeout=20_000)
        except Exception as error:  # a screenshot must never hide the real failure
            print(f"screenshot {path} failed: {error}")
        return path

    @contextmanager
    def step(self, name: str, *pages: Page) -> Iterator[None]:
        """Run one step; afterwards each page must be clean and is photographed (even on failure)."""
        started = time.monotonic()
        try:
            yield
            for page in pages:
                assert_clean(page)
        except BaseException:
            for number, page in enumerate(pages):
                self.save(page, f"FAILED-{name}-{number}")
            raise
        finally:
            self.timings.append((name, time.monotonic() - started))
        for number, page in enumerate(pages):
            self.save(page, name if len(pages) == 1 else f"{name}-{number}")


def wait_idle(page: Page, timeout: float = UI_TIMEOUT_MS) -> None:
    """Wait until the app is connected and its script has finished running."""
    page.wait_for_timeout(300)
    page.wait_for_selector(f"{APP}[data-test-connection-state='CONNECTED']", state="attached", timeout=timeout)
    page.wait_for_selector(f"{APP}[data-test-script-state='notRunning']", state="attached", timeout=timeout)
    page.wait_for_timeout(200)


def assert_clean(page: Page) -> None:
    """No Streamlit exception box and no text from an unhandled exception anywhere on the page."""
    exceptions = page.get_by_test_id("stException")
    assert exceptions.count() == 0, f"exception on the page: {exceptions.first.inner_text()[:2000]}"
    text = page.locator(APP).inner_text()
    match = UNHANDLED.search(text)
    assert match is None, f"unhandled error text on the page: ...{text[max(0, match.start() - 200):match.end() + 300]}"


def main(page: Page) -> Locator:
    return page.get_by_test_id("stMain")


def open_app(page: Page, url: str) -> None:
    page.goto(url)
    wait_idle(page)


def go_to(page: Page, title: str) -> None:
    """Click the page's link in the sidebar navigation (keeps the session's state)."""
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=title, exact=True).click()
    expect(page.get_by_test_id("stSidebarNav").get_by_role("link", name=title, exact=True)).to_have_attribute(
        "aria-current", "page"
    )
    wait_idle(page)


def widget(page: Page, test_id: str, label: str) -> Locator:
    """The main-area widget of a kind (stSelectbox, stSlider ...) with this exact label."""
    label_locator = page.get_by_test_id("stWidgetLabel").filter(has_text=re.compile(rf"^\s*{re.escape(label)}\s*$"))
    return main(page).get_by_test_id(test_id).filter(has=label_locator).first


def select(page: Page, label: str, option: str | re.Pattern) -> None:
    """Open a selectbox and click an option (its exact text, or a pattern it matches)."""
    widget(page, "stSelectbox", label).click()
    page.get_by_role("option", name=option, exact=isinstance(option, str)).click()
    wait_idle(page)


def select_options(page: Page, label: str) -> list[str]:
    """The options a selectbox offers (the dropdown is opened and closed again)."""
    widget(page, "stSelectbox", label).click()
    options = page.get_by_role("option")
    options.first.wait_for()
    names = [text.strip() for text in options.all_inner_texts()]
    page.keyboard.press("Escape")
    return names


def type_into(page: Page, test_id: str, label: str, value: object) -> None:
    """Type into a number or text input and leave it with Tab (which also works inside forms)."""
    box = widget(page, test_id, label).locator("input")
    box.fill(str(value))
    box.press("Tab")
    wait_idle(page)
    expect(box).to_have_value(str(value))


def set_slider(page: Page, label: str, value: float) -> None:
    """Move a single-value slider with the keyboard, one step at a time, to ``value``."""
    thumb = widget(page, "stSlider", label).get_by_role("slider")
    for _ in range(200):
        current = float(thumb.get_attribute("value") or thumb.get_attribute("aria-valuenow"))
        if current == value:
            break
        thumb.press("ArrowRight" if current < value else "ArrowLeft")
    else:
        raise AssertionError(f"slider {label!r} did not reach {value}")
    wait_idle(page)


def set_select_slider(page: Page, label: str, option: str) -> None:
    """Move a select_slider with the keyboard (Home, then right) until its thumb shows ``option``."""
    thumb = widget(page, "stSlider", label).get_by_role("slider")
    thumb.press("Home")
    for _ in range(50):
        if thumb.get_attribute("aria-valuetext") == option:
            break
        thumb.press("ArrowRight")
    else:
        raise AssertionError(f"select_slider {label!r} has no option {option!r}")
    wait_idle(page)


def choose_radio(page: Page, label: str, option: str) -> None:
    widget(page, "stRadio", label).get_by_text(option, exact=True).click()
    wait_idle(page)


def click(page: Page, name: str, wait: bool = True) -> None:
    main(page).get_by_role("button", name=name, exact=True).click()
    if wait:
        wait_idle(page)


def drop_files(page: Page, label: str, *paths: Path) -> None:
    """Drop files on an uploader, as dragging them from the desktop does."""
    widget(page, "stFileUploader", label).locator("input[type=file]").set_input_files([str(p) for p in paths])
    wait_idle(page)


def plotly_points(chart: Locator) -> list[int]:
    """How many points each trace of a Plotly chart has, read from the chart's live data."""
    return chart.locator(".js-plotly-plot").first.evaluate("el => el.data.map(t => (t.y || []).length)")

