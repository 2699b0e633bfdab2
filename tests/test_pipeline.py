"""The request pipeline: every hook registered in one place, in the order a request needs."""

from __future__ import annotations

from typing import Any

from blogsite.pipeline import hook_names

from . import logtools
from .logtools import LogFile

log_file = logtools.log_file  # the logging tests' fixture


def test_every_hook_is_registered_in_pipeline_order(app: Any) -> None:
    assert hook_names(app) == {
        "before_request": [
            "bind_request",  # ids first: every record and the error page carry them
            "allow_upload_size",  # picture uploads may be bigger: before the guard reads
            "guard_request",  # nothing below reads unchecked input
            "forget_ended_session",  # an ended session's CSRF token is refused
            "CSRFProtect.init_app.<locals>.csrf_protect",
            "Limiter._check_request_limit",
        ],
        "after_request": [  # as they run
            "LoginManager._update_remember_cookie",
            "Limiter.__inject_headers",
            "fix_retry_after",  # after the limiter's own Retry-After
            "add_security_headers",
            "store",  # the page cache sees every header before it keeps a page
            "finish_request",  # the access log sees the final outcome
        ],
        "teardown_request": ["Limiter.__release_context", "unbind_request"],
    }
    # No blueprint-level hooks: the page cache and the throttles wrap the views instead.
    assert not [
        s for kind in (app.before_request_funcs, app.after_request_funcs) for s in kind if s
    ]


def test_hooks_run_in_that_order_for_a_request(app: Any, log_file: LogFile) -> None:
    ran: list[str] = []
    expected = [*hook_names(app)["before_request"], *hook_names(app)["after_request"]]
    for kind in ("before_request_funcs", "after_request_funcs"):
        hooks = getattr(app, kind)[None]
        for index, hook in enumerate(list(hooks)):
            hooks[index] = _recording(hook, ran)
    response = app.test_client().get("/robots.txt", headers={"X-Request-ID": "order"})
    assert response.status_code == 200
    assert ran == expected


def _recording(hook: Any, ran: list[str]) -> Any:
    name = hook_names_of(hook)

    def record(*args: Any) -> Any:
        ran.append(name)
        return hook(*args)

    return record


def hook_names_of(hook: Any) -> str:
    func = getattr(hook, "func", hook)
    return func.__qualname__
