"""Sentry: unhandled errors reach a (local, fake) Sentry endpoint, scrubbed like the logs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import sentry_sdk

from blogsite import create_app
from blogsite.logs.sentry import scrub_event

from .logtools import Collector, iter_envelope_items, wait_for


@pytest.fixture
def sentry_endpoint() -> Iterator[Collector]:
    """A local HTTP server standing in for Sentry; the SDK is switched off afterwards."""
    with Collector() as collector:
        yield collector
        sentry_sdk.flush(timeout=5)
        sentry_sdk.get_client().close()
        sentry_sdk.get_global_scope().set_client(None)  # later tests send nothing


def sentry_events(collector: Collector) -> list[dict[str, Any]]:
    return [
        payload
        for body in collector.bodies
        for header, payload in iter_envelope_items(body)
        if header.get("type") == "event"
    ]


def test_unhandled_error_reaches_sentry_scrubbed(
    sentry_endpoint: Collector, sqlite_config: dict[str, Any]
) -> None:
    dsn = f"http://publickey@127.0.0.1:{sentry_endpoint.port}/42"
    app = create_app({**sqlite_config, "SENTRY_DSN": dsn, "PROPAGATE_EXCEPTIONS": False})

    @app.post("/_test/pay")
    def pay() -> str:
        card_holder_phone = "+819055556666"  # a local variable: must not be sent
        raise ValueError(
            f"payment failed for kim@example.com with card 4111 1111 1111 1111, "
            f"phone {card_holder_phone}, {{'password': 'pw-in-message'}}"
        )

    response = app.test_client().post(
        "/_test/pay?email=lee@example.com",
        data={"password": "form-password-value", "card": "5555555555554444"},
        headers={"X-Request-ID": "sentry-1", "Cookie": "session=cookie-secret-value"},
    )
    assert response.status_code == 500 and b"sentry-1" in response.data
    sentry_sdk.flush(timeout=5)
    assert wait_for(lambda: len(sentry_events(sentry_endpoint)) >= 1, timeout=10)

    [event] = sentry_events(sentry_endpoint)
    [exception] = event["exception"]["values"]
    assert exception["type"] == "ValueError"
    assert "[EMAIL]" in exception["value"] and "[CARD]" in exception["value"]
    assert event["tags"]["request_id"] == "sentry-1"  # matches the logs and the error page
    raw = json.dumps(event)
    secrets = [
        "kim@example.com", "lee@example.com", "4111 1111 1111 1111", "5555555555554444",
        "819055556666", "pw-in-message", "form-password-value", "cookie-secret-value",
    ]  # fmt: skip
    for secret in secrets:
        assert secret not in raw, secret
    frames = exception["stacktrace"]["frames"]
    assert frames and all("vars" not in frame for frame in frames)  # no local variables
    assert "user" not in event or "ip_address" not in event["user"]


def test_no_dsn_no_sentry(sqlite_config: dict[str, Any], monkeypatch: Any) -> None:
    monkeypatch.delenv("SENTRY_DSN", raising=False)
    create_app(sqlite_config)
    assert not sentry_sdk.get_client().is_active()


def test_scrub_event_masks_nested_values() -> None:
    event = {
        "message": "reset for a@b.io",
        "extra": {"headers": {"Authorization": "Bearer abcdefghijkl"}, "order_id": 1234},
        "breadcrumbs": {"values": [{"message": "sms to 090-1234-5678"}]},
    }
    assert scrub_event(event, {}) == {
        "message": "reset for [EMAIL]",
        "extra": {"headers": {"Authorization": "[REDACTED]"}, "order_id": 1234},
        "breadcrumbs": {"values": [{"message": "sms to [PHONE]"}]},
    }
