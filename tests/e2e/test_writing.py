"""A reader becomes a writer in a real browser, and hostile Markdown runs no script."""

from __future__ import annotations

from playwright.sync_api import expect

PASSWORD = "quiet harbour lanterns"
HOSTILE_MARKDOWN = """Hello from **Kyoto**.

<script>window.__xss = "script"; alert("script")</script>

<img src="/no-such-image.png" onerror="window.__xss = 'img'; alert('img')">

<a href="javascript:void(window.__xss='link')">a harmless link</a>
"""


def test_register_log_in_write_and_publish_without_running_scripts(page):
    dialogs: list[str] = []
    errors: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.on("pageerror", lambda error: errors.append(str(error)))

    page.goto("/")
    page.get_by_role("link", name="Register").click()
    page.get_by_label("Phone number").fill("+81 90 1234 5678")
    page.get_by_label("Name", exact=True).fill("Sakura")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("status")).to_contain_text("Welcome, Sakura!")

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("status")).to_contain_text("You are logged out.")
    page.get_by_role("link", name="Log in").click()
    page.get_by_label("Phone number").fill("+819012345678")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Remember me").check()
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("status")).to_contain_text("You are logged in.")

    page.get_by_role("link", name="Write").click()
    page.get_by_label("Title").fill("Spring in Kyoto")
    page.get_by_label("Content").fill(HOSTILE_MARKDOWN)
    page.get_by_label("Tags").fill("travel, Japan")
    page.get_by_label("Published").check()
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("status")).to_contain_text("Your blog is published.")
    expect(page.locator("h1")).to_have_text("Spring in Kyoto")
    content = page.locator(".content")
    expect(content).to_contain_text("Hello from Kyoto.")
    expect(content.locator("strong")).to_have_text("Kyoto")
    page.wait_for_load_state("networkidle")  # the broken image has failed to load by now
    content.get_by_text("a harmless link").click()
    # Had anything run, it would have set the flag and opened a dialog.
    assert page.evaluate("window.__xss") is None
    assert dialogs == [] and errors == []
    assert content.locator("script").count() == 0
    assert content.locator("img").get_attribute("onerror") is None
    assert content.locator("a[href^='javascript']").count() == 0

    page.goto("/")
    expect(page.get_by_role("link", name="Spring in Kyoto")).to_be_visible()
    expect(page.get_by_role("link", name="#Japan")).to_be_visible()
