"""``flask cache print|stats|clear``: the original's print_cache (read-only), and more."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from ..extensions import cache
from . import backend
from .breaker import BACKEND_ERRORS
from .generations import ALL, current_state
from .store import LocalStore

cache_cli = AppGroup("cache", help="Inspect and invalidate the cache.")


def backend_name() -> str:
    """Return the name of the configured backend (RedisCache, SimpleCache...)."""
    return backend.backend_name(current_app)


@cache_cli.command("print")
@click.option("--demo", is_flag=True, help="First set hello to World (the original's write).")
def print_command(demo: bool) -> None:
    """Print the backend, whether it answers and the value of hello; write only with --demo."""
    click.echo(f"backend:   {backend_name()}")
    state = current_state()
    if state is None:
        click.echo("hello:     None (caching is off: BLOGSITE_CACHE_ENABLED=0)")
        return
    # Read-only by default: safe to run against a production cache.
    try:
        state.store.ping()
        if demo:
            cache.set("hello", "World")
        value = cache.get("hello")
    except BACKEND_ERRORS as error:
        raise click.ClickException(f"{backend_name()} is unreachable: {error}") from None
    click.echo("reachable: yes")
    if demo:
        click.echo("set:       hello = 'World'")
    click.echo(
        f"hello:     {value!r}" if value is not None else "hello:     not set (--demo sets it)"
    )


@cache_cli.command("stats")
def stats_command() -> None:
    """Print the backend, whether it answers, keys, hits, misses and memory used."""
    from . import cache_status

    status = cache_status()
    click.echo(f"backend:   {status['backend']}")
    click.echo(f"reachable: {'yes' if status['reachable'] else 'no'}")
    click.echo(f"circuit:   {status['breaker']}")
    click.echo(f"prefix:    {current_app.config.get('CACHE_KEY_PREFIX', '')}")
    click.echo(f"keys:      {status['keys']}")
    click.echo(f"hits:      {status['hits']}")
    click.echo(f"misses:    {status['misses']}")
    click.echo(f"memory:    {status['memory'] or 'n/a'}")


@cache_cli.command("clear")
@click.option(
    "--author-id", type=click.IntRange(min=1), default=None, help="Only this author's pages."
)
def clear_command(author_id: int | None) -> None:
    """Invalidate one author's cached reads and pages, or everything (never FLUSHDB)."""
    state = current_state()
    if state is None:
        click.echo("Caching is off (BLOGSITE_CACHE_ENABLED=0); nothing to clear.")
        return
    name = ALL if author_id is None else f"author:{author_id}"
    try:
        state.store.bump([f"gen:{name}"], state.generation_timeout)
    except BACKEND_ERRORS as error:
        raise click.ClickException(f"{backend_name()} is unreachable: {error}") from None
    what = "everything" if author_id is None else f"author {author_id}"
    click.echo(f"Invalidated {what}: generation gen:{name} bumped, no keys deleted.")
    if isinstance(state.store, LocalStore):
        click.echo("Note: the cache is in-process (no REDIS_URL): running workers keep theirs.")
