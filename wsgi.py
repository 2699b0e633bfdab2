"""WSGI entry point for gunicorn: ``gunicorn wsgi:app``."""

from blogsite import create_app

app = create_app()
