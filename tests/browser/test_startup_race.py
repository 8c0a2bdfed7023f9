"""A class opens a freshly started server at once: every session's first page is clean and whole."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from cnnviz.data.shapes import SHAPE_CLASSES
from tests.browser.conftest import VIEWPORT
from tests.browser.driver import APP, AppServer, main
from tests.conftest import REPO_ROOT

SESSIONS = 8
SAMPLES = 8 * len(SHAPE_CLASSES)  # the Data page shows 8 training images per class
SAMPLE_IMAGES = """async () => {
    const images = [...document.querySelectorAll("[data-testid='stMain'] img")];
    const broken = await Promise.all(images.map(async image => {
        image.loading = "eager";  // lazy images below the fold load now
        try { await image.decode(); return null; } catch { return image.src; }
    }));
    return {count: images.length, broken: broken.filter(Boolean)};
}"""


def wait_for_data_page(page: Page) -> None:
    """The Data page has run to its end, sample images included."""
    expect(page.locator(f"{APP}[data-test-connection-state='CONNECTED']")).to_be_attached(timeout=180_000)
    expect(main(page).get_by_text("Samples per class")).to_be_visible(timeout=180_000)
    expect(page.locator(f"{APP}[data-test-script-state='notRunning']")).to_be_attached(timeout=180_000)
    expect(main(page).locator("[data-testid='stImageContainer'] img")).to_have_count(SAMPLES, timeout=180_000)


def test_a_class_opening_a_fresh_server_at_once_sees_no_error_and_no_broken_image(browser, tmp_path, screenshots):
    server = AppServer(REPO_ROOT, tmp_path)
    contexts = [browser.new_context(viewport=VIEWPORT) for _ in range(SESSIONS)]
    try:
        server.start()
        pages = [context.new_page() for context in contexts]
        for page in pages:  # every request is sent before any page has finished loading
            page.goto(server.url, wait_until="commit")
        for number, page in enumerate(pages):
            with screenshots.step(f"startup-race-session-{number}", page):
                wait_for_data_page(page)
                images = page.evaluate(SAMPLE_IMAGES)
                assert images["count"] == SAMPLES and images["broken"] == [], f"session {number}: {images}"
    finally:
        for context in contexts:
            context.close()
        server.stop()
