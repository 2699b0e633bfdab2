"""A reader browses the seeded site in a real browser."""

from __future__ import annotations


def test_reader_follows_links_from_home_to_blog_and_tag(page, runner):
    assert runner.invoke(args=["seed"]).exit_code == 0
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto("/")
    assert page.locator("h1").inner_text() == "Latest blogs"
    page.get_by_role("link", name="updated blog title").click()
    assert page.locator("h1").inner_text() == "updated blog title"
    page.get_by_role("link", name="#tag1").click()
    assert "Blogs tagged #tag1" in page.locator("h1").inner_text()
    page.set_viewport_size({"width": 375, "height": 700})  # a phone
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert errors == []
