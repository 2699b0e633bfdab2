"""Redaction: a corpus of secrets and personal data that must never reach a log line."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest

from blogsite import create_app
from blogsite.logs import log_event
from blogsite.logs.redaction import is_sensitive_key, luhn_valid, redact, redact_text

from .logtools import LogFile, parse_lines

log = logging.getLogger("blogsite.test.redaction")


def with_check_digit(prefix: str) -> str:
    """Complete ``prefix`` with the digit that makes it pass Luhn."""
    return next(prefix + d for d in "0123456789" if luhn_valid(prefix + d))


CARD_19 = with_check_digit("622126000000000000")  # a 19-digit UnionPay-style number


class Profile:
    def __repr__(self) -> str:
        return "Profile(email='ivy@example.org', id=41)"


def _raise(error: BaseException) -> None:
    try:
        raise error
    except BaseException:
        log.exception("request failed")


def _chained() -> None:
    try:
        try:
            raise ValueError("lookup of +81 80-9876-5432 failed")
        except ValueError as cause:
            raise RuntimeError("could not notify the user") from cause
    except RuntimeError:
        log.exception("notification failed")


def _stack() -> None:
    log.info("here", stack_info=True)  # a source line with zoe@example.com in it


password = "Tr0ub4dor&3-correct"
api_key = "sk_live_51HxAbCdEfGh"

# (what, how to log it, the secrets that must disappear)
CORPUS: list[tuple[str, Callable[[], None], list[str]]] = [
    ("e-mail in a message", lambda: log.info("mail to alice.smith@example.com"), ["alice.smith"]),
    ("e-mail as an argument", lambda: log.info("user %s", "bob+tag@mail.example.co.jp"),
     ["bob+tag@", "mail.example.co.jp"]),
    ("url-encoded e-mail", lambda: log.info("GET /?to=carol%40example.org"), ["carol%40"]),
    ("E.164 phone", lambda: log.info("login by +819012345678"), ["819012345678"]),
    ("Japanese mobile", lambda: log.info("call 090-1234-5678"), ["090-1234-5678"]),
    ("spaced international phone", lambda: log.info("tel +81 90 1234 5678 ok"),
     ["90 1234 5678"]),
    ("US phone with area code", lambda: log.info("phone (555) 123-4567"), ["123-4567"]),
    ("US phone with dashes", lambda: log.info("phone 555-867-5309."), ["867-5309"]),
    ("Tokyo landline", lambda: log.info("office 03-1234-5678"), ["1234-5678"]),
    ("UK phone", lambda: log.info("uk +44 20 7946 0958"), ["7946 0958"]),
    ("Japanese mobile, digits only", lambda: log.info("sms 08012345678"), ["08012345678"]),
    ("phone without +", lambda: log.info("GET /auth/login/819012345678"), ["819012345678"]),
    ("phone with 00", lambda: log.info("dial 0081-90-1234-5678"), ["90-1234-5678"]),
    ("phone with parentheses", lambda: log.info("to (81) 90 1234 5678"), ["90 1234 5678"]),
    ("phone in SQL parameters", lambda: log.info("[parameters: ('81/90/1234/5678', 'x')]"),
     ["1234/5678"]),
    ("Visa, digits only", lambda: log.info("paid with 4111111111111111"), ["4111111111111111"]),
    ("Mastercard, spaced", lambda: log.info("card 5555 5555 5555 4444"), ["5555 4444"]),
    ("Visa, dashed", lambda: log.info("card 4012-8888-8888-1881"), ["4012-8888"]),
    ("Amex, 15 digits", lambda: log.info("amex 378282246310005"), ["378282246310005"]),
    ("Amex, 4-6-5", lambda: log.info("amex 3714 496353 98431"), ["496353"]),
    ("13-digit Visa", lambda: log.info("old card 4222222222222"), ["4222222222222"]),
    ("19-digit card", lambda: log.info(f"card {CARD_19}"), [CARD_19]),
    ("card as an int in data", lambda: log_event("pay", {"n": 4242424242424242}),
     ["4242424242424242"]),
    ("password key in data", lambda: log_event("login", {"password": password}), [password]),
    ("nested api key", lambda: log_event("cfg", {"user": {"profile": {"api_key": api_key}}}),
     [api_key]),
    ("token in a list of dicts", lambda: log_event("batch", [{"token": "tok_9f8e7d"}, {"id": 7}]),
     ["tok_9f8e7d"]),
    ("authorization header", lambda: log_event(
        "call", {"headers": {"Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.cGF5.c2ln"}}),
     ["eyJhbGciOiJIUzI1NiJ9"]),
    ("cookie header", lambda: log_event("req", {"Cookie": "session=abcdef0123456789"}),
     ["abcdef0123456789"]),
    ("card details in data", lambda: log_event(
        "checkout", {"card": {"number": "4000056655665556", "cvv": "cvv-737"}}),
     ["4000056655665556", "cvv-737"]),
    ("cvv key alone", lambda: log_event("verify", {"cvv": 737, "cvc2": "cvc-xy1"}), ["cvc-xy1"]),
    ("csrf token in text", lambda: log.info("form csrf_token=IjQ1NmFi.ZxYz.abc rejected"),
     ["IjQ1NmFi"]),
    ("password in an f-string", lambda: log.info(f"login failed password={password}"),
     [password]),
    ("quoted secret with spaces", lambda: log.info('{"client_secret": "top secret value"}'),
     ["top secret value"]),
    ("secret in extra", lambda: log.info("x", extra={"client_secret": "cs_abcdef123"}),
     ["cs_abcdef123"]),
    ("Bearer token in text", lambda: log.info("upstream said Bearer abc.def.ghijklmnop"),
     ["ghijklmnop"]),
    ("set-cookie line", lambda: log.info("Set-Cookie: sessionid=xyz123abc; HttpOnly"),
     ["xyz123abc"]),
    ("e-mail in a traceback", lambda: _raise(ValueError("no user dave@example.net")),
     ["dave@example.net"]),
    ("card in an exception", lambda: _raise(KeyError("4111 1111 1111 1111")),
     ["4111 1111 1111 1111"]),
    ("phone in a chained cause", _chained, ["9876-5432"]),
    ("source line in stack info", _stack, ["zoe@example.com"]),
    ("dict message", lambda: log.info({"event": "x", "contact": "erin@example.com"}),
     ["erin@example.com"]),
    ("tuple of values", lambda: log_event("t", ("frank@example.com", 1)), ["frank@example"]),
    ("bytes value", lambda: log_event("b", {"raw": b"gina@example.com"}), ["gina@example"]),
    ("object repr", lambda: log_event("o", {"who": Profile()}), ["ivy@example.org"]),
    ("non-string key", lambda: log_event("k", {("k", "hana@example.com"): 1}), ["hana@"]),
    ("email key", lambda: log_event("signup", {"email": "not-an-address-but-private"}),
     ["not-an-address-but-private"]),
    ("phone key", lambda: log_event("signup", {"phone_no": "private-number-value"}),
     ["private-number-value"]),
]  # fmt: skip

# Ordinary values that must come through untouched.
SURVIVORS = {
    "author id": 12345,
    "blog id": 987654321,
    "twelve digits": "123456789012",
    "epoch": 1700000000,
    "date": "2024-01-15",
    "datetime": "2024-01-15T10:20:30Z",
    "spaced datetime": "2024-01-15 10:20:30",
    "uuid": "550e8400-e29b-41d4-a716-446655440000",
    "order": "ORD-20240115-0042",
    "version": "3.11.7",
    "time": "12:30",
    "price": "1,234.56",
    "not luhn": "4111111111111112",
    "date range": "2024-01-15/2024-02-15",
    "ip": "192.168.10.20",
    "epoch ms": "1700000000123",
    "compact time": "20240115103000",
    "all-digit uuid": "12345678-1234-1234-1234-123456789012",
    "address and port": "10.0.0.12:8000",
}


def test_corpus_never_reaches_a_log_line(
    log_file: LogFile, app_config: dict[str, Any], capsys: Any
) -> None:
    app = create_app(app_config)
    assert len(CORPUS) >= 30
    with app.test_request_context("/corpus"):
        app.preprocess_request()
        for _what, produce, _secrets in CORPUS:
            produce()
        log_event("survivors", SURVIVORS)
        log.info("survivors in text: %s", " | ".join(str(v) for v in SURVIVORS.values()))

    outputs = {"file": log_file.text(), "stdout": capsys.readouterr().out}
    for name, text in outputs.items():
        records = parse_lines(text)
        assert len(records) >= len(CORPUS), name
        for what, _produce, secrets in CORPUS:
            for secret in secrets:
                assert secret not in text, f"{what}: {secret!r} leaked to {name}"
        [event] = [r for r in records if r.get("ev") == "survivors"]
        assert event["data"] == {key: value for key, value in SURVIVORS.items()}
        for value in SURVIVORS.values():
            assert f"{value} |" in text or f"| {value}" in text, (name, value)
    # Masks say what was there, so the lines stay useful.
    text = outputs["file"]
    for mask in ("[EMAIL]", "[PHONE]", "[CARD]", "[REDACTED]"):
        assert mask in text


@pytest.mark.parametrize(
    "key",
    ["password", "new_password", "PASSWORD2", "X-CSRF-Token", "Authorization", "set-cookie",
     "cardNumber", "cvv", "client_secret", "access_token", "apiKey", "email", "phone_no",
     "session_id", "auth"],
)  # fmt: skip
def test_sensitive_keys(key: str) -> None:
    assert is_sensitive_key(key)


@pytest.mark.parametrize(
    "key", ["author_id", "blog_id", "id", "title", "ev", "txid", "uid", "status", "path"]
)
def test_ordinary_keys(key: str) -> None:
    assert not is_sensitive_key(key)


def test_redaction_is_idempotent() -> None:
    text = "password=hunter2 mail a@b.co card 4111111111111111 tel 090-1234-5678"
    once = redact_text(text)
    assert redact_text(once) == once
    assert once == "password=[REDACTED] mail [EMAIL] card [CARD] tel [PHONE]"


def test_redact_keeps_structure() -> None:
    data = {"ids": [1, 2], "nested": {"token": "t", "ok": True, "n": None}}
    assert redact(data) == {"ids": [1, 2], "nested": {"token": "[REDACTED]", "ok": True, "n": None}}


def test_values_whose_repr_fails_are_logged_by_a_placeholder(
    log_file: LogFile, app: Any, capsys: Any
) -> None:
    class Hostile:
        def __repr__(self) -> str:
            raise RuntimeError("no repr for you")

    log.info("carrying a hostile value", extra={"thing": Hostile()})  # must not raise
    log_event("hostile", {"thing": Hostile()})
    [record] = log_file.records(message="carrying a hostile value")
    assert record["thing"] == "<Hostile: repr() failed>"
    [event] = log_file.records(ev="hostile")
    assert event["data"] == {"thing": "<Hostile: repr() failed>"}
    assert "not JSON-serialisable" in capsys.readouterr().err
