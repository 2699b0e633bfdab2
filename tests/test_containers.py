"""What can be checked of the containers without a Docker engine: compose files,
Dockerfile, nginx, gunicorn settings, .env.example, and the entry point run for real."""

from __future__ import annotations

import json
import os
import re
import runpy
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from blogsite.settings import declared

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILES = ("compose.yaml", "compose.ha.yaml", "compose.s3.yaml")
# ${VAR}, ${VAR:-default}, ${VAR:?error}; $${...} is an escaped, literal dollar.
COMPOSE_VARIABLE = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)")


def load(name: str) -> dict:
    return yaml.safe_load((ROOT / name).read_text())


def documented_variables() -> set[str]:
    """Names in .env.example, set (VAR=) or shown commented out (# VAR=)."""
    text = (ROOT / ".env.example").read_text()
    return set(re.findall(r"^(?:# )?([A-Z][A-Z0-9_]*)=", text, flags=re.MULTILINE))


def test_every_env_example_variable_has_a_comment():
    lines = (ROOT / ".env.example").read_text().splitlines()
    variable = re.compile(r"^(?:# )?[A-Z][A-Z0-9_]*=")
    for number, line in enumerate(lines):
        if variable.match(line):
            # Variables may share the comment above their group.
            above = number - 1
            while above >= 0 and variable.match(lines[above]):
                above -= 1
            comment = lines[above] if above >= 0 else ""
            assert comment.startswith("# ") and "-----" not in comment, line


@pytest.mark.parametrize("name", COMPOSE_FILES)
def test_compose_files_reference_only_documented_variables(name):
    text = (ROOT / name).read_text()
    used = set(COMPOSE_VARIABLE.findall(text))
    assert used, "the compose file takes its secrets from the environment"
    assert used <= documented_variables(), used - documented_variables()


def environment_reads() -> set[str]:
    """Environment variables the code reads by literal name."""
    names: set[str] = set()
    python = [*ROOT.glob("blogsite/**/*.py"), ROOT / "gunicorn.conf.py", ROOT / "wsgi.py"]
    for path in python:
        text = path.read_text()
        # os.environ only: a WSGI environ's keys (HTTP_HOST...) are not settings.
        names |= set(re.findall(r"os\.environ(?:\.get)?[(\[]\s*\"([A-Z][A-Z0-9_]*)\"", text))
        names |= set(re.findall(r"env_int\(\s*\"([A-Z][A-Z0-9_]*)\"", text))
    shell = (ROOT / "docker/entrypoint.sh").read_text()
    names |= set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", shell))
    return names


def test_every_variable_the_code_reads_is_documented():
    # The settings are read by the name each declares (blogsite/settings/).
    reads = environment_reads() | {item.env for item in declared()}
    assert {"DATABASE_URL", "GUNICORN_WORKERS", "BLOGSITE_ALLOW_UNSAFE"} <= reads
    assert reads <= documented_variables(), reads - documented_variables()
    # Read through a loop or as BLOGSITE_ prefixed settings rather than by literal name.
    indirect = {
        "SECRET_KEY", "REDIS_URL", "BLOGSITE_ALLOWED_HOSTS", "BLOGSITE_TRUSTED_PROXIES",
        "BLOGSITE_REDIS_SENTINELS", "BLOGSITE_REDIS_SENTINEL_MASTER", "BLOGSITE_REDIS_PASSWORD",
        "BLOGSITE_SUPERUSER_PHONE_NO", "BLOGSITE_SUPERUSER_PASSWORD", "BLOGSITE_SUPERUSER_EMAIL",
        "BLOGSITE_SECURE_COOKIES", "BLOGSITE_LOG_LEVEL", "BLOGSITE_SITE_URL",
    }  # fmt: skip
    assert indirect <= documented_variables(), indirect - documented_variables()


def test_compose_services_and_ports():
    services = load("compose.yaml")["services"]
    assert set(services) == {"nginx", "web", "db", "redis", "limiter-redis"}
    # nginx is the only way in; web publishes nothing, so --scale web=3 never clashes.
    assert [name for name, service in services.items() if "ports" in service] == ["nginx"]
    assert len(services["nginx"]["ports"]) == 1
    web = services["web"]
    assert web["build"] == "." and "8000" in web["expose"]
    assert web["depends_on"] == {
        "db": {"condition": "service_healthy"},
        "redis": {"condition": "service_healthy"},
        "limiter-redis": {"condition": "service_healthy"},
    }
    assert web["environment"]["BLOGSITE_TRUSTED_PROXIES"] == "1"
    assert web["environment"]["REDIS_URL"].startswith("redis://:${REDIS_PASSWORD")
    assert "container_name" not in web  # a fixed name would forbid scaling
    db = services["db"]
    assert db["image"] == "postgres:17" and "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert any(volume.endswith(":/var/lib/postgresql/data") for volume in db["volumes"])
    redis = services["redis"]
    assert redis["image"].startswith("redis:7")
    assert redis["command"][redis["command"].index("--requirepass") + 1].startswith(
        "${REDIS_PASSWORD"
    )
    assert "ping" in " ".join(redis["healthcheck"]["test"])
    limiter = services["limiter-redis"]
    assert limiter["image"].startswith("redis:7") and "ping" in " ".join(
        limiter["healthcheck"]["test"]
    )
    assert "--requirepass" in limiter["command"]
    nginx_mounts = " ".join(services["nginx"]["volumes"])
    assert "./docker/nginx.conf:" in nginx_mounts and "./static:" in nginx_mounts
    # Uploaded pictures: the app writes the volume nginx serves (read-only there).
    assert "media:/srv/blogsite/media:ro" in services["nginx"]["volumes"]
    assert "media:/srv/blogsite/media" in web["volumes"]
    assert web["environment"]["BLOGSITE_MEDIA_URL"].endswith("file:///srv/blogsite/media}")
    assert "media" in load("compose.yaml")["volumes"]


def test_compose_s3_keeps_pictures_in_seaweedfs():
    base = load("compose.yaml")["services"]
    s3 = load("compose.s3.yaml")
    services = s3["services"]
    assert set(services) == {"seaweedfs", "web"} and "web" in base
    assert not any("ports" in service for service in services.values())
    weed = services["seaweedfs"]
    assert weed["command"][0] == "server" and "-s3" in weed["command"]
    assert "-s3.config=/etc/seaweedfs/s3.json" in weed["command"]
    web = services["web"]["environment"]
    assert web["BLOGSITE_MEDIA_URL"].startswith("s3://")
    assert web["BLOGSITE_S3_ENDPOINT_URL"] == "http://seaweedfs:8333"
    # The app's keys are the only identity SeaweedFS accepts.
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        assert web[name].startswith("${" + name + ":?")
        assert "${" + name + ":?" in s3["configs"]["seaweedfs-s3"]["content"]
    identity = json.loads(re.sub(r"\$\{[^}]*\}", "key", s3["configs"]["seaweedfs-s3"]["content"]))
    assert "Write" in identity["identities"][0]["actions"]
    assert services["web"]["depends_on"] == {"seaweedfs": {"condition": "service_healthy"}}


def test_compose_ha_adds_a_replica_and_three_sentinels():
    base = load("compose.yaml")["services"]
    services = load("compose.ha.yaml")["services"]
    sentinels = [name for name in services if name.startswith("sentinel-")]
    assert len(sentinels) == 3
    assert all(name in base or "image" in service for name, service in services.items())
    assert not any("ports" in service for service in services.values())
    replica = services["redis-replica"]["command"]
    assert replica[replica.index("--replicaof") + 1] == "redis"
    assert "--masterauth" in replica and "--masterauth" in services["redis"]["command"]
    for name in sentinels:
        script = " ".join(services[name]["command"])
        assert "sentinel monitor" in script and "--sentinel" in script
        assert "auth-pass" in script
    web = services["web"]["environment"]
    listed = [node.split(":")[0] for node in web["BLOGSITE_REDIS_SENTINELS"].split(",")]
    assert sorted(listed) == sorted(sentinels)
    assert web["BLOGSITE_REDIS_PASSWORD"].startswith("${REDIS_PASSWORD")
    assert web["REDIS_URL"] == ""  # Sentinel replaces the single URL
    assert set(services["web"]["depends_on"]) == set(sentinels)


def test_dockerfile_installs_requirements_first_and_runs_unprivileged():
    lines = [
        line.strip()
        for line in (ROOT / "Dockerfile").read_text().splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]
    instructions = [line.split()[0].upper() for line in lines]
    image = lines[0].split()[1]
    assert re.fullmatch(r"python:3\.1[1-9][\w.-]*-slim[\w.-]*", image), image

    def index(predicate) -> int:
        return next(n for n, line in enumerate(lines) if predicate(line))

    copy_requirements = index(lambda line: line.startswith("COPY requirements.lock"))
    # The runtime lock only, every package checked against its hashes.
    install = index(
        lambda line: "pip install --require-hashes" in line and "requirements.lock" in line
    )
    copy_app = index(lambda line: line.startswith("COPY . "))
    assert copy_requirements < install < copy_app  # the dependency layer is cached
    user = index(lambda line: line.startswith("USER "))
    assert lines[user].split()[1] not in ("root", "0")
    assert user < instructions.index("ENTRYPOINT") and user < instructions.index("CMD")
    assert "gunicorn" in lines[instructions.index("CMD")]


def test_dockerignore_keeps_secrets_and_local_state_out():
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".env", ".git", ".venv", "instance/*"} <= set(ignored)


def test_nginx_serves_static_and_proxies_with_forwarded_headers():
    conf = (ROOT / "docker/nginx.conf").read_text()
    assert re.search(r"server web:8000\b", conf)
    assert re.search(r"location /static/ \{\s*alias /srv/blogsite/static/;", conf)
    # Pictures from the shared volume with the app's headers; unknown names go to the app.
    media = conf.split('location ~ "^/media/', 1)[1].split("\n    }", 1)[0]
    assert "root /srv/blogsite;" in media and "try_files $uri @blogsite;" in media
    assert 'Cache-Control "public, max-age=31536000, immutable"' in media
    assert 'X-Content-Type-Options "nosniff"' in media
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in conf
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in conf
    assert "proxy_set_header Host $host;" in conf
    assert conf.count("{") == conf.count("}")


def test_nginx_drops_idle_upstream_connections_before_gunicorn_does(monkeypatch):
    conf = (ROOT / "docker/nginx.conf").read_text()
    upstream = re.search(r"upstream blogsite \{(.*?)\}", conf, re.S).group(1)
    idle = re.search(r"keepalive_timeout (\d+)s;", upstream)
    monkeypatch.delenv("GUNICORN_KEEPALIVE", raising=False)
    assert idle and int(idle.group(1)) < gunicorn_settings(monkeypatch)["keepalive"]
    # Kept-alive connections are recycled, so none stays on one worker for good.
    requests = re.search(r"keepalive_requests (\d+);", upstream)
    assert requests and int(requests.group(1)) < 1000  # nginx's default


def gunicorn_settings(monkeypatch, **env: str) -> dict:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(ROOT / "gunicorn.conf.py"))


def test_gunicorn_settings_come_from_the_environment(monkeypatch):
    for name in ("GUNICORN_WORKERS", "GUNICORN_THREADS", "BLOGSITE_TRUSTED_PROXIES"):
        monkeypatch.delenv(name, raising=False)
    default = gunicorn_settings(monkeypatch)
    assert default["bind"] == ["0.0.0.0:8000"] and default["wsgi_app"] == "wsgi:app"
    assert default["workers"] >= 1 and default["threads"] >= 1
    assert default["forwarded_allow_ips"] == "127.0.0.1,::1"
    assert default["accesslog"] is None and default["graceful_timeout"] > 0
    assert isinstance(default["logconfig_dict"], dict) and default["logconfig_dict"]["version"] == 1
    tuned = gunicorn_settings(
        monkeypatch, GUNICORN_WORKERS="3", GUNICORN_THREADS="8", BLOGSITE_TRUSTED_PROXIES="1"
    )
    assert (tuned["workers"], tuned["threads"]) == (3, 8)
    assert tuned["forwarded_allow_ips"] == "*"


def test_gunicorn_accepts_the_configuration():
    result = subprocess.run(
        [str(Path(sys.executable).with_name("gunicorn")), "--config", "gunicorn.conf.py",
         "--print-config"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={**os.environ, "SECRET_KEY": "x" * 40, "GUNICORN_WORKERS": "3"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    printed = dict(
        (key.strip(), value.strip())
        for key, _, value in (line.partition("=") for line in result.stdout.splitlines())
    )
    assert printed["workers"] == "3" and printed["accesslog"] == "None"
    assert printed["logger_class"] == "<AppAccessLogger()>"


def run_entrypoint(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    """Run docker/entrypoint.sh as the container would, with gunicorn only checking."""
    bin_dir = str(Path(sys.executable).parent)
    base = {"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(tmp_path), "LANG": "C.UTF-8"}
    return subprocess.run(
        [str(ROOT / "docker/entrypoint.sh"), "gunicorn", "--check-config", "--config",
         "gunicorn.conf.py"],
        cwd=tmp_path, env={**base, **env}, capture_output=True, text=True, timeout=180,
    )  # fmt: skip


@pytest.mark.slow
def test_entrypoint_refuses_an_unsafe_config_unless_allowed(tmp_path):
    database = tmp_path / "site.sqlite"
    env = {
        "SECRET_KEY": "9f2c4e7a1b3d5f60718293a4b5c6d7e8f9a0b1c2",
        "DATABASE_URL": f"sqlite:///{database}",
    }
    refused = run_entrypoint(tmp_path, **env)
    assert refused.returncode == 1
    assert "The database is SQLite" in refused.stderr and "refusing to start" in refused.stderr
    assert not database.exists()  # nothing was migrated

    allowed = run_entrypoint(
        tmp_path, **env, BLOGSITE_ALLOW_UNSAFE="1",
        BLOGSITE_SUPERUSER_PHONE_NO="+819011112222",
        BLOGSITE_SUPERUSER_PASSWORD="a long admin passphrase",
        BLOGSITE_SUPERUSER_EMAIL="admin@example.com",
    )  # fmt: skip
    assert allowed.returncode == 0, allowed.stderr
    assert "starting despite the problems" in allowed.stderr
    with sqlite3.connect(database) as conn:
        assert conn.execute("SELECT count(*) FROM alembic_version").fetchone() == (1,)
        users = conn.execute("SELECT phone_no, is_superuser FROM users").fetchall()
    assert users == [("+819011112222", 1)]


def option(command: list[str], name: str) -> str:
    return command[command.index(name) + 1]


def test_rate_limit_counters_live_on_a_redis_that_never_evicts():
    """The cache's Redis may drop any key; the limiter's own may drop none."""
    services = load("compose.yaml")["services"]
    web = services["web"]["environment"]
    limiter_url = web["BLOGSITE_LIMITER_REDIS_URL"]
    assert limiter_url.startswith("redis://:${REDIS_PASSWORD")
    assert limiter_url.endswith("@limiter-redis:6379/0")
    assert web["REDIS_URL"].endswith("@redis:6379/0")
    limiter = services["limiter-redis"]["command"]
    assert option(limiter, "--maxmemory-policy") == "noeviction"
    assert option(limiter, "--requirepass").startswith("${REDIS_PASSWORD")
    # The cache keeps an LRU policy over every key, as the README says it may.
    readme = (ROOT / "README.md").read_text()
    advised = re.search(r"`maxmemory-policy (\S+)`\.", readme)
    assert advised and advised[1] == "allkeys-lru"
    assert option(services["redis"]["command"], "--maxmemory-policy") == advised[1]
    comment = (ROOT / "compose.yaml").read_text().split("  redis:\n", 1)[1].split("command:")[0]
    assert "allkeys-lru" in comment and "volatile" not in comment
    # With Sentinel the cache moves to the HA nodes; the limiter stays where it was.
    ha = load("compose.ha.yaml")["services"]
    assert "BLOGSITE_LIMITER_REDIS_URL" not in ha["web"]["environment"]
    assert "limiter-redis" not in ha
    for name in ("redis", "redis-replica"):
        assert option(ha[name]["command"], "--maxmemory-policy") == advised[1]
    for text in ((ROOT / name).read_text() for name in COMPOSE_FILES):
        assert "volatile-lru" not in text
