"""The request pipeline: every request hook and signal of the app, registered here in order.

Read top-down, a request meets:

before_request (in registration order)
  1. logs.bind_request          txid and uid first: every record, the error page included
  2. logs.sentry.tag_request    (with SENTRY_DSN) an error event carries the same request id
  3a. media.allow_upload_size  upload endpoints take a picture's size of body, no more
  3. guard.guard_request        bad input is refused before anything below reads it
  4. forget_ended_session       an ended session is emptied, so CSRF refuses its token
  5. Flask-WTF csrf_protect     (its own, from csrf.init_app) checks every unsafe method
  6. flask-limiter              (its own, from bind_limiter) RATELIMIT_DEFAULT limits only
view wrappers (blog/, auth/: outermost first)
  7. @throttled(...)            the throttles, checked and counted (throttling/rules.py)
  8. @cached_page               a cached page answers here: beneath 7, so it still counts
  9. the view
after_request (Flask runs them in REVERSE registration order; listed as they run)
 10. Flask-Login                (its own) writes or clears the remember-me cookie
 11. flask-limiter              (its own) X-RateLimit-* headers, conditional deductions
 12. fix_retry_after            Retry-After only on errors, as the 429 page says
 13. add_security_headers       CSP, HSTS, no-store on personal pages
 14. caching.pages.store        sees every header above; keeps public pages, sets X-Cache
 15. logs.finish_request        last: the final status, cache and throttle outcome
teardown_request (reverse order too)
 16. flask-limiter              (its own) forgets the request's limits
 17. logs.unbind_request        last: records written during teardown still carry the ids
signals: Flask-Login's log-in, log-out and remember-me follow the uid and the account.
"""

from __future__ import annotations

from flask import Flask

from . import guard, logs, media, security, throttling, users
from .auth import sessions as auth_sessions
from .caching import pages
from .extensions import csrf, login_manager
from .logs.sentry import sentry_dsn, tag_request


def register(app: Flask) -> None:
    """Register every request hook and request signal, in the order they run."""
    app.before_request(logs.bind_request)  # 1: ids first, for every record and error page
    if sentry_dsn(app):
        app.before_request(tag_request)  # 2: an error event names the request's id
    app.before_request(media.allow_upload_size)  # 3a: the body limit the guard applies
    app.before_request(guard.guard_request)  # 3: nothing below reads unchecked input
    app.before_request(auth_sessions.forget_ended_session)  # 4: before CSRF reads the token
    csrf.init_app(app)  # 5: Flask-WTF's own check of every unsafe method

    # after_request and teardown hooks run in reverse: the last step is registered first.
    app.after_request(logs.finish_request)  # 15: last, when every outcome is final
    app.after_request(pages.store)  # 14: after every header but the log line's
    app.after_request(security.add_security_headers)  # 13: on every answer, hits included
    app.after_request(throttling.fix_retry_after)  # 12: after the limiter wrote its own
    app.teardown_request(logs.unbind_request)  # 17: ids stay bound through teardown
    throttling.bind_limiter(app)  # 6, 11, 16: flask-limiter's hooks, after CSRF
    login_manager.init_app(app)  # 10: the remember cookie is set before the store looks

    users.track_accounts()  # log-ins and log-outs update the account the hooks read
    logs.connect_login_signals()  # ... and the uid of the log records


def hook_names(app: Flask) -> dict[str, list[str]]:
    """Return the app-wide hooks by kind, in the order Flask runs them (for tests and docs)."""
    return {
        "before_request": [_name(f) for f in app.before_request_funcs.get(None, [])],
        "after_request": [_name(f) for f in reversed(app.after_request_funcs.get(None, []))],
        "teardown_request": [_name(f) for f in reversed(app.teardown_request_funcs.get(None, []))],
    }


def _name(hook: object) -> str:
    func = getattr(hook, "func", hook)  # functools.partial, as flask-limiter registers one
    return getattr(func, "__qualname__", repr(func))
