"""A student opens a teacher's lesson link in a fresh browser: same page, same settings, locked controls."""

from __future__ import annotations

from playwright.sync_api import expect

from cnnviz.data.dataset import DatasetSpec
from cnnviz.lesson.link import LessonState, from_url, lesson_url
from cnnviz.runs.schema import TrainConfig
from tests.browser.driver import assert_clean, open_app, widget

LESSON = LessonState(
    page="train", dataset=DatasetSpec(image_size=32, count=400), architecture="custom",
    options={"blocks": 2, "filters": 8}, training=TrainConfig(learning_rate=0.01, epochs=2),
    locked=("train_epochs", "train_optimizer"),
)  # fmt: skip


def test_a_lesson_link_opens_the_same_view_in_a_fresh_browser(app_server, new_page, screenshots):
    page = new_page()
    with screenshots.step("lesson link opened", page):
        open_app(page, lesson_url(app_server.url, LESSON))
        assert_clean(page)
        expect(page.get_by_role("heading", name="📈 Train")).to_be_visible()
        sidebar = page.get_by_test_id("stSidebar")
        expect(sidebar).to_contain_text("32×32×3")  # the dataset was loaded
        expect(sidebar).to_contain_text("custom")  # and the model built
        learning_rate = widget(page, "stNumberInput", "Learning rate").locator("input")
        epochs = widget(page, "stNumberInput", "Epochs").locator("input")
        expect(learning_rate).to_have_value("0.01")
        expect(learning_rate).to_be_enabled()  # "only change the learning rate"
        expect(epochs).to_have_value("2")
        expect(epochs).to_be_disabled()
    with screenshots.step("the sidebar's link of this view", page):
        sidebar.get_by_text("🔗 Lesson link").click()
        link = sidebar.get_by_test_id("stCode").inner_text().strip()
        state, problems = from_url(link)
        assert problems == [] and state.page == "train" and link.startswith(app_server.url)
        assert (state.dataset, state.architecture, state.options) == (LESSON.dataset, "custom", LESSON.options)
        assert (state.training.learning_rate, state.training.epochs) == (0.01, 2)
