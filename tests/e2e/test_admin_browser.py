"""Staff log in to the console in a real browser, write a blog with two tags, and see it live."""

from __future__ import annotations

import re
from typing import Any

from ..conftest import DEFAULT_PASSWORD

STAFF_PHONE = "+819022220000"
BLOG_LIST = re.compile(r"/admin/blogs/(\?.*)?$")


def pick(page: Any, field: str, text: str, multiple: bool = False) -> None:
    """Choose ``text`` in one of flask-admin's search-as-you-type (select2) fields."""
    container = page.locator(f"#s2id_{field}")
    if multiple:
        box = container.locator("input.select2-input")
        box.click()
    else:
        container.click()
        box = page.locator(".select2-drop-active input.select2-input")
    box.press_sequentially(text)
    page.locator(".select2-drop-active .select2-result-label", has_text=text).first.click()
    # A late answer to an earlier keystroke's lookup can open the list again: close it, as
    # a person would, before the next field (its mask would take the next click).
    if page.locator("#select2-drop-mask").is_visible():
        page.keyboard.press("Escape")
    page.locator("#select2-drop-mask").wait_for(state="hidden")
    assert text in container.inner_text()


def test_staff_write_a_blog_with_two_tags_in_the_console(page, runner, make_user):
    # Under the console's own policy (security.py): not one report of a blocked script.
    assert runner.invoke(args=["seed"]).exit_code == 0  # authors test, test2; tags tag1, tag2
    make_user(STAFF_PHONE, name="Editor", is_staff=True)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if _blocked(message) else None)

    page.goto("/admin/blogs/")
    assert page.url.endswith("/admin/login/?next=/admin/blogs/")
    page.get_by_label("Phone number").fill("+81 90 2222 0000")
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(BLOG_LIST)

    page.get_by_role("link", name="Create", exact=True).click()
    page.get_by_label("Title").fill("Written in the console")
    pick(page, "author", "test2")
    pick(page, "tags", "tag1", multiple=True)
    pick(page, "tags", "tag2", multiple=True)
    page.get_by_label("Content").fill("Made with **two** tags.")
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url(BLOG_LIST)
    assert "Record was successfully created." in page.content()

    page.goto("/")
    page.get_by_role("link", name="Written in the console").click()
    assert page.locator("h1").inner_text() == "Written in the console"
    body = page.locator("main").inner_text()
    assert "#tag1" in body and "#tag2" in body and "test2" in body

    page.goto("/admin/audit/")
    row = page.locator("tr", has_text="Written in the console")
    assert "created" in row.inner_text() and "Editor" in row.inner_text()
    assert "tags" in row.inner_text()

    # Deleting asks first (flask-admin's own button: its onclick is allowed by hash).
    page.goto("/admin/blogs/")
    delete = page.locator("tr", has_text="first blog title").get_by_title("Delete record")
    page.once("dialog", lambda dialog: dialog.dismiss())
    delete.click()
    page.once("dialog", lambda dialog: dialog.accept())
    delete.click()
    page.wait_for_url(BLOG_LIST)
    assert page.get_by_text("Record was successfully deleted.").count() == 1
    assert "first blog title" not in page.locator("table.model-list").inner_text()
    assert errors == []


def _blocked(message: Any) -> bool:
    """Return whether the console ``message`` reports something the policy blocked."""
    return "Content Security Policy" in message.text
