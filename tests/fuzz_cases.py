"""The fuzz test's requests: every route of the app's url_map, each way of getting it wrong."""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass, field
from typing import Any

from . import fuzz_payloads as payloads
from .fuzz_http import Case

VARIABLE = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")
GENERIC_FIELDS = ["csrf_token", "id", "name", "title", "phone_no", "password", "url"]
IDENTITIES = ["anon", "user", "admin"]
BODY_KINDS = ["json", "form", "multipart", "chunked"]
# Routes that end the visitor's own session for good when a request is well formed: the
# logged-in visitors must stay logged in to reach every other page, so only "anon" gets them.
SESSION_ENDING = frozenset({"/auth/logout", "/admin/logout/", "/auth/sessions/end-others",
                            "/auth/sessions/<int:session_id>/end"})  # fmt: skip


@dataclass
class Route:
    rule: str
    methods: set[str]

    @property
    def variables(self) -> list[str]:
        return [match[2] for match in VARIABLE.finditer(self.rule)]


def routes_of(app: Any) -> list[Route]:
    """Every rule of the app, in a stable order (new routes are fuzzed without listing them)."""
    rules = sorted(app.url_map.iter_rules(), key=lambda rule: rule.rule)
    return [Route(rule.rule, set(rule.methods or ())) for rule in rules]


@dataclass
class Site:
    """What the fuzzer knows about the running site: real values, tokens, forms."""

    blog_slug: str
    victim_slug: str  # a blog the fuzz may delete, owned by the plain user
    tag_slug: str
    ids: dict[str, int]  # admin model segment ("blogs", "users"...) -> a row's id
    victim_ids: dict[str, int]  # the same, for rows that POSTs may change or delete
    author_id: int
    user_id: int
    tokens: dict[str, bytes] = field(default_factory=dict)
    forms: dict[str, set[str]] = field(default_factory=dict)

    def value(self, route: Route, name: str, post: bool) -> bytes:
        """Return a real value for the path variable ``name`` of ``route``."""
        if name == "slug":
            if route.rule.startswith("/tag/"):
                return self.tag_slug.encode()
            return (self.victim_slug if post else self.blog_slug).encode()
        known = {"author_id": self.author_id, "user_id": self.user_id, "part": 1}
        if name in known:
            return str(known[name]).encode()
        if name == "filename":
            return b"css/site.css" if route.rule.startswith("/static/") else b"admin/css/admin.css"
        return b"csv" if name == "export_type" else b"1"

    def path(self, route: Route, post: bool = False, junk: bytes | None = None) -> bytes:
        """Fill the route's variables: real values, or ``junk`` in one of them."""
        spoiled = len(route.variables) - 1 if junk else -1  # the last one: the rest route there
        parts, last, index = [], 0, 0
        for match in VARIABLE.finditer(route.rule):
            parts.append(route.rule[last : match.start()].encode())
            parts.append(junk if index == spoiled and junk else self.value(route, match[2], post))
            last, index = match.end(), index + 1
        parts.append(route.rule[last:].encode())
        target = b"".join(parts)
        segment = admin_model(route.rule)
        if segment and re.search(r"/(edit|details)/$", route.rule):
            row = (self.victim_ids if post else self.ids).get(segment, 1)
            target += b"?id=%d" % row
        return target

    def fields(self, target: bytes) -> list[str]:
        """Return the field names of the form posted to ``target`` (seen on the site)."""
        path = target.split(b"?", 1)[0].decode("latin-1")
        return sorted(self.forms.get(path, set())) or GENERIC_FIELDS


def admin_model(rule: str) -> str | None:
    """Return the model segment of a console model view's rule ("blogs"), or None."""
    match = re.match(
        r"^/admin/([\w-]+)/(?:$|new/|edit/|details/|delete/|action/|ajax/|export/)", rule
    )
    return match[1] if match and match[1] not in ("cache", "throttling", "static") else None


def body_case(kind: str, who: str, target: bytes, site: Site, rng: random.Random) -> Case:
    """Return a POST of a malformed body of ``kind`` to ``target``."""
    token = site.tokens.get(who, b"") if rng.random() < 0.7 else b"not-the-token"
    fields = site.fields(target)
    if kind == "chunked":
        body = rng.choice(payloads.chunked_bodies(fields, rng, token))
        headers = [(b"Content-Type", b"application/x-www-form-urlencoded"),
                   (b"Transfer-Encoding", b"chunked")]  # fmt: skip
        return Case("body:chunked", "POST", target, who, headers, body, content_length=False)
    if kind == "json-shape":  # every form route once: JSON that is not an object of strings
        shapes = [[1, 2], 123, "text", {name: 123 for name in fields}, "deep"]
        shape = rng.choice(shapes)
        body = "[" * 100_000 if shape == "deep" else json.dumps(shape)  # past the recursion limit
        headers = [(b"Content-Type", b"application/json"), (b"X-CSRFToken", token)]
        return Case("body:json", "POST", target, who, headers, body.encode())
    choose = {"json": payloads.json_bodies, "form": payloads.form_bodies,
              "multipart": payloads.multipart_bodies}[kind]  # fmt: skip
    content_type, body = rng.choice(choose(fields, rng))
    headers = [(b"Content-Type", content_type), (b"X-CSRFToken", token)]
    return Case(f"body:{kind}", "POST", target, who, headers, body.replace(payloads.CSRF, token))


def route_cases(route: Route, site: Site, rng: random.Random) -> list[Case]:
    """Return the malformed requests for one route, sent by each identity."""
    cases = []
    read = "GET" if "GET" in route.methods else "POST"
    for who in IDENTITIES:
        if who != "anon" and route.rule in SESSION_ENDING:
            continue
        if route.variables:
            # A NUL byte always: PostgreSQL refuses it in text, so it must stop before a query.
            for junk in (b"%00", rng.choice(payloads.PATH_JUNK)):
                cases.append(Case("path", read, site.path(route, junk=junk), who))
        target = site.path(route, post=read == "POST")
        glue = b"&" if b"?" in target else b"?"
        cases.append(Case("query", read, target + glue + payloads.query(rng), who))
        method = rng.choice(payloads.METHODS + payloads.RAW_METHODS)
        body = b"x=1" if rng.random() < 0.3 else b""
        cases.append(Case("method", method, site.path(route, post=True), who, body=body))
        if "POST" in route.methods:
            for kind in [*BODY_KINDS, "json-shape"]:  # JSON twice: it has the most shapes
                cases.append(body_case(kind, who, site.path(route, post=True), site, rng))
    return cases


def header_cases(routes: list[Route], site: Site, port: int, rng: random.Random) -> list[Case]:
    """Return every odd header, each on a random route from a random visitor."""
    readable = [route for route in routes if "GET" in route.methods]
    cases = []
    for kind, headers, host in payloads.header_cases(port):
        route = rng.choice(readable)
        who = rng.choice(["none", *IDENTITIES])
        body = b"x=1" if kind == "header:content-length" else b""
        method = "POST" if body and "POST" in route.methods else "GET"
        cases.append(
            Case(
                kind,
                method,
                site.path(route),
                who,
                headers,
                body,
                content_length=not body,
                host=host,
            )
        )
    return cases


def build_cases(routes: list[Route], site: Site, port: int, seed: int) -> list[Case]:
    """Return the whole fuzz run, the same for the same seed."""
    rng = random.Random(seed)
    cases = [case for route in routes for case in route_cases(route, site, rng)]
    return cases + header_cases(routes, site, port, rng)


def protocol_requests(port: int) -> list[bytes]:
    """Return the whole requests that break HTTP itself."""
    return [raw.replace(b"{host}", b"127.0.0.1:%d" % port) for raw in payloads.PROTOCOL]
