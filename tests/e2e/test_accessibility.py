"""axe-core on every page type of the site and the console, at 360 and 1280 px; the login's weight.

axe-core comes from npm (package.json; ``make install-dev`` installs it into node_modules).
Missing, the tests skip locally and fail under CI=true. Any violation fails, and is printed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ..conftest import DEFAULT_PASSWORD
from ..services import _unavailable

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = (360, 1280)
BOSS = "+819011110000"
LOGIN_PAGE_BUDGET = 150_000  # bytes, everything the console's login page transfers


@pytest.fixture
def database_url(tmp_path: Any) -> str:
    """SQLite only: what axe checks is the HTML, the same from either database."""
    return f"sqlite:///{tmp_path / 'axe.sqlite'}"


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE.exists():
        _unavailable(f"axe-core: {AXE} is missing (run `make install-dev` or `npm ci`)")
    return AXE.read_text()


@pytest.fixture
def site(runner: Any, make_user: Any, app: Any) -> dict[str, Any]:
    """Demo data and a superuser, who may edit any blog and use every console page."""
    assert runner.invoke(args=["seed"]).exit_code == 0
    user_id = make_user(BOSS, name="Boss", is_superuser=True, is_staff=True)
    from blogsite.extensions import db
    from blogsite.models import Blog

    with app.app_context():
        blog = db.session.scalar(db.select(Blog).order_by(Blog.id))
        return {"slug": blog.slug, "author_id": blog.author_id, "user_id": user_id}


@pytest.fixture
def axe_page(browser: Any, live_server: str) -> Iterator[Any]:
    # axe is injected as an inline script, which the pages' CSP rightly refuses.
    context = browser.new_context(base_url=live_server, bypass_csp=True)
    yield context.new_page()
    context.close()


def violations(page: Any, axe_source: str, path: str) -> list[str]:
    """Open ``path`` at each width and return axe's violations, one line per node."""
    found: list[str] = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        response = page.goto(path)
        assert response is not None
        page.add_script_tag(content=axe_source)
        result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
        for item in result["violations"]:
            for node in item["nodes"]:
                found.append(
                    f"{path} @{width}px {item['id']} ({item['impact']}): {item['help']} -> "
                    f"{json.dumps(node['target'])} {node.get('failureSummary', '')[:400]}"
                )
    return found


def log_in(page: Any, path: str) -> None:
    page.goto(path)
    page.get_by_label("Phone number").fill(BOSS)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def check(page: Any, axe_source: str, paths: list[str]) -> None:
    found = [line for path in paths for line in violations(page, axe_source, path)]
    print("\n".join(found))
    assert found == [], f"{len(found)} axe violation(s):\n" + "\n".join(found)


def test_site_pages_have_no_axe_violation(axe_page, axe_source, site, client):
    slug, author = site["slug"], site["author_id"]
    anonymous = ["/", f"/blog/{slug}/", f"/author/{author}/", "/tag/tag1/", "/auth/login",
                 "/auth/register", "/no-such-page/", "/blog/blogs_anon_view/",
                 f"/blog/blogs_auto_invalidation/?author_id={author}",
                 f"/blog/blogs_logs/?author_id={author}"]  # fmt: skip
    if client.get("/search?q=x").status_code == 404:
        print("/search: not in this branch (404), not checked")
    else:
        anonymous.append("/search?q=x")
    check(axe_page, axe_source, anonymous)
    log_in(axe_page, "/auth/login")
    writer = ["/auth/account", "/blog/new", f"/blog/{slug}/edit", f"/blog/{slug}/delete", "/",
              f"/author/{author}/"]  # fmt: skip
    check(axe_page, axe_source, writer)


def console_pages(app: Any, user_id: int) -> list[str]:
    from blogsite.admin.audit import AuditEntry
    from blogsite.extensions import db
    from blogsite.models import Author, Blog, CoverImage, Tag

    paths = ["/admin/", "/admin/cache/", "/admin/throttling/", "/admin/throttling/?ip=127.0.0.1",
             f"/admin/users/password/{user_id}/"]  # fmt: skip
    with app.app_context():
        for base, model in (("blogs", Blog), ("authors", Author), ("tags", Tag),
                            ("cover-images", CoverImage), ("users", None)):  # fmt: skip
            from blogsite.models import User

            first = db.session.scalar(db.select((model or User).id).limit(1))
            paths += [f"/admin/{base}/", f"/admin/{base}/new/", f"/admin/{base}/edit/?id={first}"]
        entry = db.session.scalar(db.select(AuditEntry.id).limit(1))
    paths += ["/admin/audit/"] + ([f"/admin/audit/details/?id={entry}"] if entry else [])
    return paths


def test_console_pages_have_no_axe_violation(axe_page, axe_source, site, app):
    check(axe_page, axe_source, ["/admin/login/"])
    log_in(axe_page, "/admin/login/")
    axe_page.goto("/admin/tags/new/")  # one audit entry, so the audit pages have a row
    axe_page.get_by_label("Name").fill("Audited")
    axe_page.get_by_role("button", name="Save", exact=True).click()
    axe_page.wait_for_load_state()
    check(axe_page, axe_source, console_pages(app, site["user_id"]))


def transferred(page: Any, path: str) -> tuple[int, list[str]]:
    """Return the bytes every request of ``path`` transferred (headers and bodies), by URL."""
    requests: list[Any] = []
    page.on("requestfinished", lambda request: requests.append(request))
    page.goto(path)
    page.wait_for_load_state("networkidle")
    total, lines = 0, []
    for request in requests:
        sizes = request.sizes()
        size = sum(sizes[k] for k in ("requestHeadersSize", "requestBodySize",
                                      "responseHeadersSize", "responseBodySize"))  # fmt: skip
        total += size
        lines.append(f"{size:>8} {request.url}")
    return total, lines


def test_the_console_login_page_weighs_under_150_kb(browser, live_server):
    context = browser.new_context(base_url=live_server)  # a first visit: nothing cached
    try:
        total, lines = transferred(context.new_page(), "/admin/login/")
    finally:
        context.close()
    print(f"\n/admin/login/ transferred {total} bytes:\n" + "\n".join(lines))
    assert total < LOGIN_PAGE_BUDGET, "\n".join(lines)
