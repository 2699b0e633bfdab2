"""The Content-Security-Policy in a real browser: the site and the admin work under it,
and inline script that was not vouched for is blocked."""

from __future__ import annotations

from ..conftest import DEFAULT_PASSWORD

STAFF_PHONE = "+819022220000"
BULK_QUESTIONS = {  # each bulk action's handler text differs: each has its own hash
    "Delete": "Are you sure you want to delete the selected records?",
    "Make draft": "Take the selected blogs off the site?",
}

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


def test_admin_console_runs_its_scripts_and_handlers_under_its_policy(page, runner, make_user):
    assert runner.invoke(args=["seed"]).exit_code == 0  # blogs "first/second blog title"
    make_user(STAFF_PHONE, name="Editor", is_staff=True)
    page.add_init_script(RECORD_VIOLATIONS)
    page.goto("/admin/login/?next=/admin/blogs/")
    page.get_by_label("Phone number").fill(STAFF_PHONE)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/blogs/")
    assert page.evaluate("typeof window.faHelpers") == "object"  # its JS from 'self' ran
    page.get_by_text("Add Filter").click()  # an inert javascript: link, allowed by hash
    page.locator("a.filter").first.click()  # onclick="return false;", allowed by hash
    assert page.locator(".filter-val, .filter-op").count() >= 1  # inserted by script
    assert violations(page) == []

    # flask-admin's own delete button asks first (its onclick, allowed by hash).
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.get_by_title("Delete record").first.click()
    assert dialogs == ["Are you sure you want to delete this record?"]
    # A bulk action from the "With selected" menu: its onclick runs flask-admin's actions.js.
    page.locator("input.action-checkbox").first.check()
    for item, question in BULK_QUESTIONS.items():
        page.get_by_text("With selected").click()
        page.locator("a.dropdown-item").get_by_text(item, exact=True).click()
        assert dialogs[-1] == question
    assert page.locator("table.model-list tbody tr").count() == 2  # both dismissed
    assert violations(page) == []

    # The edit form's widgets (select2, searched as you type) under the strict styles.
    page.goto("/admin/blogs/edit/?id=1")
    page.locator("#s2id_tags input.select2-input").click()
    assert page.locator(".select2-drop-active").is_visible()
    assert violations(page) == []
    assert page.evaluate(INJECT_INLINE_SCRIPT) is False  # no nonce, no hash: blocked
