"""Gunicorn settings for blogsite, read from the environment: gunicorn -c gunicorn.conf.py."""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

from gunicorn.glogging import Logger

# Serve (and import blogsite) from this directory, whatever the working directory is.
chdir = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, chdir)


def env_int(name: str, default: int) -> int:
    """Return the integer in environment variable ``name``, or ``default``."""
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


wsgi_app = "wsgi:app"
bind = [os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")]
proc_name = "blogsite"

# Threads overlap the waits on PostgreSQL and Redis; with threads > 1 gunicorn uses the
# gthread worker. Each worker holds its own connection pools, so count connections:
# instances x workers x threads must stay under PostgreSQL's max_connections.
workers = env_int("GUNICORN_WORKERS", 2)
threads = env_int("GUNICORN_THREADS", 4)
timeout = env_int("GUNICORN_TIMEOUT", 30)
# On SIGTERM (docker stop, a rolling update) requests in flight get this long to finish.
graceful_timeout = env_int("GUNICORN_GRACEFUL_TIMEOUT", 20)
keepalive = env_int("GUNICORN_KEEPALIVE", 5)
max_requests = env_int("GUNICORN_MAX_REQUESTS", 0)  # 0: workers are not recycled
max_requests_jitter = max_requests // 10
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"  # heartbeat files off a possibly slow overlay filesystem

# Which peers may tell gunicorn the request was HTTPS (X-Forwarded-Proto), so that
# request.is_secure, HSTS and external URLs are right. BLOGSITE_TRUSTED_PROXIES is the
# number of proxies in front, the same number ProxyFix uses for X-Forwarded-For.
# 0: nobody but a proxy on this machine. >0: any peer, which is safe only because in
# compose.yaml the web containers publish no port and only nginx can reach them.
trusted_proxies = env_int("BLOGSITE_TRUSTED_PROXIES", 0)
forwarded_allow_ips = "*" if trusted_proxies > 0 else "127.0.0.1,::1"
# SCRIPT_NAME/PATH_INFO from the proxy are not needed; accept none of them.
forwarder_headers = ""


class AppAccessLogger(Logger):
    """Gunicorn's logger without its access log: the app writes one JSON record itself."""

    def access(self, resp: Any, req: Any, environ: Any, request_time: Any) -> None:
        """Write nothing (a logconfig_dict would otherwise switch gunicorn's log on)."""


logger_class = AppAccessLogger
accesslog = None
errorlog = "-"
loglevel = os.environ.get("BLOGSITE_LOG_LEVEL", "INFO").lower()


def logging_config() -> dict[str, Any]:
    """Return the app's one JSON logging setup, so gunicorn's own loggers use it too."""
    from blogsite.logs import logging_dict_config

    return logging_dict_config(
        os.environ.get("BLOGSITE_LOG_LEVEL", "INFO").upper(),
        os.environ.get("BLOGSITE_LOG_FILE") or None,
        os.environ.get("BLOGSITE_LOG_HTTP_URL") or None,
        os.environ.get("BLOGSITE_LOG_FORMAT") or "json",
    )


logconfig_dict = logging_config()


def on_starting(server: Any) -> None:
    """Empty the metrics directory of a previous run, and say how the server is set up."""
    metrics_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if metrics_dir:
        # Files left by dead workers of an earlier run would be summed into /metrics.
        os.makedirs(metrics_dir, exist_ok=True)
        for name in os.listdir(metrics_dir):
            if name.endswith(".db"):
                os.remove(os.path.join(metrics_dir, name))
    logging.getLogger("gunicorn.error").info(
        "blogsite: %s worker(s) x %s thread(s), trusted proxies: %s",
        workers, threads, trusted_proxies,
    )  # fmt: skip


def child_exit(server: Any, worker: Any) -> None:
    """Drop a dead worker's live gauges from the multiprocess metrics."""
    from blogsite.metrics import mark_process_dead

    mark_process_dead(worker.pid)
