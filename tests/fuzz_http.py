"""Raw HTTP for the fuzz test: bytes no ordinary client would send, cookies, forms, logs."""

from __future__ import annotations

import http.client
import json
import re
import socket
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlencode, urlsplit

NO_ANSWER = 0  # the server closed the connection without a response


@dataclass
class Case:
    """One malformed request: its class (for the counts), who sends it, and its bytes."""

    kind: str
    method: str
    target: bytes
    who: str = "anon"
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: bytes = b""
    content_length: bool = True  # add a correct Content-Length for a body
    host: bool = True  # add the normal Host header

    def describe(self) -> str:
        """Name the request in a failure message."""
        target = self.target[:160].decode("latin-1")
        extra = [name.decode("latin-1") for name, _ in self.headers]
        body = f"body={len(self.body)}B"
        return f"[{self.kind}] {self.who} {self.method} {target!r} headers={extra} {body}"


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


def request_bytes(case: Case, port: int, cookie: bytes = b"") -> bytes:
    """Assemble the request exactly as the case says, malformed parts and all."""
    lines = [case.method.encode("latin-1") + b" " + case.target + b" HTTP/1.1"]
    if case.host:
        lines.append(b"Host: 127.0.0.1:%d" % port)
    own_cookie = [value for name, value in case.headers if name.lower() == b"cookie"]
    if cookie and not own_cookie:
        lines.append(b"Cookie: " + cookie)
    for name, value in case.headers:
        if name.lower() == b"cookie" and cookie:
            value = cookie + b"; " + value  # a logged-in visitor with junk cookies too
        lines.append(name + b": " + value)
    if case.body and case.content_length:
        lines.append(b"Content-Length: %d" % len(case.body))
    lines.append(b"Connection: close")
    return b"\r\n".join(lines) + b"\r\n\r\n" + case.body


def send(port: int, raw: bytes, method: str, timeout: float = 20.0) -> Answer:
    """Send ``raw`` on a fresh connection, close our side, and read one response."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        try:
            sock.sendall(raw)
            # End of input: a server waiting for a body that never comes sees EOF at once.
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # it may answer (413, 400) and hang up before reading everything
        response = http.client.HTTPResponse(sock, method=method)
        try:
            response.begin()
            body = response.read()
        except (http.client.HTTPException, OSError):
            return Answer(NO_ANSWER, {}, b"")
        return Answer(response.status, dict(response.headers.items()), body)


class FormParser(HTMLParser):
    """Collect each form's action and field names, and the CSRF token."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: dict[str, set[str]] = {}
        self.current: set[str] | None = None
        self.csrf = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "form":
            action = urlsplit(values.get("action") or "").path
            self.current = self.forms.setdefault(action, set())
        elif tag in ("input", "textarea", "select", "button") and values.get("name"):
            if self.current is not None:
                self.current.add(values["name"])
            if values["name"] == "csrf_token" and values.get("value"):
                self.csrf = values["value"]

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.current = None


def parse_forms(html: str) -> FormParser:
    parser = FormParser()
    parser.feed(html)
    return parser


class Browser:
    """A well-behaved client keeping one cookie jar (for logging in)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def cookie(self) -> bytes:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items()).encode()

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> Answer:
        """Send a request with the jar's cookies and keep the cookies it sets."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
        try:
            headers = {"Cookie": self.cookie().decode()} if self.cookies else {}
            body = urlencode(form) if form is not None else None
            if body is not None:
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            for name, value in response.getheaders():
                if name.lower() == "set-cookie":
                    key, _, rest = value.partition("=")
                    self.cookies[key] = rest.split(";", 1)[0]
            return Answer(response.status, dict(response.getheaders()), response.read())
        finally:
            connection.close()

    def log_in(self, phone_no: str, password: str) -> str:
        """Log in through the login form (CSRF and all); return a fresh CSRF token."""
        token = parse_forms(self.request("GET", "/auth/login").body.decode()).csrf
        answer = self.request(
            "POST", "/auth/login", {"phone_no": phone_no, "password": password, "csrf_token": token}
        )
        assert answer.status == 302, (answer.status, answer.body[:500])
        # Logging in starts a new session: its token comes with the next form.
        page = self.request("GET", "/auth/account")
        assert page.status == 200, page.status
        return parse_forms(page.body.decode()).csrf


EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(: |$)")


def exception_chain(text: str) -> str:
    """Return the exceptions of a formatted traceback, first to last: "A: x -> B: y"."""
    lines = [line for line in text.splitlines() if EXCEPTION_LINE.match(line)]
    return " -> ".join(line[:200] for line in lines if not line.startswith("Traceback"))


def tracebacks(log_text: str) -> list[dict[str, Any]]:
    """Return each logged traceback (JSON record or plain text): request id, path, exceptions."""
    found: list[dict[str, Any]] = []
    plain: list[str] | None = None
    for line in log_text.splitlines():
        if plain is not None:
            plain.append(line)
            if EXCEPTION_LINE.match(line) and not line.startswith(
                ("Traceback", "During", "The above")
            ):
                found.append({"txid": None, "path": None, "message": "(plain text)",
                              "exception": exception_chain("\n".join(plain))})  # fmt: skip
                plain = None
        elif line.startswith("Traceback (most recent call last)"):
            plain = [line]
        elif "Traceback" in line:
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                record = {"message": line}
            text = str(record.get("exc_info") or record.get("message") or line)
            message = str(record.get("message", ""))[:200]
            found.append(
                {"txid": record.get("txid"), "path": record.get("path"), "message": message,
                 "exception": exception_chain(text)}
            )  # fmt: skip
    if plain is not None:
        found.append({"txid": None, "path": None, "message": "(plain text, cut off)",
                      "exception": exception_chain("\n".join(plain))})  # fmt: skip
    return found
