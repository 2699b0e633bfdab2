"""Print the settings: ``python -m blogsite.settings table`` (README) or ``env`` (.env.example)."""

from __future__ import annotations

import sys

from .docs import env_file, table

if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else "table"
    if what not in ("table", "env"):
        sys.exit("usage: python -m blogsite.settings [table|env]")
    sys.stdout.write(table() if what == "table" else env_file())
