"""The classroom path in a real browser, with nothing but clicks, typing and a file drop."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.driver import (
    click, drop_files, go_to, main, open_app, plotly_points, set_number, set_slider
)  # fmt: skip

IMAGE_SIZE = 32
IMAGE_COUNT = 400
GRID = 16
TOP_K = 3
PLOT = ".js-plotly-plot"
PHOTO = "cat.4501.jpg"


def load_small_shapes(page: Page) -> None:
    """Data page: the generated Shapes set at 32 px with a few hundred images."""
    go_to(page, "Data")
    set_slider(page, "Image size (pixels, square)", IMAGE_SIZE)
    set_number(page, "Number of images", IMAGE_COUNT)
    click(page, "Load dataset")
    metrics = main(page).get_by_test_id("stMetric")
    expect(metrics.filter(has_text="Image size")).to_contain_text(f"{IMAGE_SIZE}×{IMAGE_SIZE}")
    expect(metrics.filter(has_text="Images")).to_contain_text("280 / 60 / 60")
    expect(main(page).get_by_test_id("stPlotlyChart").first).to_be_visible()


def preview_augmentation(page: Page) -> None:
    """Augment page: a seed preset fills the grid; re-rolling draws a new one."""
    go_to(page, "Augment")
    click(page, "weather")
    for seed in (0, 1):
        grid = main(page).get_by_test_id("stImageCaption").filter(has_text=re.compile(rf"^seed {seed}, #\d+$"))
        expect(grid).to_have_count(GRID)
        if seed == 0:
            click(page, "🎲 Re-roll")


def predict_files(page: Page, photo: Path, corrupt: Path) -> None:
    """Predict page: the photo gets a top-k chart, the corrupt file a message of its own."""
    drop_files(page, "Drop photos here", photo, corrupt)
    cards = main(page).get_by_test_id("stVerticalBlock")
    photo_card = cards.filter(has_text=photo.name, has_not_text=corrupt.name).filter(has=page.locator(PLOT))
    expect(photo_card.last.locator(PLOT)).to_have_count(1)
    assert plotly_points(photo_card.last) == [TOP_K], "the top-k chart should list the top 3 classes"
    bad = page.get_by_test_id("stAlert").filter(has_text="could not be used")
    corrupt_card = cards.filter(has_text=corrupt.name, has_not_text=photo.name).filter(has=bad)
    expect(corrupt_card.last).to_be_visible()
    expect(corrupt_card.last.locator(PLOT)).to_have_count(0)
    expect(bad).to_have_count(1)


def test_classroom_path(app_server, new_page, screenshots):
    page = new_page()
    with screenshots.step("data", page):
        open_app(page, app_server.url)
        load_small_shapes(page)
    with screenshots.step("augment", page):
        preview_augmentation(page)
