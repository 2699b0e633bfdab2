"""A signed-in reader's page: the page as everyone sees it, cached, with their parts filled in.

A reader's page differs from everyone else's in a few places only: the header's links and
logout form, flashed messages, a blog's edit links. Templates mark each such part with
``{{ personal('part.html') }}``. Rendered as usual, that renders the part in place, with
the page's context. Rendered as a shell (``render_shell``), it leaves a slot instead and
every personal name is refused as in a fragment (``fragments.PERSONAL``), so the rest is
the same for every reader: ``shared_page`` keeps it like a fragment, under the generations
of what it shows, and ``fill`` renders only the parts on each request.

A slot's marker carries a random token chosen per render: a blog's text cannot forge one.
"""

from __future__ import annotations

import functools
import re
import secrets
import threading
from collections.abc import Callable, Sequence
from typing import Any, cast

from cachetools import LRUCache
from flask import Flask, current_app, request, session
from flask_login import current_user
from jinja2 import Environment
from jinja2.runtime import Context
from jinja2.utils import pass_context
from markupsafe import Markup

from ..site_url import origin_key
from .fragments import PERSONAL, Personal, remembered

# A shell: text, slot (a part's template name), text, slot, ..., text.
Shell = list[str]
# What ``shared_page`` keeps: the shell under "shell", and whatever else the view needs.
SharedPage = dict[str, Any]
PARTS = "blogsite_personal_parts"
PARTS_KEPT = 4096  # a header is under 1 KB


def nav_key(env: Environment) -> tuple[Any, ...] | None:
    """Return all that ``_nav.html`` reads: the reader (or the page, for a login link)."""
    columns = getattr(current_user, "columns", None)  # a SignedIn (users.py), not a new login
    if columns is not None:
        # The CSRF token is reused a minute per session (templating.SessionTokens): so is this.
        token = cast(Callable[[], str], env.globals["csrf_token"])
        author_id = cast(Callable[[], int | None], env.globals["own_author_id"])
        return (request.script_root, origin_key(), token(), author_id(), *columns.items())
    if current_user.is_authenticated:
        return None
    return (request.script_root, origin_key(), request.method, request.endpoint, request.full_path)


def flashes_key(env: Environment) -> tuple[Any, ...] | None:
    """Return a key while no message waits (the part is then empty for everyone)."""
    return None if "_flashes" in session else ()


# Personal parts each worker keeps rendered, keyed by all that they read (None: render it).
# A part that comes to read anything else must say so in its key.
PART_KEYS: dict[str, Callable[[Environment], tuple[Any, ...] | None]] = {
    "_nav.html": nav_key,
    "_flashes.html": flashes_key,
}


class PersonalParts:
    """Rendered personal parts, by template and all that they read (bounded, per worker)."""

    def __init__(self) -> None:
        self._parts: LRUCache[tuple[Any, ...], str] = LRUCache(PARTS_KEPT)
        self._lock = threading.Lock()

    def render(self, env: Environment, template: str, values: Callable[[], dict[str, Any]]) -> str:
        """Return ``template`` rendered with ``values()``, or the same part rendered before."""
        read = PART_KEYS.get(template)
        found = None if read is None else read(env)
        key = None if found is None else (template, *found)
        if key is not None:
            with self._lock:
                html = self._parts.get(key)
            if html is not None:
                return html
        html = str(env.get_template(template).make_module(values(), shared=True))
        if key is not None:
            with self._lock:
                self._parts[key] = html
        return html


@pass_context
def personal(context: Context, template: str) -> Markup:
    """Render the personal part ``template`` in place, with the page's context."""
    # The page's context already holds the globals: shared, they are not copied again.
    parts: PersonalParts = current_app.extensions[PARTS]
    return Markup(parts.render(context.environment, template, context.get_all))


def render_shell(template: str, **context: Any) -> Shell:
    """Render ``template`` for every reader: the page around slots for its personal parts."""
    token = secrets.token_hex(8)
    values = dict(context)
    current_app.update_template_context(values)  # the site's names, as render_template has
    values |= {name: Personal(name) for name in PERSONAL}
    values["personal"] = lambda part: Markup(f"<!--{token}:{part}-->")
    html = current_app.jinja_env.get_template(template).render(values)
    return re.split(f"<!--{token}:([^>]+)-->", html)


def fill(shell: Shell, **context: Any) -> str:
    """Return the page: ``shell`` with each part rendered for this request and ``context``."""
    if len(shell) == 1:
        return shell[0]
    env = current_app.jinja_env

    @functools.cache
    def values() -> dict[str, Any]:
        # Made once, and only if a part is not kept already (PART_KEYS).
        names = dict(context)
        current_app.update_template_context(names)  # as render_template would
        return env.globals | names  # what each render would copy in, shared

    parts: PersonalParts = current_app.extensions[PARTS]
    page = list(shell)
    for index in range(1, len(page), 2):
        page[index] = parts.render(env, page[index], values)
    return "".join(page)


def shell_size(page: SharedPage | None) -> int:
    """Return roughly how many bytes a worker's copy of a shared page takes."""
    if page is None:
        return 256
    kept = [
        *(page.get("shell") or ()),
        *(value for value in page.values() if isinstance(value, str)),
    ]
    return 256 + sum(len(text) for text in kept)


def shared_page(
    name: str, deps: Sequence[str], build: Callable[[], SharedPage | None]
) -> SharedPage | None:
    """Return the shared page ``name`` built by ``build`` (None: there is none), built once."""
    # Its URLs are relative to the mount point, its canonical links absolute: both in the key.
    key = f"shell:{request.script_root}:{origin_key()}:{name}"
    return remembered(key, deps, build, "fragment", shell_size)


def init_app(app: Flask) -> None:
    """Offer ``personal`` to templates (every page renders its parts in place by default)."""
    app.jinja_env.globals["personal"] = personal
    app.extensions[PARTS] = PersonalParts()
