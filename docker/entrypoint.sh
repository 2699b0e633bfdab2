#!/bin/sh
# Container entry point: check the configuration, migrate, create the superuser, serve.
# Any other command (flask seed, a shell) runs as given, without these steps.
set -eu
cd "$(dirname "$0")/.."

if [ "${1:-}" = "gunicorn" ]; then
  if [ "${BLOGSITE_ALLOW_UNSAFE:-0}" = "1" ]; then
    python -c "from blogsite.deploy_check import main; main()" \
      || echo "entrypoint: BLOGSITE_ALLOW_UNSAFE=1, starting despite the problems above." >&2
  else
    python -c "from blogsite.deploy_check import main; main()" || {
      echo "entrypoint: refusing to start. Fix the configuration (see .env.example), or" \
           "set BLOGSITE_ALLOW_UNSAFE=1 to start anyway." >&2
      exit 1
    }
  fi
  # Concurrent upgrades from scaled instances wait on a PostgreSQL advisory lock (env.py).
  flask db upgrade
  if [ -n "${BLOGSITE_SUPERUSER_PHONE_NO:-}" ]; then
    flask create-superuser --noinput --skip-existing
  fi
fi

exec "$@"
