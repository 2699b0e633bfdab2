"""Prometheus metrics: what they count, who may read them, and gunicorn's several workers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from blogsite import create_app
from blogsite.config import ConfigError
from blogsite.extensions import db
from blogsite.metrics import record_cache, record_throttled, set_breaker_state

from .logtools import free_port, wait_for

OUTSIDE = {"REMOTE_ADDR": "203.0.113.5"}
ROOT = Path(__file__).resolve().parent.parent


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def scrape(text: str, name: str, **labels: str) -> float:
    """Return one sample's value from Prometheus text (0 when absent)."""
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return float(s.value)
    return 0.0


@pytest.fixture
def app_no_db(sqlite_config: dict[str, Any]) -> Any:
    app = create_app(sqlite_config)
    with app.app_context():
        db.create_all()
    return app


def test_requests_counted_by_endpoint_method_and_status(app_no_db: Any) -> None:
    client = app_no_db.test_client()
    ok = {"endpoint": "health.healthz", "method": "GET", "status": "200"}
    before = sample("blogsite_http_requests_total", **ok)
    latency_before = sample(
        "blogsite_http_request_duration_seconds_count", endpoint="health.healthz", status="200"
    )
    missing_before = sample(
        "blogsite_http_requests_total", endpoint="unmatched", method="GET", status="404"
    )
    odd_before = sample(
        "blogsite_http_requests_total", endpoint="unmatched", method="OTHER", status="405"
    )
    for _ in range(3):
        client.get("/healthz")
    client.get("/no/such/page")
    client.open("/healthz", method="BREW")
    assert sample("blogsite_http_requests_total", **ok) == before + 3
    assert (
        sample(
            "blogsite_http_request_duration_seconds_count",
            endpoint="health.healthz",
            status="200",
        )
        == latency_before + 3
    )
    assert (
        sample("blogsite_http_requests_total", endpoint="unmatched", method="GET", status="404")
        == missing_before + 1
    )
    assert (
        sample("blogsite_http_requests_total", endpoint="unmatched", method="OTHER", status="405")
        == odd_before + 1
    )
    page = client.get("/metrics")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert page.content_type.startswith("text/plain")
    assert scrape(page.get_data(as_text=True), "blogsite_http_requests_total", **ok) == before + 3


def test_metrics_other_areas_update(app_no_db: Any) -> None:
    hits = sample("blogsite_cache_requests_total", cache="page", result="hit")
    misses = sample("blogsite_cache_requests_total", cache="query", result="miss")
    throttled = sample("blogsite_throttled_requests_total", scope="anon")
    record_cache("page", hit=True)
    record_cache("query", hit=False)
    record_throttled("anon")
    set_breaker_state("open")
    text = app_no_db.test_client().get("/metrics").get_data(as_text=True)
    assert scrape(text, "blogsite_cache_requests_total", cache="page", result="hit") == hits + 1
    assert scrape(text, "blogsite_cache_requests_total", cache="query", result="miss") == (
        misses + 1
    )
    assert scrape(text, "blogsite_throttled_requests_total", scope="anon") == throttled + 1
    assert scrape(text, "blogsite_cache_breaker_state", breaker="redis") == 2
    set_breaker_state("closed")
    assert sample("blogsite_cache_breaker_state", breaker="redis") == 0
    with pytest.raises(ValueError, match="breaker state"):
        set_breaker_state("ajar")


def test_metrics_only_for_allowed_addresses_or_staff(
    make_user: Any, auth: Any, client: Any
) -> None:
    assert client.get("/metrics").status_code == 200  # loopback
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "::1"}).status_code == 200
    mapped = {"REMOTE_ADDR": "::ffff:127.0.0.1"}
    assert client.get("/metrics", environ_base=mapped).status_code == 200
    assert client.get("/metrics", environ_base=OUTSIDE).status_code == 403
    make_user(phone_no="+819011112222", password="reader password 1")
    auth.login(phone_no="+819011112222", password="reader password 1")
    assert client.get("/metrics", environ_base=OUTSIDE).status_code == 403  # not staff
    auth.logout()
    make_user(phone_no="+819033334444", password="staff password 12", is_staff=True)
    auth.login(phone_no="+819033334444", password="staff password 12")
    assert client.get("/metrics", environ_base=OUTSIDE).status_code == 200


def test_metrics_allow_setting(sqlite_config: dict[str, Any]) -> None:
    app = create_app({**sqlite_config, "METRICS_ALLOW": "10.0.0.0/8, 203.0.113.5"})
    client = app.test_client()
    assert client.get("/metrics", environ_base=OUTSIDE).status_code == 200
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.9.8.7"}).status_code == 200
    assert client.get("/metrics").status_code == 403  # loopback is no longer listed
    with pytest.raises(ConfigError, match="METRICS_ALLOW"):
        create_app({**sqlite_config, "METRICS_ALLOW": "localhost"})


@pytest.mark.slow
def test_gunicorn_workers_share_metrics_and_log_json(tmp_path: Path) -> None:
    port = free_port()
    conf = tmp_path / "gunicorn.conf.py"
    conf.write_text(
        textwrap.dedent(f"""
            from blogsite.logs import logging_dict_config
            from blogsite.metrics import mark_process_dead

            bind = "127.0.0.1:{port}"
            workers = 2
            logconfig_dict = logging_dict_config("INFO")

            def child_exit(server, worker):
                mark_process_dead(worker.pid)
        """)
    )
    (tmp_path / "prom").mkdir()
    env = {
        **os.environ,
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prom"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'site.sqlite'}",
        "SECRET_KEY": "gunicorn-test-secret",
        "PYTHONPATH": str(ROOT),
    }
    env.pop("REDIS_URL", None)
    out = (tmp_path / "stdout").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(conf), "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        assert wait_for(lambda: _get(base + "/healthz") == 200, timeout=30), "no gunicorn"
        served = 1
        for _ in range(20):
            assert _get(base + "/healthz") == 200
            served += 1
        # Whichever worker answers, it reports the sum over both workers.
        for _ in range(6):
            with urllib.request.urlopen(base + "/metrics", timeout=5) as response:
                text = response.read().decode()
            labels = {"endpoint": "health.healthz", "method": "GET", "status": "200"}
            assert scrape(text, "blogsite_http_requests_total", **labels) == served
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(20)
        out.close()
    lines = (tmp_path / "stdout").read_text().splitlines()
    records = [json.loads(line) for line in lines if line.strip()]  # every line is JSON
    loggers = {r["logger"] for r in records}
    assert {"gunicorn.error", "blogsite.access"} <= loggers
    assert len([r for r in records if r["logger"] == "blogsite.access"]) == served + 6
    pids = {r["message"].rsplit(" ", 1)[-1] for r in records if "Booting worker" in r["message"]}
    assert len(pids) == 2


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return int(response.status)
    except OSError:
        return 0
