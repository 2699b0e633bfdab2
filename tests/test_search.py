"""/search on SQLite (FTS5) and PostgreSQL (tsvector): ranking, syntax, safety, throttle, cache."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest

from blogsite.extensions import db
from blogsite.models import Blog, Tag
from blogsite.search import parse
from blogsite.settings import DEFAULT_RATES

from .conftest import count_queries


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    # A budget no test here reaches, but for the throttle's own test.
    return app_config | {"THROTTLE_RATES": {"search": "1000/minute"}, "BLOGS_PER_PAGE": 5}


def slugs(client: Any, q: str, **args: Any) -> list[str]:
    """Return the slugs of the results, in order."""
    response = client.get("/search", query_string={"q": q, **args})
    assert response.status_code == 200, response.status_code
    html = response.get_data(as_text=True)
    return re.findall(r'<article class="card result">\s*<h2><a href="/blog/([^/"]+)/"', html)


def test_a_title_match_ranks_above_a_body_match(client, make_blog):
    make_blog("Notes on gardening", content="Tomatoes and beans.")
    # Newer, and the word three times: date or frequency alone would put it first.
    make_blog("Spring", content="Gardening, gardening and more gardening.")
    make_blog("Unrelated", content="Cooking.")
    assert slugs(client, "gardening") == ["spring", "notes-on-gardening"][::-1]


def test_a_tag_match_ranks_between_title_and_body(client, make_blog):
    make_blog("Body", content="About woodworking.")
    make_blog("Tagged", content="Chairs.", tags=["woodworking"])
    make_blog("Woodworking basics", content="Tools.")
    assert slugs(client, "woodworking") == ["woodworking-basics", "tagged", "body"]


def test_excluded_words_quoted_phrases_and_or(client, make_blog):
    make_blog("Apple pie", content="A red apple, baked.")
    make_blog("Apple tart", content="The apple is red.")
    make_blog("Pear", content="Pears only.")
    make_blog("Plum", content="Plums only.")
    assert slugs(client, "apple -pie") == ["apple-tart"]
    assert slugs(client, '-"baked" apple') == ["apple-tart"]
    assert slugs(client, '"red apple"') == ["apple-pie"]
    assert sorted(slugs(client, "pear or plum")) == ["pear", "plum"]
    assert sorted(slugs(client, "pear OR tart")) == ["apple-tart", "pear"]
    assert slugs(client, "apple pear") == []  # words are all required


def test_drafts_never_appear_until_published(app, client, make_blog):
    slug = make_blog("Secret plans", content="zeppelin", status="draft")
    assert slugs(client, "zeppelin") == [] and slugs(client, "secret") == []
    with app.app_context():
        db.session.scalar(db.select(Blog).filter_by(slug=slug)).status = "published"
        db.session.commit()
    assert slugs(client, "zeppelin") == [slug]


def test_an_edit_shows_on_the_next_search_though_results_are_cached(app, client, make_blog):
    slug = make_blog("Kayaks", content="Paddles.", tags=["boats"])
    assert slugs(client, "paddles") == [slug]
    with count_queries(app) as statements:
        assert slugs(client, "paddles") == [slug]
    assert not any("blog_search" in s for s in statements)  # answered from the cache
    with app.app_context():
        blog = db.session.scalar(db.select(Blog).filter_by(slug=slug))
        blog.content = "Oars."
        db.session.commit()
    assert slugs(client, "paddles") == [] and slugs(client, "oars") == [slug]
    with app.app_context():  # a renamed tag reaches its blogs' entries
        db.session.scalar(db.select(Tag).filter_by(name="boats")).name = "canoes"
        db.session.commit()
    assert slugs(client, "canoes") == [slug] and slugs(client, "boats") == []
    with app.app_context():
        db.session.delete(db.session.scalar(db.select(Blog).filter_by(slug=slug)))
        db.session.commit()
    assert slugs(client, "oars") == []


class Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        self.tags.append(tag)

    def handle_endtag(self, tag: str) -> None:
        self.tags.append("/" + tag)


def test_highlighted_snippets_cannot_inject_html(client, make_blog):
    hostile = '<script>alert(1)</script> \ue000<b onclick="x">bold\ue001 magic <i>it</i> \ue000'
    make_blog('Magic <img src=x onerror="alert(2)">', slug="hostile", content=hostile)
    response = client.get("/search?q=magic")
    html = response.get_data(as_text=True)
    results = html[html.index('<article class="card result">') : html.index("</main>")]
    parser = Elements()
    parser.feed(results)
    assert not {"script", "img", "b", "i"} & set(parser.tags)
    assert parser.tags.count("mark") == parser.tags.count("/mark") >= 2  # title and body
    assert "&lt;img src=x" in results  # the whole title, escaped
    assert "\ue000" not in results and "\ue001" not in results


WEIRD = [
    '"', '""', '"unterminated phrase', 'a"b"c', "-", "--x", '-"', "or", "OR or OR", "x or",
    "NEAR(a b)", "a* ^b", "title:x", "(", ")", "AND", "NOT x", "a AND NOT b", "\\", "'",
    "x & y | !z <-> w", ":*", "@@", "???!!!", "-only -excluded", "\u0301", "😀 emoji",
    "東京タワー", "עברית", "a" * 200, "word " * 32, "_", "½", "%", "x%_y",
]  # fmt: skip


def test_weird_input_is_never_an_error(client, make_blog):
    make_blog("A plain blog", content="Plain words. 東京 タワー 見物")
    for q in WEIRD:
        response = client.get("/search", query_string={"q": q})
        assert response.status_code == 200, q
        assert b"Search" in response.data
    assert slugs(client, "東京") == ["a-plain-blog"]
    too_long = client.get("/search", query_string={"q": "x" * 10_000})
    assert too_long.status_code == 400 and b"at most 200 characters" in too_long.data
    too_many = client.get("/search", query_string={"q": "word " * 33})
    assert too_many.status_code == 400 and b"at most 32 words" in too_many.data
    assert client.get("/search?q=a%00b").status_code == 400  # the edge guard's refusal
    assert client.get("/search?q=x&page=zero").status_code == 400


def test_empty_and_punctuation_only_queries_are_friendly(client, make_blog):
    make_blog("Something")
    for q, message in [
        ("", b"Type a word"),
        ("   ", b"Type a word"),
        ("!!! ???", b"punctuation alone finds nothing"),
        ("-something", b"excluded words alone find nothing"),
    ]:
        response = client.get("/search", query_string={"q": q})
        assert response.status_code == 200 and message in response.data, q
    assert client.get("/search").status_code == 200


def test_results_are_paginated_with_the_query_in_the_links(client, make_blog):
    for n in range(12):
        make_blog(f"Walk {n}", content="hiking")
    first, second, third = (slugs(client, "hiking", page=p) for p in (1, 2, 3))
    assert len(first) == len(second) == 5 and len(third) == 2
    assert len(set(first + second + third)) == 12
    html = client.get("/search?q=hiking").get_data(as_text=True)
    assert 'href="/search?page=2&amp;q=hiking"' in html and "12 results" in html
    past = client.get("/search?q=hiking&page=9")
    assert past.status_code == 200 and b"No more results" in past.data


def test_the_search_scope_throttles_per_address(app, client):
    app.config["THROTTLE_RATES"] = {**app.config["THROTTLE_RATES"], "search": "3/minute"}
    assert [client.get("/search?q=x").status_code for _ in range(4)] == [200, 200, 200, 429]
    other = client.get("/search?q=x", environ_base={"REMOTE_ADDR": "192.0.2.9"})
    assert other.status_code == 200


def test_the_default_rate_is_30_a_minute():
    assert DEFAULT_RATES["search"] == "30/minute"


def test_every_page_has_a_labelled_search_box(client):
    html = client.get("/").get_data(as_text=True)
    form = re.search(r'<form class="site-search" role="search"[^>]*>(.*?)</form>', html, re.S)
    assert form and 'action="/search"' in form.group(0) and 'method="get"' in form.group(0)
    assert 'name="q" aria-label="Search blogs"' in form.group(1)


def test_the_parser_quotes_every_term_for_fts5():
    query = parse('x "a  b" -c OR d NEAR* or -e "unterminated')
    assert query.fts5() == (
        '(("x" AND "a b") NOT "c") OR ("d" AND "NEAR*") OR (("unterminated") NOT "e")'
    )
    assert query.canonical() == '"x" "a b" -"c" or "d" "NEAR*" or -"e" "unterminated"'
    assert parse('y"z').canonical() == '"y" "z"'
    assert parse("a or -e").canonical() == '"a"'  # a group of only excluded words is dropped


def test_the_results_page_is_never_page_cached_nor_shared(client, auth, make_user, make_blog):
    make_blog("Lanterns", content="light")
    for _ in range(2):
        response = client.get("/search?q=light")
        assert response.headers.get("X-Cache") != "HIT"
    make_user(name="Reader")
    auth.login()
    html = client.get("/search?q=light").get_data(as_text=True)
    assert "Log out" in html and "/blog/lanterns/" in html  # the reader's own header
    auth.logout()
    assert "Log out" not in client.get("/search?q=light").get_data(as_text=True)


def test_a_deleted_tag_leaves_its_blogs_entries(app, client, make_blog):
    slug = make_blog("Sheds", content="timber", tags=["carpentry", "garden"])
    assert slugs(client, "carpentry") == [slug]
    with app.app_context():
        db.session.delete(db.session.scalar(db.select(Tag).filter_by(name="carpentry")))
        db.session.commit()
    assert slugs(client, "carpentry") == [] and slugs(client, "garden") == [slug]
