"""Reading in a real browser: JSON-LD under the CSP, highlighted code, dark mode, the skip
link, and axe-core (light and dark, 360 and 1280 px) on the pages this work changed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from blogsite.extensions import db
from blogsite.models import Author, Blog, Tag

from .test_csp import RECORD_VIOLATIONS, violations

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
CODE = "```python\ndef greet(name: str) -> str:\n    # say hello\n    return f'hi {name}'\n```"


@pytest.fixture
def blog(app: Any) -> None:
    with app.app_context():
        author = Author(name="Aiko", email="aiko@example.com", bio="Trains.")
        db.session.add(Blog(
            title="Night </script> trains", slug="night", author=author,
            content="Some **text**, then code:\n\n" + CODE + "\n\n日本語の文章。",
            tags=[Tag(name="rail", slug="rail")],
        ))  # fmt: skip
        db.session.commit()


def axe_violations(page: Any) -> list[str]:
    page.add_script_tag(path=str(AXE))  # an inline script: its context bypasses the CSP
    result = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '))"
    )
    return list(result)


def test_json_ld_and_highlighting_run_under_the_policy(page, blog):
    page.add_init_script(RECORD_VIOLATIONS)
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto("/blog/night/")
    data = page.evaluate(
        "JSON.parse(document.querySelector('script[type=\"application/ld+json\"]').textContent)"
    )
    assert data["headline"] == "Night </script> trains"
    keyword = page.locator(".content .hl-k").first
    assert keyword.inner_text() == "def"
    light = page.evaluate("(el) => getComputedStyle(el).color", keyword.element_handle())
    assert light not in ("rgb(0, 0, 0)", "")  # coloured by highlight.css, from 'self'
    assert violations(page) == [] and errors == []


def test_dark_mode_changes_the_palette(browser, live_server, blog):
    colours = {}
    for scheme in ("light", "dark"):
        context = browser.new_context(base_url=live_server, color_scheme=scheme)
        page = context.new_page()
        page.goto("/blog/night/")
        colours[scheme] = page.evaluate(
            "[getComputedStyle(document.documentElement).backgroundColor,"
            " getComputedStyle(document.querySelector('.content .hl-k')).color]"
        )
        context.close()
    assert colours["light"][0] != colours["dark"][0]
    assert colours["light"][1] != colours["dark"][1]


def test_the_skip_link_is_the_first_stop_and_reaches_main(page, blog):
    page.goto("/blog/night/")
    page.keyboard.press("Tab")
    active = "document.activeElement"
    focused = page.evaluate(f"[{active}.textContent, {active}.className]")
    assert focused == ["Skip to content", "skip-link"]
    assert page.locator(".skip-link").bounding_box()["y"] >= 0  # shown when focused
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"
    assert page.evaluate("document.activeElement.id") == "main"


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [360, 1280])
def test_axe_finds_nothing_on_the_changed_pages(browser, live_server, blog, scheme, width):
    context = browser.new_context(
        base_url=live_server, color_scheme=scheme, viewport={"width": width, "height": 900},
        bypass_csp=True,  # to inject axe-core; test_csp.py checks the pages under the policy
    )  # fmt: skip
    page = context.new_page()
    try:
        for path in ("/", "/blog/night/", "/author/1/", "/tag/rail/", "/auth/register"):
            page.goto(path)
            assert axe_violations(page) == [], (path, scheme, width)
        # A failed form: the summary, invalid fields and their descriptions.
        page.goto("/auth/register")
        page.get_by_role("button", name="Register").click()
        page.wait_for_selector(".error-summary")
        assert axe_violations(page) == [], ("register errors", scheme, width)
    finally:
        context.close()
