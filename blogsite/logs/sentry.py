"""Sentry: unhandled errors go to the error tracker, scrubbed like the logs."""

from __future__ import annotations

import os
import warnings
from typing import TYPE_CHECKING, cast

from flask import Flask

from .context import current_txid
from .redaction import redact

if TYPE_CHECKING:
    from sentry_sdk.types import Event, Hint


def scrub_event(event: Event, hint: Hint) -> Event:
    """Apply the log redaction to a whole Sentry event before it is sent."""
    return cast("Event", redact(event))  # a copy of the same shape


def sentry_dsn(app: Flask) -> str | None:
    """Return the DSN from ``SENTRY_DSN`` (config or environment), if any."""
    return app.config.get("SENTRY_DSN") or os.environ.get("SENTRY_DSN") or None


def tag_request() -> None:
    """Tag the request's Sentry scope with its id, so an event matches its log lines."""
    import sentry_sdk

    sentry_sdk.set_tag("request_id", current_txid())


def init_sentry(app: Flask) -> bool:
    """Start sentry-sdk with its Flask integration when a DSN is set; return whether."""
    dsn = sentry_dsn(app)
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.flask import FlaskIntegration

    with warnings.catch_warnings():
        # send_default_pii is deprecated in favour of data_collection, but it is the
        # documented, explicit switch: we keep it and silence only that notice.
        warnings.filterwarnings("ignore", "The send_default_pii option", DeprecationWarning)
        sentry_sdk.init(
            dsn=dsn,
            integrations=[FlaskIntegration()],
            send_default_pii=False,
            before_send=scrub_event,
            # Local variables and request bodies hold names, phone numbers and
            # passwords that no pattern can recognise: never send them.
            include_local_variables=False,
            max_request_body_size="never",
            environment=app.config.get("SENTRY_ENVIRONMENT"),
            release=app.config.get("SENTRY_RELEASE"),
            traces_sample_rate=app.config.get("SENTRY_TRACES_SAMPLE_RATE"),
        )
    return True  # blogsite.pipeline registers tag_request
