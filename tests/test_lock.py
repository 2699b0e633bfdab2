"""The lock files pin what requirements*.txt ask for, each with hashes (`make lock`)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)")


def canonical(name: str) -> str:
    """Normalise a project name as PyPI does (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(path: Path) -> dict[str, str]:
    """Return ``{name: version}`` for every ``name==version`` line of a requirements file."""
    found: dict[str, str] = {}
    for line in path.read_text().splitlines():
        match = PIN.match(line)
        if match:
            found[canonical(match[1])] = match[2]
    return found


def entries(path: Path) -> list[str]:
    """Return the lock's requirements, each joined with its continuation lines."""
    text = re.sub(r"\\\n\s*", " ", path.read_text())
    return [line for line in text.splitlines() if line and not line.startswith(("#", " "))]


@pytest.mark.parametrize(
    ("wanted", "lock"),
    [("requirements.txt", "requirements.lock"), ("requirements-dev.txt", "requirements-dev.lock")],
)
def test_lock_pins_what_the_requirements_ask_for(wanted: str, lock: str) -> None:
    locked = pins(ROOT / lock)
    stale = {
        name: (version, locked.get(name)) for name, version in pins(ROOT / wanted).items()
        if locked.get(name) != version
    }  # fmt: skip
    assert not stale, f"{lock} is out of date, run `make lock`: {stale}"


def test_dev_lock_holds_the_runtime_lock() -> None:
    runtime, dev = pins(ROOT / "requirements.lock"), pins(ROOT / "requirements-dev.lock")
    assert {name: dev.get(name) for name in runtime} == runtime


@pytest.mark.parametrize("lock", ["requirements.lock", "requirements-dev.lock"])
def test_every_locked_package_has_a_hash_and_comes_from_an_index(lock: str) -> None:
    lines = entries(ROOT / lock)
    assert len(lines) > 20
    for line in lines:
        assert PIN.match(line), f"not pinned with ==: {line}"
        assert "--hash=sha256:" in line, f"no hash: {line}"
    # A path of this machine's would not resolve on a new laptop.
    assert "file:" not in (ROOT / lock).read_text()
