"""A run named in Markdown by one student shows as plain text in another student's sidebar (issue 28)."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.driver import AppServer, Screenshots, wait_idle

NAME = "![](http://example.com/x.png) [log in again](http://example.com/login) **bold** " + "a" * 200_000


def test_a_markdown_run_name_is_plain_text_in_another_students_sidebar(
    app_server: AppServer, new_page, tiny_run, screenshots: Screenshots
):  # fmt: skip
    from cnnviz.runs.store import rename_run, save_run

    saved = save_run(tiny_run, app_server.runs_dir)
    rename_run(saved.path, NAME)
    page = new_page()
    with screenshots.step("markdown-run-name", page):
        page.goto(f"{app_server.url}?run={saved.path.name}")  # the other student opens the run by its link
        wait_idle(page)
        sidebar = page.get_by_test_id("stSidebar")
        shown = sidebar.get_by_text("log in again")
        expect(shown).to_be_visible()
        assert "![](http:" in shown.inner_text().replace("\u2060", "") and "**bold**" in shown.inner_text()
        assert sidebar.locator("img[src*='example.com']").count() == 0  # no image, no link, no emphasis
        assert sidebar.locator("a[href*='example.com']").count() == 0
        assert sidebar.locator("strong strong, strong em").count() == 0  # the sidebar bolds the name, nothing more
