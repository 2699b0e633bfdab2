# blogsite: gunicorn serving the Flask app, as an unprivileged user.
# Build and run with compose: docker compose --env-file .env up --detach
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    FLASK_APP=blogsite

WORKDIR /app

RUN groupadd --system --gid 10001 blogsite \
    && useradd --system --uid 10001 --gid blogsite --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin blogsite

# Dependencies in their own layer, rebuilt only when the lock changes: every package
# pinned with its hashes (`make lock`), so the image gets exactly what CI tested.
COPY requirements.lock .
RUN pip install --require-hashes --requirement requirements.lock

# The app runs from the source tree. Files stay owned by root (read-only to the app);
# only instance/ is writable, for instance/config.py-style local state.
COPY . .
# /srv/blogsite/media: a new "media" volume copies this owner, so the app can write it.
RUN mkdir -p instance /srv/blogsite/media \
    && chown blogsite:blogsite instance /srv/blogsite/media \
    && chmod 0755 docker/entrypoint.sh

USER blogsite
EXPOSE 8000
ENTRYPOINT ["/app/docker/entrypoint.sh"]
CMD ["gunicorn", "--config", "gunicorn.conf.py"]
