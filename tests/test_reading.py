"""Reading: highlighted code (classes only), reading time, dark mode contrast, and form
errors tied to their fields with one summary."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from blogsite.contrast import AA_TEXT, contrast
from blogsite.highlight import CODE_BG, STYLESHEET, stylesheet
from blogsite.markup import render_markdown
from blogsite.reading import reading_minutes

from .page_parts import Page

SITE_CSS = Path(__file__).resolve().parent.parent / "static" / "css" / "site.css"


def elements(html: str) -> list[tuple[str, dict[str, str]]]:
    return Page(html).elements


def test_a_python_block_is_highlighted_with_classes_and_no_style():
    html = str(render_markdown("```python\ndef greet(name):\n    return f'hi {name}'\n```"))
    found = elements(html)
    spans = [attrs for tag, attrs in found if tag == "span"]
    assert len(spans) >= 6
    classes = {attrs["class"] for attrs in spans}
    assert {"hl-k", "hl-nf"} <= classes  # "def" is a keyword, "greet" a function name
    assert all(name.startswith("hl-") for name in classes)
    assert not any("style" in attrs for _, attrs in found)
    assert ("code", {"class": "language-python"}) in found
    assert "def" in html and "greet" in html


def test_an_unknown_or_missing_language_is_plain_escaped_text():
    for fence in ("```no-such-language", "```"):
        html = str(render_markdown(f"{fence}\n<b>bold?</b> & x\n```"))
        assert "<span" not in html and "<b>" not in html
        assert "&lt;b&gt;bold?&lt;/b&gt; &amp; x" in html


def test_code_that_looks_like_markup_stays_text():
    code = '</code></pre><script>alert(1)</script><img src=x onerror="alert(2)">'
    for lang in ("python", "html", "javascript"):
        html = str(render_markdown(f"```{lang}\n{code}\n```"))
        tags = [tag for tag, _ in elements(html)]
        assert "script" not in tags and "img" not in tags, lang
        assert set(tags) <= {"pre", "code", "span"}, lang


def test_writers_cannot_inject_classes_or_styles():
    html = str(render_markdown(
        '<span class="skip-link error-summary hl-k" style="position:fixed">a</span> '
        '<code class="flash flash-error language-python" style="color:red">b</code> '
        '<p class="card" id="main">c</p>'
    ))  # fmt: skip
    found = elements(html)
    assert ("span", {"class": "hl-k"}) in found
    assert ("code", {"class": "language-python"}) in found
    assert not any("style" in attrs or "id" in attrs for _, attrs in found)
    assert ("p", {}) in found


def test_a_text_is_rendered_once_per_process_and_stays_sanitized(monkeypatch):
    """A cold blog page renders its whole text: the same text is parsed once per process."""
    from blogsite import markup

    calls: list[str] = []
    parse = markup._markdown.render
    monkeypatch.setattr(markup._markdown, "render", lambda text: calls.append(text) or parse(text))
    text = f"# Once {id(calls)}\n\n*body*\n\n<script>alert(1)</script>"
    first, second = render_markdown(text), render_markdown(text)
    assert first == second and "<script>" not in str(second) and "<em>body</em>" in str(second)
    assert calls == [text]
    render_markdown(text + " changed")
    assert len(calls) == 2  # another text is rendered, never served another's HTML


def test_the_highlight_stylesheet_is_current_and_readable():
    """static/css/highlight.css is what `python -m blogsite.highlight` writes; 4.5:1 everywhere."""
    assert STYLESHEET.read_text(encoding="utf-8") == stylesheet()
    light, _, dark = STYLESHEET.read_text(encoding="utf-8").partition("prefers-color-scheme: dark")
    for part, background in ((light, CODE_BG["light"]), (dark, CODE_BG["dark"])):
        colours = re.findall(r"color: (#[0-9a-f]{6})", part)
        assert len(colours) > 20
        assert min(contrast(c, background) for c in colours) >= AA_TEXT


def css_variables(css: str) -> tuple[dict[str, str], dict[str, str]]:
    """Return the custom properties of :root, light and dark (the dark block overrides)."""
    blocks = re.findall(r":root\s*\{([^}]*)\}", css)
    parse = lambda block: dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{3,6})", block))  # noqa: E731
    light = parse(blocks[0])
    dark_media = css[css.index("@media (prefers-color-scheme: dark)") :]
    dark = light | parse(re.search(r":root\s*\{([^}]*)\}", dark_media).group(1))  # type: ignore[union-attr]
    return light, dark


# (text, background) pairs the stylesheet uses: body, cards, links, badges, tags, code,
# flashes, buttons, error text and the error summary.
PAIRS = [
    ("fg", "bg"), ("fg", "card"), ("muted", "bg"), ("muted", "card"), ("accent", "bg"),
    ("accent", "card"), ("fg", "badge-bg"), ("accent", "tag-bg"), ("fg", "code-bg"),
    ("fg", "flash-bg"), ("ok", "ok-bg"), ("danger", "danger-bg"), ("fg", "danger-bg"),
    ("on-accent", "accent"), ("on-accent", "danger"), ("danger", "bg"), ("danger", "card"),
]  # fmt: skip


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_dark_mode_keeps_every_text_pair_at_aa_contrast(scheme):
    light, dark = css_variables(SITE_CSS.read_text(encoding="utf-8"))
    colours = light if scheme == "light" else dark
    if scheme == "dark":
        assert colours["bg"] != light["bg"] and colours["fg"] != light["fg"]
    low = {f"{a} on {b}": round(contrast(colours[a], colours[b]), 2) for a, b in PAIRS}
    assert min(low.values()) >= AA_TEXT, low
    # The code background the highlight stylesheet was checked against is the page's.
    assert colours["code-bg"] == CODE_BG[scheme]


def test_no_colour_is_hard_coded_outside_the_two_palettes():
    css = SITE_CSS.read_text(encoding="utf-8")
    outside = re.sub(r":root\s*\{[^}]*\}", "", css)
    assert re.findall(r"#[0-9a-fA-F]{3,6}\b", outside) == []


def test_reading_minutes_count_words_and_japanese_characters():
    assert reading_minutes("") == 1
    assert reading_minutes("word " * 230) == 1
    assert reading_minutes("word " * 231) == 2
    assert reading_minutes("word " * 1150) == 5
    # Japanese has no spaces: 1,000 characters is about two minutes, not "one word".
    assert reading_minutes("日本語の文章を読む。" * 100) == 2
    assert reading_minutes("東京" * 1500) == 6
    assert reading_minutes("[a link](https://example.com/a-very-long-path) **bold**") == 1


def test_reading_time_shows_on_cards_and_the_blog_page(client, make_blog):
    make_blog("Long read", content="word " * 700, tags=["long"])
    make_blog("Nagai", content="あ" * 1600)
    for path in ("/", "/tag/long/", "/author/1/"):
        text = client.get(path).get_data(as_text=True)
        assert '<span class="reading-time">4 min read</span>' in text, path
    assert '<span class="reading-time">4 min read</span>' in client.get("/blog/long-read/").text
    assert '<span class="reading-time">4 min read</span>' in client.get("/blog/nagai/").text


def failing_register(client: Any) -> Page:
    response = client.post(
        "/auth/register",
        data={"phone_no": "abc", "name": "", "password": "short", "confirm": "other"},
    )
    assert response.status_code == 200
    return Page(response.get_data(as_text=True))


def test_form_errors_are_tied_to_their_fields(client):
    page = failing_register(client)
    invalid = page.find("input", **{"aria-invalid": "true"})
    assert {attrs["id"] for attrs in invalid} == {"phone_no", "name", "password", "confirm"}
    for attrs in invalid:
        ids = attrs["aria-describedby"].split()
        assert f"{attrs['id']}-error" in ids
        for ident in ids:
            assert page.texts.get(ident, "").strip(), (attrs["id"], ident)
    # A valid field is neither invalid nor described by an error.
    [email] = page.find("input", id="email")
    assert "aria-invalid" not in email and "aria-describedby" not in email
    # Help text stays tied to its field, errors or not.
    [phone] = page.find("input", id="phone_no")
    assert phone["aria-describedby"] == "phone_no-help phone_no-error"


def test_one_summary_is_announced_and_links_each_field(client):
    page = failing_register(client)
    alerts = page.find(role="alert")
    assert len(alerts) == 1  # announced once, not once per field
    summary = alerts[0]
    assert summary["class"] == "error-summary" and summary["tabindex"] == "-1"
    assert page.texts[summary["aria-labelledby"]] == "There are problems"
    links = [
        attrs["href"]
        for tag, attrs in page.elements
        if tag == "a" and attrs.get("href", "").startswith("#")
    ]
    assert set(links) >= {"#phone_no", "#name", "#password", "#confirm"}
    assert "Tell readers your name." in page.texts[summary["id"]]


def test_a_form_without_errors_has_no_summary_and_no_invalid_field(client):
    page = Page(client.get("/auth/register").get_data(as_text=True))
    assert page.find(role="alert") == [] and page.find(**{"aria-invalid": "true"}) == []


def test_the_editor_ties_errors_to_title_and_status(client, auth, make_user):
    make_user()
    auth.login()
    response = client.post("/blog/new", data={"title": "", "content": "", "status": "bogus"})
    page = Page(response.get_data(as_text=True))
    assert len(page.find(role="alert")) == 1
    [title] = page.find("input", id="title")
    assert title["aria-invalid"] == "true" and "title-error" in title["aria-describedby"]
    [status] = page.find("fieldset", id="status")
    assert status["aria-describedby"] == "status-error" and page.texts["status-error"].strip()


def test_a_huge_block_is_shown_plain_rather_than_holding_a_worker():
    from blogsite.highlight import MAX_CODE

    code = "x = 1  # <b>\n" * (MAX_CODE // 12 + 1)
    html = str(render_markdown(f"```python\n{code}```"))
    assert "<span" not in html and html.count("x = 1  # &lt;b&gt;") == MAX_CODE // 12 + 1
