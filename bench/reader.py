"""A logged-in reader for the benchmark: register through the site's own form, keep the cookie."""

from __future__ import annotations

import re
import urllib.parse
import urllib.request
from http.client import HTTPResponse

TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class NoRedirect(urllib.request.HTTPRedirectHandler):
    """Stop at the 302 that follows a successful form, so its Set-Cookie can be read."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def set_session_cookie(response: HTTPResponse) -> str | None:
    """Return ``name=value`` of the session cookie the response sets, or None."""
    for header in response.headers.get_all("Set-Cookie") or []:
        if header.startswith("session="):
            return header.split(";", 1)[0]
    return None


def session_cookie(response: HTTPResponse) -> str:
    """Return ``name=value`` of the session cookie the response must set."""
    cookie = set_session_cookie(response)
    if cookie is None:
        raise SystemExit("the site set no session cookie")
    return cookie


def register_reader(base: str, phone_no: str = "+819011112222") -> str:
    """Register a reader on ``base`` and return the Cookie header of their session."""
    with urllib.request.urlopen(base + "/auth/register", timeout=10) as page:
        token = TOKEN.search(page.read().decode())
        cookie = session_cookie(page)
    if token is None:
        raise SystemExit("no CSRF token on the registration page")
    password = "a long bench password"
    form = {"csrf_token": token[1], "phone_no": phone_no, "name": "Bench Reader",
            "email": "", "password": password, "confirm": password}  # fmt: skip
    request = urllib.request.Request(
        base + "/auth/register",
        data=urllib.parse.urlencode(form).encode(),
        headers={"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"},
    )
    opener = urllib.request.build_opener(NoRedirect)
    try:
        opener.open(request, timeout=10)
    except urllib.error.HTTPError as answer:  # the 302 arrives as an "error" without redirects
        if answer.code != 302:
            raise SystemExit(f"registration answered {answer.code}") from None
        cookie = session_cookie(answer)  # type: ignore[arg-type]
        return after_redirect(base, answer.headers["Location"], cookie)
    raise SystemExit("registration did not redirect: check the form's fields")


def after_redirect(base: str, location: str, cookie: str) -> str:
    """Follow the redirect as a browser would and return the session cookie it leaves.

    The page it lands on shows the flashed welcome and drops it from the session. Replayed
    forever instead, that cookie would make every request of the run show and drop it
    again: a new session cookie signed per response, a reader no browser is.
    """
    request = urllib.request.Request(urllib.parse.urljoin(base + "/", location))
    request.add_header("Cookie", cookie)
    with urllib.request.urlopen(request, timeout=10) as page:
        page.read()
        return set_session_cookie(page) or cookie  # None: nothing flashed, nothing changed
