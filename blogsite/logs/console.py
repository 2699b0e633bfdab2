"""Short, coloured log lines for a developer's terminal (``BLOGSITE_LOG_FORMAT=console``)."""

from __future__ import annotations

import json
import logging
import os
import sys
import time

RESET = "\x1b[0m"
DIM = "\x1b[2m"
LEVEL_COLOURS = {
    "DEBUG": "\x1b[36m",  # cyan
    "INFO": "\x1b[32m",  # green
    "WARNING": "\x1b[33m",  # yellow
    "ERROR": "\x1b[31m",  # red
    "CRITICAL": "\x1b[1;31m",  # bold red
}
MAX_DATA = 300  # characters of an event's data shown on its line
TXID_CHARS = 8  # enough to tell requests apart while reading along


def stdout_is_terminal() -> bool:
    """Say whether stdout is a terminal that wants colour (``NO_COLOR`` says it does not)."""
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(sys.stdout, "isatty", None)
    return bool(isatty and isatty())


class ConsoleFormatter(logging.Formatter):
    """``12:00:01 INFO  blogsite.access  GET / 200 4.1ms HIT  [txid]`` instead of JSON."""

    def __init__(self, colour: bool | None = None) -> None:
        super().__init__()
        # None: decide per line, as the stdout handler follows sys.stdout when it changes.
        self.colour = colour

    def format(self, record: logging.LogRecord) -> str:
        colour = stdout_is_terminal() if self.colour is None else self.colour

        def paint(code: str, text: str) -> str:
            return f"{code}{text}{RESET}" if colour else text

        stamp = time.strftime("%H:%M:%S", time.localtime(record.created))
        level = paint(LEVEL_COLOURS.get(record.levelname, ""), f"{record.levelname:<7}")
        parts = [paint(DIM, stamp), level, paint(DIM, record.name), record.getMessage()]
        parts += self._details(record)
        txid = getattr(record, "txid", None)
        if txid:
            parts.append(paint(DIM, f"[{str(txid)[:TXID_CHARS]}]"))
        line = " ".join(parts)
        # The redaction filter leaves a masked traceback in exc_text; never format exc_info.
        if record.exc_text:
            line += "\n" + record.exc_text
        if record.stack_info:
            line += "\n" + record.stack_info
        return line

    @staticmethod
    def _details(record: logging.LogRecord) -> list[str]:
        """Return the few extra fields worth a glance: timing, cache outcome, event data."""
        details = []
        duration = getattr(record, "duration_ms", None)
        if duration is not None:
            details.append(f"{duration}ms")
        cache = getattr(record, "cache", None)
        if cache and cache != "BYPASS":  # most requests never touch the page cache
            details.append(str(cache))
        data = getattr(record, "data", None)
        if data is not None:
            text = json.dumps(data, default=str, ensure_ascii=False)
            details.append(text if len(text) <= MAX_DATA else text[:MAX_DATA] + "...")
        return details
