"""Steps of the classroom path shared by the browser tests: a small dataset, a small model, training."""

from __future__ import annotations

import time

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect

from tests.browser.driver import (
    click, go_to, main, plotly_points, select, set_select_slider, set_slider, type_into
)  # fmt: skip

IMAGE_SIZE = 32
IMAGE_COUNT = 400
BATCH_SIZE = 16
PLOT = ".js-plotly-plot"
LIVE_CURVES = ".st-key-live_curves"
FINAL_CURVES = ".st-key-final_curves"
START = "▶ Start training"


def load_small_shapes(page: Page) -> None:
    """Data page: the generated Shapes set at 32 px with a few hundred images."""
    go_to(page, "Data")
    set_slider(page, "Image size (pixels, square)", IMAGE_SIZE)
    type_into(page, "stNumberInput", "Number of images", IMAGE_COUNT)
    click(page, "Load dataset")
    metrics = main(page).get_by_test_id("stMetric")
    expect(metrics.filter(has_text="Image size")).to_contain_text(f"{IMAGE_SIZE}×{IMAGE_SIZE}")
    expect(metrics.filter(has_text="Images")).to_contain_text("280 / 60 / 60")
    expect(main(page).get_by_test_id("stPlotlyChart").first).to_be_visible()


def choose_small_model(page: Page) -> None:
    """Model page: a custom convnet with 2 blocks of 8 filters becomes the current model."""
    go_to(page, "Model")
    select(page, "Architecture", "custom (your own)")
    set_slider(page, "Conv blocks (each halves the image)", 2)
    set_select_slider(page, "Filters in the first block", "8")
    set_select_slider(page, "Hidden Dense units (0 = none)", "32")
    click(page, "Use this model")
    expect(main(page).get_by_test_id("stAlert").filter(has_text="is now the current model")).to_be_visible()


def fill_training_form(page: Page, epochs: int, name: str) -> None:
    """Train page: epochs, batch size and run name typed into the settings form."""
    go_to(page, "Train")
    type_into(page, "stNumberInput", "Epochs", epochs)
    type_into(page, "stNumberInput", "Batch size", BATCH_SIZE)
    type_into(page, "stTextInput", "Run name", name)


def start_training(page: Page, epochs: int, name: str) -> None:
    """Train page: fill the settings form and press Start."""
    fill_training_form(page, epochs, name)
    click(page, START)


def watch_live_curves(page: Page, timeout_s: float = 240) -> list[int]:
    """Point counts of the live loss/accuracy chart, sampled until the final results replace it."""
    live, final = page.locator(LIVE_CURVES), page.locator(FINAL_CURVES)
    counts: list[int] = []
    deadline = time.monotonic() + timeout_s
    while final.count() == 0:
        assert time.monotonic() < deadline, f"training did not finish in {timeout_s}s; live points seen: {counts}"
        try:
            if live.locator(PLOT).count():
                counts.append(sum(plotly_points(live)))
        except PlaywrightError:  # the chart was being replaced by the next refresh
            pass
        page.wait_for_timeout(200)
    return counts


def epochs_run(page: Page) -> int:
    """The "Epochs run" figure of a finished training."""
    metric = main(page).get_by_test_id("stMetric").filter(has_text="Epochs run").get_by_test_id("stMetricValue")
    return int(metric.inner_text())
