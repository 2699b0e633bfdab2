"""Read a page the way a crawler or a link preview does: parsed, never grepped."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from typing import Any

ATOM = "{http://www.w3.org/2005/Atom}"


class Page(HTMLParser):
    """Every element's attributes in order, <meta>/<link> of the head, JSON-LD blocks."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.meta: dict[str, list[str]] = {}
        self.links: list[dict[str, str]] = []
        self.json_ld: list[Any] = []
        self.texts: dict[str, str] = {}  # element id -> its text
        self._script: str | None = None
        self._open_ids: list[tuple[str, str]] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        self.elements.append((tag, values))
        if tag == "meta" and "content" in values:
            key = values.get("name") or values.get("property") or ""
            self.meta.setdefault(key, []).append(values["content"])
        if tag == "link":
            self.links.append(values)
        if tag == "script" and values.get("type") == "application/ld+json":
            self._script = ""
        if "id" in values and tag not in ("input", "meta", "link", "img", "br", "hr"):
            self._open_ids.append((tag, values["id"]))
            self.texts[values["id"]] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._script is not None:
            self.json_ld.append(json.loads(self._script))
            self._script = None
        if self._open_ids and self._open_ids[-1][0] == tag:
            self._open_ids.pop()

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self._script += data
        for _, ident in self._open_ids:
            self.texts[ident] += data

    def one(self, key: str) -> str:
        """Return the content of the single <meta> named ``key`` (name or property)."""
        values = self.meta.get(key, [])
        assert len(values) == 1, (key, values)
        return values[0]

    def link(self, rel: str, **match: str) -> list[dict[str, str]]:
        rels = lambda link: link.get("rel", "").split()  # noqa: E731
        return [
            link for link in self.links
            if rel in rels(link) and all(link.get(k) == v for k, v in match.items())
        ]  # fmt: skip

    def find(self, tag: str | None = None, **match: str) -> list[dict[str, str]]:
        return [
            attrs for name, attrs in self.elements
            if (tag is None or name == tag) and all(attrs.get(k) == v for k, v in match.items())
        ]  # fmt: skip


def atom(data: bytes) -> ET.Element:
    """Parse an Atom feed and check what RFC 4287 requires of it and of each entry."""
    root = ET.fromstring(data)
    assert root.tag == f"{ATOM}feed"
    for element in (root, *root.findall(f"{ATOM}entry")):
        for required in ("id", "title", "updated"):
            found = element.findall(f"{ATOM}{required}")
            assert len(found) == 1 and (found[0].text or "").strip(), (element.tag, required)
    for entry in root.findall(f"{ATOM}entry"):
        assert entry.find(f"{ATOM}author/{ATOM}name") is not None
        alternate = [el for el in entry.findall(f"{ATOM}link") if el.get("rel") == "alternate"]
        assert len(alternate) == 1 and alternate[0].get("href", "").startswith("http")
    selves = [el for el in root.findall(f"{ATOM}link") if el.get("rel") == "self"]
    assert len(selves) == 1 and selves[0].get("href", "").startswith("http")
    return root


def entry_titles(root: ET.Element) -> list[str]:
    return [el.findtext(f"{ATOM}title") or "" for el in root.findall(f"{ATOM}entry")]
