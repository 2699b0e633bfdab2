"""Structured logs: log_event, the request id, the access record, formats and handlers."""

from __future__ import annotations

import logging
import logging.handlers
import threading
from typing import Any

import pytest

from blogsite import create_app
from blogsite.config import ConfigError
from blogsite.extensions import db
from blogsite.logs import current_txid, log_event, logging_dict_config
from blogsite.models import Blog

from .logtools import LogFile, parse_lines

UUID4 = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"


def test_log_event_writes_one_json_record(log_file: LogFile, app: Any) -> None:
    with app.test_request_context("/somewhere?x=1", method="POST"):
        app.preprocess_request()
        log_event("signup_started", {"step": 1, "plan": "free"})
        txid = current_txid()
    [record] = log_file.records(ev="signup_started")
    assert record["data"] == {"step": 1, "plan": "free"}
    assert record["level"] == "INFO" and record["logger"] == "blogsite.events"
    assert record["txid"] == txid and record["method"] == "POST" and record["path"] == "/somewhere"
    assert record["ts"].endswith("+00:00") and record["ts"][:4].isdigit()
    assert "uid" not in record  # nobody is logged in


def test_log_event_level_and_logger(log_file: LogFile, app: Any) -> None:
    log_event("disk_low", {"free_mb": 12}, logger="blogsite.ops", level="warning")
    [record] = log_file.records(ev="disk_low")
    assert record["level"] == "WARNING" and record["logger"] == "blogsite.ops"
    assert record["txid"] is None  # outside a request


def test_log_event_never_raises(log_file: LogFile, app: Any, capsys: Any) -> None:
    class Opaque:
        def __repr__(self) -> str:
            return "<Opaque 7>"

    looped: dict[str, Any] = {"name": "loop"}
    looped["self"] = looped
    log_event("odd_data", {"thing": Opaque(), "ok": 3, "nan": float("nan")})
    log_event("looped", looped)
    log_event("bad_level", {"a": 1}, level="LOUD")
    log_event("bad_logger", {"a": 1}, logger=123)  # type: ignore[arg-type]

    [odd] = log_file.records(ev="odd_data")
    assert odd["data"] == {"thing": "<Opaque 7>", "ok": 3, "nan": "nan"}
    [looped_record] = log_file.records(ev="looped")
    assert looped_record["data"]["name"] == "loop"
    [loud] = log_file.records(ev="bad_level")
    assert loud["level"] == "INFO"
    err = capsys.readouterr().err
    # Each failure is reported, not swallowed.
    assert "odd_data" in err and "not JSON-serialisable" in err
    assert "looped" in err and "unknown level 'LOUD'" in err
    assert "could not log event 'bad_logger'" in err


@pytest.mark.parametrize(
    ("header", "kept"),
    [
        ("abc-123_XYZ", True),
        ("a" * 64, True),
        ("a" * 65, False),
        ("", False),
        ("has space", False),
        ("semi;colon", False),
        ("é-unicode", False),
        ("<script>", False),
    ],
)
def test_request_id_from_header_or_new_uuid4(
    log_file: LogFile, client: Any, header: str, kept: bool
) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": header})
    echoed = response.headers["X-Request-ID"]
    if kept:
        assert echoed == header
    else:
        import re

        assert re.fullmatch(UUID4, echoed), echoed
    [access] = log_file.records(logger="blogsite.access")
    assert access["txid"] == echoed


def test_each_request_gets_its_own_id(client: Any) -> None:
    ids = {client.get("/healthz").headers["X-Request-ID"] for _ in range(5)}
    assert len(ids) == 5


def test_concurrent_requests_never_see_each_others_id(log_file: LogFile, app: Any) -> None:
    both_inside = threading.Barrier(2, timeout=10)

    @app.get("/_test/ids")
    def ids() -> dict[str, Any]:
        before = current_txid()
        log_event("ids_before", {})
        both_inside.wait()  # the two requests are now in flight at the same time
        log_event("ids_after", {})
        return {"before": before, "after": current_txid()}

    results: dict[str, Any] = {}

    def call(request_id: str) -> None:
        response = app.test_client().get("/_test/ids", headers={"X-Request-ID": request_id})
        results[request_id] = (response.headers["X-Request-ID"], response.get_json())

    threads = [threading.Thread(target=call, args=(rid,)) for rid in ("req-a", "req-b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(15)
    for rid in ("req-a", "req-b"):
        assert results[rid] == (rid, {"before": rid, "after": rid})
        for ev in ("ids_before", "ids_after"):
            assert len(log_file.records(ev=ev, txid=rid)) == 1
    assert current_txid() is None  # nothing leaks out of a request


def test_access_record_per_request(log_file: LogFile, client: Any, make_blog: Any) -> None:
    make_blog("Hello")
    client.get("/?page=1&q=secret-search-words", headers={"X-Request-ID": "acc-1"})
    client.get("/blog/nope/", headers={"X-Request-ID": "acc-2"})
    [ok] = log_file.records(logger="blogsite.access", txid="acc-1")
    assert ok["method"] == "GET" and ok["path"] == "/" and ok["status"] == 200
    assert ok["query"] == ["page", "q"] and ok["endpoint"] == "blog.index"
    assert isinstance(ok["duration_ms"], float) and ok["duration_ms"] >= 0
    assert ok["throttled"] is False and ok["cache"] == "MISS"
    assert "secret-search-words" not in log_file.text()  # query values are never logged
    [missing] = log_file.records(logger="blogsite.access", txid="acc-2")
    assert missing["status"] == 404
    assert len(log_file.records(logger="blogsite.access")) == 2


def test_access_record_reports_a_bare_429_as_not_throttled(log_file: LogFile, app: Any) -> None:
    # Only a throttle's refusal counts as throttled (tests/test_access_outcomes.py); a
    # view's own 429 is not one, and a header a view sets is not the cache's outcome.
    from flask import abort

    @app.get("/_test/cached")
    def cached() -> Any:
        return "hi", 200, {"X-Cache": "HIT"}

    @app.get("/_test/throttled")
    def throttled() -> Any:
        abort(429)

    client = app.test_client()
    client.get("/_test/cached")
    client.get("/_test/throttled")
    [hit] = log_file.records(logger="blogsite.access", path="/_test/cached")
    assert hit["cache"] == "BYPASS" and hit["throttled"] is False
    [refused] = log_file.records(logger="blogsite.access", path="/_test/throttled")
    assert refused["status"] == 429 and refused["throttled"] is False


def test_uid_when_logged_in(
    log_file: LogFile, client: Any, auth: Any, make_user: Any, app: Any
) -> None:
    user_id = make_user()
    auth.login()
    client.get("/", headers={"X-Request-ID": "as-user"})
    [record] = log_file.records(logger="blogsite.access", txid="as-user")
    assert record["uid"] == user_id
    [login] = log_file.records(logger="blogsite.access", path="/auth/login")
    assert login["uid"] == user_id  # the login request itself, after the login
    auth.logout()
    client.get("/", headers={"X-Request-ID": "after-logout"})
    [anonymous] = log_file.records(logger="blogsite.access", txid="after-logout")
    assert "uid" not in anonymous


def test_blogs_logs_page_logs_its_event(
    log_file: LogFile, client: Any, make_blog: Any, app: Any
) -> None:
    make_blog("First post", author_name="test")
    with app.app_context():
        author_id = db.session.scalar(db.select(Blog.author_id))
    for _ in range(2):  # logs on every request: never served from a page cache
        response = client.get(f"/blog/blogs_logs/?author_id={author_id}")
        assert response.status_code == 200 and b"First post" in response.data
        assert response.headers["Cache-Control"] == "no-store"
    events = log_file.records(ev="get_blogs_by_author")
    assert [e["data"] for e in events] == [{"author_id": author_id}] * 2
    assert events[0]["path"] == "/blog/blogs_logs/"


@pytest.mark.parametrize(
    ("query", "status"),
    [("", 400), ("?author_id=abc", 400), ("?author_id=-1", 400), ("?author_id=0", 400),
     ("?author_id=999", 404), ("?author_id=99999999999999999999", 404), ("?author_id=1.5", 400)],
)  # fmt: skip
def test_blogs_logs_bad_author_id(log_file: LogFile, client: Any, query: str, status: int) -> None:
    assert client.get(f"/blog/blogs_logs/{query}").status_code == status
    assert log_file.records(ev="get_blogs_by_author") == []


def test_unhandled_error_one_record_with_traceback(
    log_file: LogFile, app: Any, app_config: dict[str, Any]
) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/_test/boom")
    def boom() -> str:
        db.session.add(Blog(title="half written", slug="half", content="x", author_id=None))
        raise RuntimeError("exploded while serving grace@example.com")

    response = app.test_client().get("/_test/boom", headers={"X-Request-ID": "boom-1"})
    assert response.status_code == 500
    assert b"boom-1" in response.data and b"quote this id" in response.data
    errors = [r for r in log_file.records(txid="boom-1") if "exc_info" in r]
    assert len(errors) == 1
    assert errors[0]["level"] == "ERROR" and errors[0]["logger"] == "blogsite"
    assert "Traceback" in errors[0]["exc_info"] and "RuntimeError" in errors[0]["exc_info"]
    assert "grace@example.com" not in log_file.text()
    with app.app_context():  # the session was rolled back, nothing half-written remains
        assert db.session.scalar(db.select(Blog).filter_by(slug="half")) is None


def test_json_error_responses_carry_the_request_id(client: Any) -> None:
    response = client.get(
        "/blog/missing/", headers={"Accept": "application/json", "X-Request-ID": "json-404"}
    )
    assert response.status_code == 404 and response.get_json()["request_id"] == "json-404"


def test_every_logger_writes_the_same_json(log_file: LogFile, app: Any) -> None:
    logging.getLogger("werkzeug").info("Running on http://127.0.0.1:5000")
    logging.getLogger("werkzeug").info('127.0.0.1 - - [date] "%s" %s %s', "GET /x HTTP/1.1", 200, 5)
    logging.getLogger("gunicorn.error").info("Booting worker with pid: %s", 42)
    logging.getLogger("gunicorn.access").info("duplicate access line")
    logging.getLogger("sqlalchemy.engine").warning("a library warning")
    app.logger.warning("flask's own logger")
    # Without Redis the cache's start-up notice is in the file too; it is not under test here.
    names = [r["logger"] for r in log_file.records() if r["logger"] != "blogsite.caching"]
    assert names == ["werkzeug", "gunicorn.error", "sqlalchemy.engine", "blogsite"]
    assert "GET /x" not in log_file.text()  # the server's request line: we write our own


def test_stdout_is_the_default_handler(app: Any, capsys: Any) -> None:
    log_event("to_stdout", {"n": 1})
    [record] = [r for r in parse_lines(capsys.readouterr().out) if r.get("ev") == "to_stdout"]
    assert record["data"] == {"n": 1}


def test_log_level_setting(log_file: LogFile, app_config: dict[str, Any]) -> None:
    app_config["LOG_LEVEL"] = "warning"
    app = create_app(app_config)
    app.test_client().get("/healthz")
    log_event("quiet", {})
    log_event("loud", {}, level="ERROR")
    assert [r.get("ev") for r in log_file.records() if r["level"] != "WARNING"] == ["loud"]


def test_bad_log_settings_are_clear_errors(app_config: dict[str, Any], tmp_path: Any) -> None:
    with pytest.raises(ConfigError, match="LOG_LEVEL"):
        create_app({**app_config, "LOG_LEVEL": "CHATTY"})
    with pytest.raises(ConfigError, match="LOG_FILE"):
        create_app({**app_config, "LOG_FILE": str(tmp_path / "no" / "such" / "dir.log")})
    with pytest.raises(ConfigError, match="LOG_HTTP_URL"):
        create_app({**app_config, "LOG_HTTP_URL": "ftp://collector"})


def test_file_handler_rotates_like_the_original(log_file: LogFile, app: Any) -> None:
    handlers = logging.getLogger().handlers
    [rotating] = [h for h in handlers if isinstance(h, logging.handlers.RotatingFileHandler)]
    assert rotating.maxBytes == 10 * 1024 * 1024 and rotating.backupCount == 10
    assert rotating.baseFilename == str(log_file.path)


def test_dict_config_for_gunicorn_has_redaction_on_every_handler() -> None:
    config = logging_dict_config("INFO", "/tmp/x.log", "http://127.0.0.1:9/logs")
    assert set(config["handlers"]) == {"stdout", "file", "http"}
    for handler in config["handlers"].values():
        assert handler["filters"] == ["context", "redact"] and handler["formatter"] == "json"
    assert config["root"]["handlers"] == ["stdout", "file", "http"]
    assert {"gunicorn.error", "gunicorn.access", "werkzeug"} <= set(config["loggers"])
    assert config["disable_existing_loggers"] is False


def test_real_threaded_server_logs_one_line_per_request(log_file: LogFile, app: Any) -> None:
    import urllib.request

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/healthz?token=leaky-query-value"
        for rid in ("srv-1", "srv-2"):
            request = urllib.request.Request(url, headers={"X-Request-ID": rid})
            with urllib.request.urlopen(request, timeout=5) as response:
                assert response.headers["X-Request-ID"] == rid
    finally:
        server.shutdown()
        thread.join(5)
    access = log_file.records(logger="blogsite.access")
    assert [r["txid"] for r in access] == ["srv-1", "srv-2"]
    assert log_file.records(logger="werkzeug") == []  # its request line is dropped
    assert "leaky-query-value" not in log_file.text()
