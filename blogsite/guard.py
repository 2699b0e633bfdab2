"""The edge guard: malformed input gets a 400 and oversized bodies a 413 before anyone reads them.

It runs as a ``before_request`` hook right after the request is bound for logging (see
``pipeline.py``), so the CSRF check, the throttles' key functions, the page cache and the
views only ever see a request whose text holds no control characters and whose body is
within the limits, parsed once. PostgreSQL cannot store a NUL in text, Flask-WTF builds its
form from any JSON body without looking at its shape, and Werkzeug applies no field limits
to urlencoded bodies and cuts a chunked body at ``MAX_CONTENT_LENGTH`` without saying so:
each would be a 500 or a silently different request further in.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote_to_bytes

from flask import request
from werkzeug.exceptions import BadRequest, HTTPException, RequestEntityTooLarge

# C0 controls and DEL; tab, CR and LF only inside body field values (a textarea sends CRLF).
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
CONTROL_IN_VALUE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
URLENCODED = "application/x-www-form-urlencoded"
READ_SIZE = 64 * 1024


class RefusedBody(io.RawIOBase):
    """A body the guard refused: every later read raises the refusal again."""

    def __init__(self, error: HTTPException) -> None:
        super().__init__()
        self.error = error

    def readable(self) -> bool:
        """Say the stream is readable, so readers reach ``readinto`` and its refusal."""
        return True

    def readinto(self, buffer: Any) -> int:
        """Raise the refusal again."""
        # A second reader (an error handler, a library hook) must not parse what is left
        # of a half-read body and take it for a small or empty form.
        raise type(self.error)(self.error.description)


def named(name: str) -> str:
    """Return a field name short enough to quote in an error message."""
    return name if len(name) <= 64 else name[:61] + "..."


def refuse_control(
    items: Iterable[tuple[str | None, str]], where: str, in_body: bool = False
) -> None:
    """Answer 400 when a name, or a value, of ``items`` holds a control character."""
    values = CONTROL_IN_VALUE if in_body else CONTROL
    for name, value in items:
        if name is None:  # a multipart part whose Content-Disposition names no field
            raise BadRequest(f"A field in {where} has no name.")
        if CONTROL.search(name):
            raise BadRequest(f"A name in {where} contains a control character.")
        if values.search(value):
            raise BadRequest(f"{named(name)} in {where} contains a control character.")


def is_chunked() -> bool:
    """Return whether the body comes without a length from a server that ends it (chunked)."""
    return request.content_length is None and "wsgi.input_terminated" in request.environ


def read_terminated(limit: int) -> bytes:
    """Read a body of unknown length, answering 413 once it passes ``limit`` bytes."""
    # Werkzeug's stream for such a body stops at the limit and calls the body complete, so
    # an oversized body would be cut and processed; read one byte past the limit instead.
    source = request.environ["wsgi.input"]
    body = bytearray()
    while len(body) <= limit:
        try:
            chunk = source.read(min(READ_SIZE, limit + 1 - len(body)))
        except Exception:
            # The server's own chunk decoder raises its own errors (gunicorn's
            # InvalidChunkSize, NoMoreData...) for a malformed body: the client's fault.
            raise BadRequest("The body is not validly chunked.") from None
        if not chunk:
            return bytes(body)
        body.extend(chunk)
    raise RequestEntityTooLarge()


def check_urlencoded(body: bytes) -> None:
    """Apply the multipart limits (``MAX_FORM_PARTS``, ``MAX_FORM_MEMORY_SIZE``) to this body."""
    fields = [field for field in body.split(b"&") if field]
    max_parts = request.max_form_parts
    if max_parts is not None and len(fields) > max_parts:
        raise RequestEntityTooLarge(f"The form has more than {max_parts} fields.")
    max_size = request.max_form_memory_size
    if max_size is None:
        return
    for field in fields:
        # A decoded value is never longer than its encoding: decode only the long ones.
        if len(field) > max_size:
            name, _, value = field.partition(b"=")
            for part in (name, value):
                if len(unquote_to_bytes(part.replace(b"+", b" "))) > max_size:
                    raise RequestEntityTooLarge("A form field is larger than this site accepts.")


def load_body() -> None:
    """Read and parse the body once, within the limits, so later readers get all of it."""
    limit = request.max_content_length
    if is_chunked() and limit is not None:
        request.stream = io.BytesIO(read_terminated(limit))
    if request.mimetype == URLENCODED:
        # The stream is already limited (Content-Length or the read above).
        body = request.stream.read()
        check_urlencoded(body)
        request.stream = io.BytesIO(body)
    # Parses form bodies (multipart under Werkzeug's limits) and opens the stream of any
    # other, which checks Content-Length against MAX_CONTENT_LENGTH.
    request.form  # noqa: B018


def check_json(data: Any) -> None:
    """Answer 400 unless ``data`` is an object whose values are strings or lists of strings."""
    if not isinstance(data, dict):
        raise BadRequest("The JSON body must be an object of fields.")
    for name, value in data.items():
        values = value if isinstance(value, list) else [value]
        if not all(isinstance(item, str) for item in values):
            raise BadRequest(f"{named(name)} must be a string or a list of strings.")
        refuse_control(((name, item) for item in values), "the JSON body", in_body=True)


def has_body() -> bool:
    """Return whether the request carries a body (sent with a length, or chunked)."""
    return bool(request.content_length) or (is_chunked() and bool(request.get_data(cache=True)))


def guard_request() -> None:
    """Refuse control characters, malformed JSON and oversized bodies (before CSRF and views)."""
    if CONTROL.search(request.path):
        raise BadRequest("The address contains a control character.")
    refuse_control(request.args.items(multi=True), "the query string")
    refuse_control(request.cookies.items(multi=True), "the cookies")
    try:
        load_body()
    except RequestEntityTooLarge as error:
        request.stream = RefusedBody(error)  # type: ignore[assignment]  # a binary stream, but typeshed: RawIOBase is no IO[bytes]
        raise
    refuse_control(request.form.items(multi=True), "the form", in_body=True)
    files = request.files.items(multi=True)
    refuse_control(((name, file.filename or "") for name, file in files), "the form")
    if request.is_json and has_body():
        try:
            data = request.get_json()
        except (BadRequest, RecursionError):  # nesting too deep for the parser is not JSON here
            raise BadRequest("The body is not valid JSON.") from None
        check_json(data)
