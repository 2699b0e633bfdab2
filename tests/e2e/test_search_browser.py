"""A reader searches from the header on a phone, without JavaScript; axe-core finds nothing."""

from __future__ import annotations

import json
from pathlib import Path

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"


def violations(page) -> list[str]:
    found = page.evaluate("axe.run(document).then(r => r.violations)")
    return [f"{v['id']}: {json.dumps([n['target'] for n in v['nodes']])}" for v in found]


def test_header_search_at_360_px_finds_and_marks_a_blog(browser, live_server, runner):
    assert runner.invoke(args=["seed"]).exit_code == 0
    context = browser.new_context(
        base_url=live_server, java_script_enabled=False, viewport={"width": 360, "height": 700}
    )
    page = context.new_page()
    page.goto("/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    box = page.get_by_role("searchbox", name="Search blogs")
    box.fill('"first blog"')
    box.press("Enter")  # a plain GET form: no script needed
    assert page.locator("h1").inner_text() == "Search"
    # A phrase is one mark on SQLite (FTS5), one per word on PostgreSQL (ts_headline).
    assert page.locator("article.result mark").first.inner_text().lower().startswith("first")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    url = page.url
    context.close()
    for width in (360, 1280):  # axe needs script: a second context runs it
        context = browser.new_context(
            base_url=live_server, viewport={"width": width, "height": 800}
        )
        page = context.new_page()
        page.add_init_script(path=str(AXE))
        for path in (url, "/search?q=", "/search?q=zebra"):
            page.goto(path)
            assert violations(page) == [], (width, path)
        context.close()
