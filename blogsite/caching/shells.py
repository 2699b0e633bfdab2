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

import re
import secrets
from collections.abc import Callable, Sequence
from typing import Any

from flask import Flask, current_app, request
from jinja2.runtime import Context
from jinja2.utils import pass_context
from markupsafe import Markup

from ..site_url import origin_key
from .fragments import PERSONAL, Personal, remembered

# A shell: text, slot (a part's template name), text, slot, ..., text.
Shell = list[str]
# What ``shared_page`` keeps: the shell under "shell", and whatever else the view needs.
SharedPage = dict[str, Any]


@pass_context
def personal(context: Context, template: str) -> Markup:
    """Render the personal part ``template`` in place, with the page's context."""
    # The page's context already holds the globals: shared, they are not copied again.
    part = context.environment.get_template(template).make_module(context.get_all(), shared=True)
    return Markup(str(part))


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
    values = dict(context)
    current_app.update_template_context(values)  # as render_template would, once for all parts
    values = env.globals | values  # what each render would copy in: once, then shared
    page = list(shell)
    for index in range(1, len(page), 2):
        page[index] = str(env.get_template(page[index]).make_module(values, shared=True))
    return "".join(page)


def shell_size(page: SharedPage | None) -> int:
    """Return roughly how many bytes a worker's copy of a shared page takes."""
    shell = None if page is None else page.get("shell")
    return 256 + sum(len(part) for part in shell or ())


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
