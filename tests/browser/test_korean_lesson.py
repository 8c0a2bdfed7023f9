"""A lesson switched to Korean mid-training: every page speaks Korean and nothing is lost."""

from __future__ import annotations

import re

from babel.messages.pofile import read_po
from playwright.sync_api import Page, expect

from cnnviz import i18n
from tests.browser.driver import assert_clean, go_to, main, wait_idle
from tests.browser.steps import (
    LIVE_CURVES, MANY_EPOCHS, TRAINING_TIMEOUT_MS, FINAL_CURVES, choose_small_model, load_small_shapes,
    start_training,
)  # fmt: skip

PAGES = ["Data", "Model", "Augment", "Train", "Runs", "Activations", "Filters", "Where the network looks", "Convolution", "Predict"]
PLACEHOLDER_OR_MARKUP = re.compile(r"\{[^}]*\}|\*\*|`|\n")
MIN_FRAGMENT = 14  # shorter pieces ("Epochs", "Seed") could be data or Streamlit's own words


def korean(text: str) -> str:
    with i18n.use_language("ko"):
        return i18n.gettext(text)


def english_fragments() -> list[str]:
    """Pieces of catalog English that have a different Korean translation and cannot be data."""
    with i18n.catalog_path("ko").open("rb") as stream:
        catalog = read_po(stream)
    fragments = set()
    for message in catalog:
        english, korean = (m[0] if isinstance(m, tuple) else m for m in (message.id, message.string))
        if not english or not korean or korean == english:
            continue
        for piece in PLACEHOLDER_OR_MARKUP.split(english):
            piece = piece.strip(" .:;,()'·")
            if len(piece) >= MIN_FRAGMENT and " " in piece and piece not in korean:
                fragments.add(piece)
    return sorted(fragments)


def english_left(page: Page, fragments: list[str]) -> list[str]:
    text = page.get_by_test_id("stApp").inner_text()
    return [fragment for fragment in fragments if fragment in text]


def switch_to_korean(page: Page) -> None:
    """The sidebar's language picker: the page redraws in Korean, and the URL remembers it."""
    page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox").first.click()
    page.get_by_role("option", name="한국어", exact=True).click()
    expect(page.get_by_test_id("stSidebarNav").get_by_role("link", name=korean("Train"), exact=True)).to_be_visible()
    wait_idle(page)
    assert "lang=ko" in page.url


def test_a_lesson_switched_to_korean_keeps_its_training_and_shows_no_english(app_server, new_page, screenshots):
    page = new_page()
    fragments = english_fragments()
    assert len(fragments) > 50, "the Korean catalog should cover the app"
    with screenshots.step("korean-setup", page):
        page.goto(app_server.url)
        wait_idle(page)
        load_small_shapes(page)
        choose_small_model(page)
        start_training(page, MANY_EPOCHS, "korean lesson")
        expect(page.locator(LIVE_CURVES)).to_have_count(1, timeout=TRAINING_TIMEOUT_MS)
    with screenshots.step("korean-train", page):
        switch_to_korean(page)
        expect(main(page).get_by_role("button", name=korean("⏹ Stop"))).to_be_visible()
        expect(page.locator(LIVE_CURVES)).to_have_count(1)  # the training goes on
        expect(page.get_by_test_id("stSidebar")).to_contain_text("32×32×3")  # the dataset is kept
    for title in PAGES:
        with screenshots.step(f"korean-{title.lower()}", page):
            go_to(page, korean(title))
            assert_clean(page)
            assert english_left(page, fragments) == [], f"English on the {title} page"
    with screenshots.step("korean-stop", page):
        go_to(page, korean("Train"))
        main(page).get_by_role("button", name=korean("⏹ Stop")).click()
        expect(page.locator(FINAL_CURVES)).to_have_count(1, timeout=TRAINING_TIMEOUT_MS)
        wait_idle(page)
        assert english_left(page, fragments) == [], "English in the finished training's results"
