"""Phone numbers are masked in every spelling the login form accepts, in every log field."""

from __future__ import annotations

import json
import logging
import re
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy.exc import DBAPIError

from blogsite.extensions import db
from blogsite.logs import log_event
from blogsite.logs.redaction import redact, redact_text
from blogsite.normalize import normalize_phone

from .logtools import LogFile

log = logging.getLogger("blogsite.test.phones")

NORMALIZED = "+819024681357"
# Every one of these logs in as NORMALIZED (checked below, so the list stays honest).
ACCEPTED = [
    "+819024681357", "819024681357", "+81 90 2468 1357", "+81-90-2468-1357",
    "0081-90-2468-1357", "0081 90 2468 1357", "00819024681357", "(81) 90 2468 1357",
    "(81)90-2468-1357", "81 90 2468 1357", "81-90-2468-1357", "81.90.2468.1357",
    "81/90/2468/1357", "+81 (90) 2468-1357", "81 - 90 - 2468 - 1357", "+81.90.2468.1357",
]  # fmt: skip
# National spellings the form refuses (no country code); still a phone number in a log.
NATIONAL = ["090-2468-1357", "09024681357", "(090) 2468 1357", "090 2468 1357"]
SPELLINGS = ACCEPTED + NATIONAL
# Contexts without digits of their own, so any digit left over leaked from the phone.
CONTEXTS = [
    "{}", "login by {}", "call {}.", "/auth/login/{}/", "/auth/{}", "GET /u/{} 404",
    "phone_no={}&next=/", "[parameters: ('{}', 'x')]", "[parameters: {{'phone': '{}'}}]",
    "DETAIL: Key (phone_no)=({}) already exists.", "tel:{}", '{{"to": "{}"}}', "a\n{}\nb",
]  # fmt: skip


def leaked(text: str) -> bool:
    """Return whether ``text`` still holds a recognisable part of the test phone number."""
    digits = re.sub(r"\D", "", text)
    return "2468" in text or "1357" in text or "24681357" in digits


def test_the_spellings_are_what_the_login_form_accepts() -> None:
    assert {normalize_phone(spelling) for spelling in ACCEPTED} == {NORMALIZED}


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_every_spelling_is_masked_in_text_and_data(spelling: str) -> None:
    for context in CONTEXTS:
        text = context.format(spelling)
        masked = redact_text(text)
        assert "[PHONE]" in masked and not re.search(r"\d", masked.replace("404", "")), (
            text,
            masked,
        )
        assert redact_text(masked) == masked
    data = redact({"note": spelling, "items": [f"to {spelling}", (spelling,)], spelling: 1})
    assert not leaked(json.dumps(data)), data


# Numbers that are not phone numbers stay readable (ids, times, ids of requests, sizes).
ORDINARY = [
    "/blog/123/", "GET /blog/123/ 200", "1700000000", "1700000000123", "123456789012",
    "987654321", "12345678", "2024-01-15 10:20:30", "2024-01-15T10:20:30.123456Z",
    "20240115103000", "2024-01-15/2024-02-15", "550e8400-e29b-41d4-a716-446655440000",
    "12345678-1234-1234-1234-123456789012", "req-2345678901234", "ORD-20240115-0042",
    "192.168.10.20", "203.0.113.195", "10.0.0.12:8000", "127.0.0.1:5432", "took 12.34 ms",
    "duration 2345678.25 ms", "3.11.7", "status 503", "port 6379", "line 1969, in run",
    "sha 2d4f9a0b7c1e", "/sitemap-2.xml", "4111111111111112", "bytes=19234",
]  # fmt: skip


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_numbers_stay_readable(text: str) -> None:
    assert redact_text(text) == text


def test_phone_ints_are_masked_ordinary_ints_kept() -> None:
    data = {"phone": 819024681357, "epoch": 1700000000, "ms": 1700000000123, "id": 987654321}
    assert redact({"n": data}) == {"n": {**data, "phone": "[REDACTED]"}}  # by its key
    assert redact([819024681357, 1700000000, 123, 19234]) == ["[PHONE]", 1700000000, 123, 19234]


def phone_free(record: dict[str, Any], *fields: str) -> bool:
    """Return whether none of ``fields`` of ``record`` holds part of the phone number."""
    return not any(leaked(json.dumps(record.get(field))) for field in fields)


def test_access_log_masks_phones_in_paths_and_query_keys(log_file: LogFile, client: Any) -> None:
    for index, spelling in enumerate(SPELLINGS):
        quoted = quote(spelling, safe="")
        client.get(f"/auth/login/{quoted}", headers={"X-Request-ID": f"path-{index}"})
        client.get(f"/u/{quoted}/posts", headers={"X-Request-ID": f"mid-{index}"})
        client.get(f"/auth/login?{quoted}=1", headers={"X-Request-ID": f"key-{index}"})
        client.get(f"/auth/login?phone_no={quoted}", headers={"X-Request-ID": f"val-{index}"})
    client.get("/blog/123/", headers={"X-Request-ID": "req-20240115-2345678901"})

    access = log_file.records(logger="blogsite.access")
    assert len(access) == 4 * len(SPELLINGS) + 1
    for record in access:
        assert phone_free(record, "message", "path", "query"), record
    masked = [r for r in access if r["txid"].startswith(("path-", "mid-"))]
    assert all("[PHONE]" in r["path"] and "[PHONE]" in r["message"] for r in masked)
    keyed = [r for r in access if r["txid"].startswith("key-")]
    assert all(r["query"] == ["[PHONE]"] for r in keyed), keyed
    # Ordinary numbers in the same lines stay readable.
    [blog] = [r for r in access if r["txid"] == "req-20240115-2345678901"]
    assert blog["path"] == "/blog/123/" and blog["message"] == "GET /blog/123/ 404"
    assert isinstance(blog["duration_ms"], float) and blog["status"] == 404


def test_sql_parameters_in_a_logged_traceback_are_masked(
    log_file: LogFile, app: Any, capsys: Any
) -> None:
    insert = db.text("INSERT INTO users (phone_no) VALUES (:phone)")  # NOT NULL columns missing
    with app.app_context():
        for index, spelling in enumerate(SPELLINGS):
            try:
                db.session.execute(insert, {"phone": spelling})
                db.session.commit()
            except DBAPIError as error:
                db.session.rollback()
                assert spelling in str(error)  # the driver's message carries the parameter
                log.exception("could not save user %d", index)
            else:  # pragma: no cover - the insert must fail
                pytest.fail("the insert was accepted")
    outputs = {"file": log_file.text(), "stdout": capsys.readouterr().out}
    for name, text in outputs.items():
        records = [r for r in map(json.loads, text.splitlines()) if r["logger"] == log.name]
        assert len(records) == len(SPELLINGS), name
        for record in records:
            # The frames' "File ..., line N" lines hold line numbers, not data.
            lines = record["exc_info"].splitlines()
            text_lines = "\n".join(line for line in lines if not line.startswith('  File "'))
            assert "[parameters:" in text_lines and "[PHONE]" in text_lines, text_lines
            assert not leaked(text_lines), (name, text_lines)


def test_phones_in_messages_extras_and_events(log_file: LogFile, app: Any, capsys: Any) -> None:
    with app.test_request_context("/corpus"):
        app.preprocess_request()
        for spelling in SPELLINGS:
            log.info("sms sent to %s", spelling)
            log.warning(f"callback from {spelling} failed")
            log.info("extra", extra={"caller": spelling, "numbers": [spelling]})
            log_event("contact", {"note": f"ring {spelling}", "who": {"line": spelling}})
            log.info("stack", stack_info=True, extra={"dialled": spelling})
    for text in (log_file.text(), capsys.readouterr().out):
        records = [json.loads(line) for line in text.splitlines()]
        assert len(records) >= 5 * len(SPELLINGS)
        for record in records:
            record.pop("stack_info", None)  # source lines and line numbers only
            record.pop("ts")
            assert not leaked(json.dumps(record)), record
