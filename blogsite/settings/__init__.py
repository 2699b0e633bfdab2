"""Every setting of the site, declared once: type, default, environment variable, help.

Each is a field of ``Settings`` (grouped in ``site``, ``services``, ``media`` and ``ops``) made with
``setting(default, help, ...)``. ``config.load_config`` fills ``app.config`` from them
(defaults, environment, ``instance/config.py``, test overrides) and checks each value once
at start-up. ``python -m blogsite.settings table`` prints the README's settings table and
``python -m blogsite.settings env`` the ``.env.example`` file; tests keep both in step.
"""

from __future__ import annotations

from dataclasses import dataclass

from .media import Media
from .ops import DEFAULT_RATES, Operations
from .services import Services
from .site import ADMIN_CSP, SITE_CSP, Site
from .spec import Declared, Spec
from .spec import declared as declared_in

__all__ = ["ADMIN_CSP", "DEFAULT_RATES", "SITE_CSP", "Declared", "Settings", "Spec", "declared"]

# The first setting of each section, in the order of the docs.
SECTIONS = {
    "SECRET_KEY": "Core",
    "TRUSTED_PROXIES": "Security, proxies",
    "REDIS_URL": "Redis",
    "CACHE_ENABLED": "Caching",
    "MEDIA_URL": "Pictures",
    "THROTTLE_RATES": "Throttling",
    "LOG_LEVEL": "Logging, monitoring",
}


@dataclass(frozen=True)
class Settings(Operations, Media, Services, Site):
    """The site's settings, typed; ``app.extensions["settings"]`` holds the loaded one."""


def declared() -> list[Declared]:
    """Return every setting in the order of the docs."""
    return declared_in(Settings, SECTIONS)
