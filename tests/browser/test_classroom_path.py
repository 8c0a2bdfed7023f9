"""The classroom path in a real browser, with nothing but clicks, typing and a file drop."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.driver import (
    click, drop_files, go_to, main, open_app, plotly_points, select, select_options, set_slider
)  # fmt: skip
from tests.browser.steps import (
    FINAL_CURVES, MANY_EPOCHS, PLOT, assert_stopped_run, choose_small_model, epochs_run, load_small_shapes,
    press_stop, start_training, wait_for_results, wait_until_live_chart_grows,
)  # fmt: skip

GRID = 16
TOP_K = 3
PHOTO = "cat.4501.jpg"
EPOCHS = 2
FILTERS = 4
RUN_NAME = "browser classroom"


def preview_augmentation(page: Page) -> None:
    """Augment page: a seed preset fills the grid; re-rolling draws a new one."""
    go_to(page, "Augment")
    click(page, "weather")
    for seed in (0, 1):
        grid = main(page).get_by_test_id("stImageCaption").filter(has_text=re.compile(rf"^seed {seed}, #\d+$"))
        expect(grid).to_have_count(GRID)
        if seed == 0:
            click(page, "🎲 Re-roll")


def train_to_the_end(page: Page) -> None:
    """2 short epochs run to the end: the final scores, and one point per epoch on the final curves."""
    start_training(page, EPOCHS, RUN_NAME)
    wait_for_results(page)
    expect(main(page).get_by_test_id("stAlert").first).to_contain_text(f"Trained for {EPOCHS} epochs")
    assert epochs_run(page) == EPOCHS
    assert set(plotly_points(page.locator(FINAL_CURVES))) == {EPOCHS}


def watch_live_curves_then_stop(page: Page) -> None:
    """A long second run: the live chart grows while it trains; Stop ends it early, and it is kept."""
    start_training(page, MANY_EPOCHS, "browser stopped")
    wait_until_live_chart_grows(page)
    press_stop(page)
    wait_for_results(page)
    assert_stopped_run(page, MANY_EPOCHS)


def look_at_activations(page: Page) -> None:
    """Activations page: the channel mosaic of the first layer, then of the deepest one."""
    go_to(page, "Activations")
    captions = main(page).get_by_test_id("stImageCaption")
    expect(captions.filter(has_text=re.compile(r"^\d+ channels of \w+, \d+×\d+ each"))).to_have_count(1)
    layers = select_options(page, "Layer")
    select(page, "Layer", layers[-1])
    deepest = layers[-1].split()[0]
    expect(captions.filter(has_text=re.compile(rf"^\d+ channels of {re.escape(deepest)},"))).to_have_count(1)


def generate_filter_patterns(page: Page) -> None:
    """Filters page: gradient ascent draws the patterns of the first filters."""
    go_to(page, "Filters")
    set_slider(page, "Filters", FILTERS)
    set_slider(page, "Steps", 10)
    click(page, "Generate")
    patterns = main(page).get_by_test_id("stImageCaption").filter(has_text=re.compile(r"^#\d+: (\d+×|silent)"))
    expect(patterns).to_have_count(FILTERS)


def explain_with_gradcam(page: Page) -> None:
    """Where the network looks: methods side by side, the top 3 classes; the sanity check of Grad-CAM++ on request."""
    go_to(page, "Where the network looks")
    captions = main(page).get_by_test_id("stImageCaption")
    for method in ("Grad-CAM", "Occlusion", "SmoothGrad", "Integrated Gradients"):
        expect(captions.filter(has_text=re.compile(rf"^{method} for .+ \(\d+%\)$"))).to_have_count(1)
    expect(captions.filter(has_text=re.compile(r"^.+: \d+\.\d%$"))).to_have_count(3)
    select(page, "Method to check", "Grad-CAM++")
    main(page).get_by_text("Run the sanity check").click()
    expect(main(page).get_by_test_id("stMetric").filter(has_text="Rank correlation (Spearman)")).to_have_count(1)


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


def reopen_after_restart(page: Page, app_server, photo: Path, corrupt: Path) -> None:
    """A restarted server on the same runs folder lists the run, and Predict opens it."""
    app_server.stop()
    app_server.start()
    open_app(page, app_server.url)
    go_to(page, "Runs")
    assert any(option.startswith(RUN_NAME) for option in select_options(page, "Run"))
    go_to(page, "Predict")
    select(page, "Model", re.compile(rf"^{re.escape(RUN_NAME)}.*completed"))
    predict_files(page, photo, corrupt)


def test_classroom_path(app_server, new_page, screenshots, shared_data, tmp_path):
    photo = shared_data / "photos" / PHOTO
    corrupt = tmp_path / "corrupt.jpg"
    corrupt.write_bytes(b"this is not a JPEG, just text with the wrong extension\n" * 20)
    page = new_page()
    with screenshots.step("data", page):
        open_app(page, app_server.url)
        load_small_shapes(page)
    with screenshots.step("model", page):
        choose_small_model(page)
    with screenshots.step("train", page):
        train_to_the_end(page)
    with screenshots.step("train-live-stop", page):
        watch_live_curves_then_stop(page)
    with screenshots.step("augment", page):
        preview_augmentation(page)
    with screenshots.step("activations", page):
        look_at_activations(page)
    with screenshots.step("filters", page):
        generate_filter_patterns(page)
    with screenshots.step("gradcam", page):
        explain_with_gradcam(page)
    with screenshots.step("predict", page):
        go_to(page, "Predict")
        predict_files(page, photo, corrupt)
    page = new_page()
    with screenshots.step("restart-predict", page):
        reopen_after_restart(page, app_server, photo, corrupt)
