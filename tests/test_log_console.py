"""Console log lines in debug (short, coloured on a terminal, redacted); JSON elsewhere."""

from __future__ import annotations

import io
import json
import logging
import re
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from blogsite import create_app
from blogsite.config import ConfigError
from blogsite.logs import log_event
from blogsite.logs.config import configure_logging

from .logtools import parse_lines

ACCESS_LINE = re.compile(
    r"^\d\d:\d\d:\d\d INFO    blogsite\.access GET /no-such-page 404 [\d.]+ms \[abcdef12\]$"
)


class Terminal(io.StringIO):
    """A stdout that says it is a terminal."""

    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def json_again() -> Iterator[None]:
    """Leave the process logging JSON, as the other tests expect."""
    yield
    configure_logging("INFO")


def access_lines(out: str) -> list[str]:
    return [line for line in out.splitlines() if "blogsite.access" in line]


def visit(app: Any) -> None:
    app.test_client().get("/no-such-page", headers={"X-Request-ID": "abcdef1234567890"})


def test_debug_app_writes_short_human_lines(sqlite_config: dict[str, Any], capsys: Any) -> None:
    visit(create_app({**sqlite_config, "DEBUG": True}))
    [line] = access_lines(capsys.readouterr().out)
    assert ACCESS_LINE.match(line), line
    assert "\x1b[" not in line  # captured output is no terminal: no colour codes


def test_other_apps_keep_writing_json(sqlite_config: dict[str, Any], capsys: Any) -> None:
    visit(create_app(sqlite_config))
    [record] = [r for r in parse_lines(capsys.readouterr().out) if r["logger"] == "blogsite.access"]
    assert record["message"] == "GET /no-such-page 404" and record["txid"] == "abcdef1234567890"


@pytest.mark.parametrize(("setting", "debug", "console"), [("console", False, True),
                         ("JSON", True, False)])  # fmt: skip
def test_log_format_setting_wins_over_debug(
    sqlite_config: dict[str, Any], monkeypatch: pytest.MonkeyPatch, capsys: Any,
    setting: str, debug: bool, console: bool,
) -> None:  # fmt: skip
    monkeypatch.setenv("BLOGSITE_LOG_FORMAT", setting)
    visit(create_app({**sqlite_config, "DEBUG": debug}))
    [line] = access_lines(capsys.readouterr().out)
    assert bool(ACCESS_LINE.match(line)) is console
    assert line.startswith("{") is not console


def test_bad_log_format_names_the_variable(sqlite_config: dict[str, Any]) -> None:
    with pytest.raises(ConfigError, match="BLOGSITE_LOG_FORMAT: unknown log format 'xml'"):
        create_app({**sqlite_config, "LOG_FORMAT": "xml"})


def test_console_lines_are_coloured_on_a_terminal(
    sqlite_config: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    terminal = Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    visit(create_app({**sqlite_config, "DEBUG": True}))
    [line] = access_lines(terminal.getvalue())
    assert "\x1b[32mINFO   \x1b[0m" in line
    assert ACCESS_LINE.match(re.sub(r"\x1b\[[\d;]*m", "", line))
    monkeypatch.setenv("NO_COLOR", "1")
    visit(create_app({**sqlite_config, "DEBUG": True}))
    assert "\x1b[" not in access_lines(terminal.getvalue())[1]


def test_console_lines_are_redacted(sqlite_config: dict[str, Any], capsys: Any) -> None:
    app = create_app({**sqlite_config, "DEBUG": True})
    with app.test_request_context(headers={"X-Request-ID": "abcdef1234567890"}):
        app.preprocess_request()  # binds the request id, as for a real request
        log_event("signup", {"email": "ann@example.com", "password": "hunter2", "n": 1})
        try:
            raise RuntimeError("login failed with password=hunter3 for ann@example.com")
        except RuntimeError:
            logging.getLogger("blogsite.auth").exception("token=hunter4 rejected")
    out = capsys.readouterr().out
    for secret in ("hunter2", "hunter3", "hunter4", "ann@example.com"):
        assert secret not in out
    [event] = [line for line in out.splitlines() if "blogsite.events signup" in line]
    assert json.loads(event.split(" signup ", 1)[1].rsplit(" [", 1)[0])["n"] == 1
    assert event.endswith("[abcdef12]")
    assert "Traceback (most recent call last)" in out and "RuntimeError: login failed" in out
