"""The Content-Security-Policy in a real browser: the site and the admin work under it,
and inline script that was not vouched for is blocked."""

from __future__ import annotations

from flask_admin import Admin
from flask_admin.contrib.sqla import ModelView

from blogsite.extensions import db
from blogsite.models import Tag
from blogsite.security import csp_nonce

# Runs before any page script; CSP does not apply to scripts injected by the test driver.
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation",
    (e) => window.__violations.push(e.violatedDirective + " " + (e.blockedURI || "inline")));
"""
INJECT_INLINE_SCRIPT = """() => {
    const script = document.createElement("script");
    script.textContent = "window.__injected = true";
    document.body.appendChild(script);
    return new Promise((resolve) => setTimeout(() => resolve(window.__injected === true), 100));
}"""


def violations(page) -> list[str]:
    return page.evaluate("window.__violations")


def test_site_pages_run_without_violations_and_block_injected_script(page, runner):
    assert runner.invoke(args=["seed"]).exit_code == 0
    page.add_init_script(RECORD_VIOLATIONS)
    for path in ("/", "/blog/first-blog-title/", "/author/1/", "/tag/tag1/", "/auth/login"):
        page.goto(path)
        assert page.evaluate("getComputedStyle(document.body).margin") is not None
        assert violations(page) == [], path
    # The stylesheet from 'self' applied: the layout is styled, not browser defaults.
    assert page.evaluate("document.styleSheets.length") >= 1
    assert page.evaluate(INJECT_INLINE_SCRIPT) is False
    assert any(v.startswith("script-src") for v in violations(page))


def test_admin_console_runs_its_scripts_and_handlers_under_its_policy(app, page):
    console = Admin(name="csp", url="/admin", endpoint="csp_admin", csp_nonce_generator=csp_nonce)
    options = {"column_filters": ["name"], "can_delete": True}
    console.add_view(type("TagView", (ModelView,), options)(Tag, db, endpoint="csp_tag"))
    console.init_app(app)
    with app.app_context():
        db.session.add(Tag(name="tag1", slug="tag1"))
        db.session.commit()
    page.add_init_script(RECORD_VIOLATIONS)
    page.goto("/admin/csp_tag/")
    assert page.evaluate("typeof window.faHelpers") == "object"  # its JS from 'self' ran
    assert violations(page) == []

    # The delete button's inline onclick (allowed by hash) asks for confirmation.
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.locator("button[title='Delete Record']").first.click()
    assert dialogs == ["Are you sure you want to delete this record?"]
    assert violations(page) == []
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Tag)) == 1  # dismissed

    assert page.evaluate(INJECT_INLINE_SCRIPT) is False  # no nonce, no hash: blocked
