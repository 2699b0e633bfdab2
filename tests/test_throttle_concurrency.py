"""Failed log-ins sent all at once to a real gunicorn: the limit holds under concurrency."""

from __future__ import annotations

import http.client
import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from .conftest import DEFAULT_PHONE
from .servers import Gunicorn

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.slow]

CONCURRENT = 16
LIMIT = 5


@pytest.fixture
def database_url(postgres_schema: str) -> str:
    """PostgreSQL only: gunicorn's threads and workers share one real database."""
    return postgres_schema


@pytest.fixture
def app_config(app_config, redis_url):
    return app_config | {"REDIS_URL": redis_url}


def login_once(port: int, start: threading.Barrier) -> tuple[int, str]:
    """POST one wrong password as soon as every sender is ready."""
    body = json.dumps({"phone_no": DEFAULT_PHONE, "password": "wrong password"})
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.connect()  # connect first, so the requests leave together
        start.wait()
        connection.request("POST", "/auth/login", body, {"Content-Type": "application/json"})
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def test_concurrent_wrong_passwords_process_at_most_the_limit(app, app_config, make_user):
    make_user()
    env = {
        "DATABASE_URL": app_config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": app_config["REDIS_URL"],
        "SECRET_KEY": "concurrent-login-test",
        "BLOGSITE_SECURE_COOKIES": "0",
        "BLOGSITE_WTF_CSRF_ENABLED": "false",
        # Only the per-address budget: the phone's own would stop the run at its limit too.
        "BLOGSITE_THROTTLE_RATES": json.dumps({"login": f"{LIMIT}/minute", "login_phone": None}),
        "GUNICORN_WORKERS": "2",
        "GUNICORN_THREADS": str(CONCURRENT // 2),
    }
    server = Gunicorn(env, workers=2)
    try:
        start = threading.Barrier(CONCURRENT)
        with ThreadPoolExecutor(max_workers=CONCURRENT) as pool:
            futures = [pool.submit(login_once, server.port, start) for _ in range(CONCURRENT)]
            answers = [future.result() for future in futures]
    finally:
        server.stop()
    processed = [body for status, body in answers if status == 200]
    refused = [status for status, _ in answers if status == 429]
    print(f"\n{CONCURRENT} concurrent wrong passwords against {LIMIT}/minute: "
          f"{len(processed)} processed, {len(refused)} refused")  # fmt: skip
    assert all("Wrong phone number or password" in body for body in processed)
    assert len(processed) + len(refused) == CONCURRENT
    assert len(processed) <= LIMIT
    assert len(processed) == LIMIT  # none lost either: every budget slot was used
