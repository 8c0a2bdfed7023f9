"""Steps of the classroom path shared by the browser tests: a small dataset, a small model, training."""

from __future__ import annotations

from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from cnnviz.limits import limits
from tests.browser.driver import (
    click, go_to, main, plotly_points, select, set_select_slider, set_slider, type_into, wait_idle
)  # fmt: skip

IMAGE_SIZE = 32
IMAGE_COUNT = 400
BATCH_SIZE = 16
PLOT = ".js-plotly-plot"
LIVE_CURVES = ".st-key-live_curves"
FINAL_CURVES = ".st-key-final_curves"
START = "▶ Start training"
STOP = "⏹ Stop"
# Far more epochs than a test watches (the server's most): the test presses Stop, the training never has
# to be slow or fast.
MANY_EPOCHS = limits().epochs
# Waits on training events: generous, since the machine may be loaded (a wait ends as soon as its event comes).
TRAINING_TIMEOUT_MS = 600_000
# Collects the distinct non-zero point counts the live chart has shown; true once it has shown two.
LIVE_CHART_GREW = """(curves) => {
    const seen = (window.cnnvizLivePointCounts ??= new Set());
    const plot = document.querySelector(`${curves} .js-plotly-plot`);
    const points = (plot?.data ?? []).reduce((total, trace) => total + (trace.y ?? []).length, 0);
    if (points > 0) seen.add(points);
    return seen.size >= 2;
}"""


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


def wait_until_live_chart_grows(page: Page) -> None:
    """Wait until the live chart of the training just started has shown two different point counts."""
    page.evaluate("window.cnnvizLivePointCounts = new Set()")
    try:
        page.wait_for_function(LIVE_CHART_GREW, arg=LIVE_CURVES, polling=100, timeout=TRAINING_TIMEOUT_MS)
    except PlaywrightTimeoutError:
        counts = page.evaluate("[...window.cnnvizLivePointCounts]")
        raise AssertionError(f"the live chart did not grow during training (point counts seen: {counts})") from None


def wait_for_results(page: Page) -> None:
    """Wait until the training has ended and its final results replaced the live view."""
    expect(page.locator(FINAL_CURVES)).to_have_count(1, timeout=TRAINING_TIMEOUT_MS)
    expect(page.locator(LIVE_CURVES)).to_have_count(0)
    wait_idle(page)


def press_stop(page: Page) -> None:
    """Press Stop on a training that is still running (its results come after the current batch)."""
    expect(page.locator(FINAL_CURVES)).to_have_count(0)
    click(page, STOP, wait=False)


def assert_stopped_run(page: Page, epochs: int) -> None:
    """The results of a run stopped by the user: fewer epochs than asked, each one on the final curves.

    Keras ends the epoch in progress when stopped, so a run stopped in its first epoch has run one.
    """
    expect(main(page).get_by_test_id("stAlert").first).to_contain_text("Stopped by the user")
    run = epochs_run(page)
    assert 1 <= run < epochs, f"{run} epochs run of {epochs}"
    assert set(plotly_points(page.locator(FINAL_CURVES))) == {run}, "one point per epoch run on each final curve"


def epochs_run(page: Page) -> int:
    """The "Epochs run" figure of a finished training."""
    metric = main(page).get_by_test_id("stMetric").filter(has_text="Epochs run").get_by_test_id("stMetricValue")
    return int(metric.inner_text())
