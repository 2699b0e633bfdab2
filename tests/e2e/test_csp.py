"""The Content-Security-Policy in a real browser: the site and the admin work under it,
and inline script that was not vouched for is blocked."""

from __future__ import annotations

from flask_admin import Admin
from flask_admin.contrib.sqla import ModelView

from blogsite.extensions import db
from blogsite.models import Blog
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


def test_admin_console_runs_its_scripts_and_handlers_under_its_policy(app, page, runner):
    assert runner.invoke(args=["seed"]).exit_code == 0
    console = Admin(
        name="csp", url="/admin/csp", endpoint="csp_admin", csp_nonce_generator=csp_nonce
    )
    options = {"column_filters": ["title"], "can_delete": True,
               "form_columns": ["title", "author", "tags", "created_at"]}  # fmt: skip
    console.add_view(type("BlogView", (ModelView,), options)(Blog, db, endpoint="csp_blog"))
    console.init_app(app)
    page.add_init_script(RECORD_VIOLATIONS)
    page.goto("/admin/csp/csp_blog/")
    assert page.evaluate("typeof window.faHelpers") == "object"  # its JS from 'self' ran
    page.get_by_text("Add Filter").click()  # an inert javascript: link, allowed by hash
    page.locator("a.filter").first.click()  # the filter widget, inserted by script
    assert page.locator(".filter-val").count() >= 1
    assert violations(page) == []

    # The delete button's inline onclick (allowed by hash) asks for confirmation.
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.locator("button[title='Delete Record']").first.click()
    assert dialogs == ["Are you sure you want to delete this record?"]
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Blog)) == 2  # dismissed

    # The edit form's widgets (select2 for tags, the date picker) under the strict styles.
    page.goto("/admin/csp/csp_blog/edit/?id=1")
    page.locator(".select2-choices").first.click()
    assert page.locator(".select2-drop-active").is_visible()
    page.keyboard.press("Escape")
    page.locator("input[name=created_at]").click()
    assert page.locator(".daterangepicker").first.is_visible()
    assert violations(page) == []
    assert page.evaluate(INJECT_INLINE_SCRIPT) is False  # no nonce, no hash: blocked
