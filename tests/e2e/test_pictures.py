"""A writer picks pictures in a real browser; readers' browsers load them, phones the small one."""

from __future__ import annotations

import time

from playwright.sync_api import expect

from ..conftest import DEFAULT_PASSWORD
from ..media_support import gps_photo, picture

WRITER = "+819012345678"


def natural_width(locator) -> int:
    locator.scroll_into_view_if_needed()
    return int(locator.evaluate("img => img.complete ? img.naturalWidth : 0"))


def wait_loaded(locator, timeout: float = 15.0) -> None:
    """Wait for the picture to load, polling from here: page.wait_for_function polls with an
    eval that the site's CSP (no 'unsafe-eval') refuses once its first check comes back false.
    """
    locator.scroll_into_view_if_needed()  # a lazy picture loads only in view
    deadline = time.monotonic() + timeout
    while not locator.evaluate("img => img.complete && img.naturalWidth > 0"):
        assert time.monotonic() < deadline, "the picture never loaded"
        time.sleep(0.05)


def test_pick_a_cover_and_a_body_picture_and_see_them_rendered(page, make_user, tmp_path, browser):
    make_user(WRITER, name="Writer")
    cover, body = tmp_path / "IMG_0001.jpg", tmp_path / "tea.png"
    cover.write_bytes(gps_photo((2400, 1200), orientation=1))
    body.write_bytes(picture((1200, 800), "PNG"))

    page.goto("/auth/login")
    page.get_by_label("Phone number").fill(WRITER)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto("/blog/new")
    page.get_by_label("Title").fill("Tea in Uji")
    page.get_by_label("Content").fill("Green fields.")
    page.get_by_label("Cover picture (optional)").set_input_files(str(cover))
    page.get_by_label("Cover description").fill("Tea fields at dawn")
    page.get_by_label("Published").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Your blog is published.")
    image = page.locator("img.cover")
    expect(image).to_have_attribute("alt", "Tea fields at dawn")
    wait_loaded(image)
    assert natural_width(image) > 0
    assert image.evaluate("img => img.currentSrc").endswith(".webp")

    # A picture for the text: upload, copy the Markdown shown, paste it, save.
    page.get_by_role("link", name="Edit").click()
    page.get_by_label("Picture", exact=True).set_input_files(str(body))
    page.get_by_label("Description", exact=True).fill("A cup of sencha")
    page.get_by_role("button", name="Upload picture").click()
    expect(page.get_by_role("status")).to_contain_text("Picture uploaded")
    markdown = page.get_by_label("Markdown to paste").first.input_value()
    assert markdown.startswith("![A cup of sencha](/media/")
    content = page.get_by_label("Content")
    content.fill(content.input_value() + "\n\n" + markdown + "\n")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Your changes are saved")
    inline = page.locator(".content img")
    expect(inline).to_have_attribute("alt", "A cup of sencha")
    wait_loaded(inline)
    assert natural_width(inline) > 0

    # A phone 360 px wide (1x) downloads the 480 px copy, not the original.
    size = {"width": 360, "height": 740}
    base = page.url.split("/blog/")[0]
    phone = browser.new_context(base_url=base, viewport=size, device_scale_factor=1)
    try:
        reader = phone.new_page()
        reader.goto("/blog/tea-in-uji/")
        wait_loaded(reader.locator("img.cover"))
        assert reader.locator("img.cover").evaluate("img => img.currentSrc").endswith("-480.webp")
    finally:
        phone.close()
