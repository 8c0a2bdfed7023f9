"""A page opened by its own URL on a freshly started server (a bookmark, tabs reconnecting after a
restart) gets the whole app; the app's glue in app/ is never served as a page (app/page.py)."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import VIEWPORT
from tests.browser.driver import AppServer, Screenshots, main, wait_idle
from tests.conftest import REPO_ROOT

NAVIGATION = ["Data", "Model", "Augment", "Train", "Runs", "Overfitting lab", "Activations", "Filters",
              "Where the network looks", "Convolution", "Predict"]  # fmt: skip


def first_requests(browser: Browser, state: Path, paths: list[str]) -> tuple[AppServer, list[Page]]:
    """A freshly started server whose first requests are ``paths``, all sent before any has loaded."""
    state.mkdir()
    server = AppServer(REPO_ROOT, state)
    server.start()
    pages = [browser.new_context(viewport=VIEWPORT).new_page() for _ in paths]
    for page, path in zip(pages, paths):
        page.goto(server.url + path, wait_until="commit")
    return server, pages


def assert_the_app_around(page: Page, current: str) -> None:
    """The app's own navigation (its titles, not the folder's file names) on ``current``, and its sidebar."""
    wait_idle(page)
    navigation = page.get_by_test_id("stSidebarNav")
    expect(navigation.get_by_role("link", name=current, exact=True)).to_have_attribute("aria-current", "page")
    view_more = navigation.get_by_role("button", name="View")
    if view_more.count():
        view_more.first.click()
    expect(navigation.get_by_role("link")).to_have_count(len(NAVIGATION))
    titles = [text.strip().splitlines()[-1] for text in navigation.get_by_role("link").all_inner_texts()]  # no icons
    assert titles == NAVIGATION
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text("🔗 Lesson link")).to_be_visible()
    expect(sidebar.get_by_text("Current dataset")).to_be_visible()


def close(server: AppServer, pages: list[Page]) -> None:
    for page in pages:
        page.context.close()
    server.stop()


def test_a_first_request_to_a_page_url_gets_the_whole_app(browser, tmp_path, screenshots: Screenshots):
    server, pages = first_requests(browser, tmp_path / "train-first", ["train"])
    try:
        with screenshots.step("deep-link-train-first", pages[0]):
            assert_the_app_around(pages[0], "Train")
            expect(main(pages[0]).get_by_role("heading", name="📈 Train")).to_have_count(1)
            assert pages[0].url == server.url + "train"
    finally:
        close(server, pages)


def test_the_app_glue_is_not_served_as_pages(browser, tmp_path, screenshots: Screenshots):
    server, pages = first_requests(browser, tmp_path / "glue-first", ["server", "session"])
    try:
        for page, path in zip(pages, ["server", "session"]):
            with screenshots.step(f"deep-link-{path}-is-not-a-page", page):
                expect(page.get_by_role("dialog").get_by_text("Page not found")).to_be_visible()
                assert_the_app_around(page, "Data")  # the app's default page instead
                expect(main(page).get_by_text("Samples per class")).to_be_visible()
    finally:
        close(server, pages)
