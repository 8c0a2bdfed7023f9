"""Two students train on one server at the same time: each sees only their own curves."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.driver import click, open_app, plotly_points, wait_idle
from tests.browser.steps import (
    FINAL_CURVES, LIVE_CURVES, START, choose_small_model, epochs_run, fill_training_form, load_small_shapes
)  # fmt: skip

EPOCHS = {"alice run": 1, "bob run": 2}


def test_two_sessions_train_at_once_and_see_only_their_own(app_server, new_page, screenshots):
    pages = {name: new_page() for name in EPOCHS}
    with screenshots.step("two-sessions-ready", *pages.values()):
        for page in pages.values():
            open_app(page, app_server.url)
            load_small_shapes(page)
            choose_small_model(page)
    with screenshots.step("two-sessions-training", *pages.values()):
        for name, page in pages.items():
            fill_training_form(page, EPOCHS[name], name)
        for page in pages.values():
            click(page, START, wait=False)
        for page in pages.values():
            expect(page.locator(LIVE_CURVES)).to_have_count(1)
        assert all(page.locator(FINAL_CURVES).count() == 0 for page in pages.values()), "not running at once"
        for name, page in pages.items():
            for other in EPOCHS.keys() - {name}:
                expect(page.get_by_test_id("stApp")).not_to_contain_text(other)
    with screenshots.step("two-sessions-finished", *pages.values()):
        for name, page in pages.items():
            expect(page.locator(FINAL_CURVES)).to_have_count(1, timeout=180_000)
            wait_idle(page)
            assert epochs_run(page) == EPOCHS[name]
            assert set(plotly_points(page.locator(FINAL_CURVES))) == {EPOCHS[name]}
            for other in EPOCHS.keys() - {name}:
                expect(page.get_by_test_id("stApp")).not_to_contain_text(other)
