"""Two students train on one server at the same time: each sees only their own curves."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.driver import click, main, open_app
from tests.browser.steps import (
    LIVE_CURVES, MANY_EPOCHS, START, assert_stopped_run, choose_small_model, fill_training_form,
    load_small_shapes, press_stop, wait_for_results, wait_until_live_chart_grows,
)  # fmt: skip

NAMES = ("alice run", "bob run")
QUEUED = "Waiting for a free training slot"


def assert_only_own_run(page: Page, name: str) -> None:
    """The page names its own run and none of the other session's."""
    expect(page.get_by_test_id("stApp")).to_contain_text(name)
    for other in set(NAMES) - {name}:
        expect(page.get_by_test_id("stApp")).not_to_contain_text(other)


def assert_started_not_queued(page: Page) -> None:
    """The training got a slot of its own: its live chart is shown, not a place in the queue."""
    queued = main(page).get_by_test_id("stAlert").filter(has_text=QUEUED)
    expect(page.locator(LIVE_CURVES).or_(queued)).to_have_count(1)
    expect(queued).to_have_count(0)


def test_two_sessions_train_at_once_and_see_only_their_own(app_server, new_page, screenshots):
    pages = {name: new_page() for name in NAMES}
    with screenshots.step("two-sessions-ready", *pages.values()):
        for page in pages.values():
            open_app(page, app_server.url)
            load_small_shapes(page)
            choose_small_model(page)
    with screenshots.step("two-sessions-training", *pages.values()):
        for name, page in pages.items():
            fill_training_form(page, MANY_EPOCHS, name)
        for page in pages.values():
            click(page, START, wait=False)
        for page in pages.values():
            assert_started_not_queued(page)
        # Neither training can end on its own meanwhile, so both charts growing means both run at once.
        for page in pages.values():
            wait_until_live_chart_grows(page)
        for name, page in pages.items():
            assert_only_own_run(page, name)
        for page in pages.values():
            press_stop(page)
    with screenshots.step("two-sessions-stopped", *pages.values()):
        for name, page in pages.items():
            wait_for_results(page)
            assert_stopped_run(page, MANY_EPOCHS)
            assert_only_own_run(page, name)
