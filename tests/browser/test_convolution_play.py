"""The Convolution page in a real browser: Play slides the window across the output by itself."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.driver import go_to, main, open_app
from tests.browser.steps import choose_small_model, load_small_shapes

POSITION = re.compile(r"Output position x=(\d+), y=(\d+)")


def test_play_advances_the_window(app_server, new_page, screenshots):
    page = new_page()
    with screenshots.step("convolution", page):
        open_app(page, app_server.url)
        load_small_shapes(page)
        choose_small_model(page)
        go_to(page, "Convolution")
        main(page).get_by_role("tab", name="Formula").click()
        position = main(page).get_by_text(POSITION)
        expect(position).to_contain_text("x=0, y=0", timeout=120_000)
        main(page).get_by_text("▶ Play").click()
        expect(position).not_to_contain_text("x=0, y=0", timeout=120_000)
        expect(position).to_have_count(1)
        moved = POSITION.search(position.inner_text()).groups()
        expect(position).not_to_contain_text(f"x={moved[0]}, y={moved[1]}", timeout=120_000)
        main(page).get_by_text("▶ Play").click()
        formula = main(page).get_by_test_id("stMarkdown").filter(has_text="sum over").filter(has_text="the model says")
        expect(formula).to_have_count(1)
