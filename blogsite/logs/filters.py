"""Filters on every handler (redaction, duplicate access lines) and the JSON formatter."""

from __future__ import annotations

import logging
import sys
import traceback
import weakref
from typing import Any

from pythonjsonlogger.json import JsonFormatter as BaseJsonFormatter

from .redaction import MASK, is_sensitive_key, redact, redact_text

# Attributes every LogRecord has; anything else came in through ``extra=``.
_BARE_RECORD = logging.LogRecord("", 0, "", 0, "", (), None)
STANDARD_ATTRIBUTES = frozenset(_BARE_RECORD.__dict__) | {"message", "asctime", "taskName"}


# What the filters know of a record, kept beside it rather than in attributes of the
# library's LogRecord: which records are redacted, and the JSON line each one became.
REDACTED: weakref.WeakSet[logging.LogRecord] = weakref.WeakSet()
JSON_LINES: weakref.WeakKeyDictionary[logging.LogRecord, tuple[Any, str]] = (
    weakref.WeakKeyDictionary()
)


class RedactionFilter(logging.Filter):
    """Mask secrets and personal data in the message, extra fields and tracebacks."""

    def filter(self, record: logging.LogRecord) -> bool:
        # One record goes through several handlers; redact it once.
        if record in REDACTED:
            return True
        try:
            self._redact(record)
        except Exception as error:  # never raise into the caller, never leak: drop it
            sys.stderr.write(f"blogsite logging: record dropped, redaction failed: {error!r}\n")
            return False
        REDACTED.add(record)
        return True

    def _redact(self, record: logging.LogRecord) -> None:
        self._redact_message(record)
        if record.exc_info:
            # Standard formatters use exc_text when set. exc_info stays for Sentry, which
            # reads the record after the handlers (and scrubs it in before_send).
            text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
            record.exc_text = redact_text(text)
        elif record.exc_text:
            record.exc_text = redact_text(record.exc_text)
        if record.stack_info:
            record.stack_info = redact_text(record.stack_info)
        for key, value in list(record.__dict__.items()):
            if key in STANDARD_ATTRIBUTES or key.startswith("_"):
                continue
            setattr(record, key, MASK if is_sensitive_key(key) else redact(value))

    @staticmethod
    def _redact_message(record: logging.LogRecord) -> None:
        if isinstance(record.msg, dict):
            record.msg = redact(record.msg)
            return
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: keep what we can, without its args
            message = f"{record.msg} [log arguments dropped: they did not fit the message]"
        record.msg = redact_text(str(message))
        record.args = None


class DropServerAccessLines(logging.Filter):
    """Drop werkzeug's and gunicorn's request lines: the app writes one access record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "gunicorn.access":
            return False
        # werkzeug's dev server logs each request as '<addr> - - [<date>] "%s" %s %s'.
        return not (record.name == "werkzeug" and str(record.msg).endswith('"%s" %s %s'))


class JsonFormatter(BaseJsonFormatter):
    """python-json-logger's formatter, using the redacted traceback text when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        # Every handler shares this formatter and sees the same (redacted) record: format
        # it once. (A rotating file handler formats each record twice on its own.)
        cached = JSON_LINES.get(record)
        if cached is not None and cached[0] is self:
            return cached[1]
        redacted = record in REDACTED
        if record.exc_info and redacted:
            # It would format exc_info afresh, unredacted; hide it for this one call.
            exc_info, record.exc_info = record.exc_info, None
            try:
                line = super().format(record)
            finally:
                record.exc_info = exc_info
        else:
            line = super().format(record)
        if redacted:
            JSON_LINES[record] = (self, line)
        return line
