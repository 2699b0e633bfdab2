"""``flask throttle status`` and ``flask throttle reset``: budgets for operators."""

from __future__ import annotations

from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup

from .budget import ThrottleStorageError, budget_status, reset_budget, seconds_until
from .limiter import current_limiter
from .responses import humanize_seconds
from .settings import describe_rate

throttle_cli = AppGroup("throttle", help="Inspect and reset throttle budgets.")

CLIENT_OPTIONS = [
    click.option("--ip", metavar="ADDR", help="A client address (IPv6 counts per /64)."),
    click.option("--user", "user_id", type=int, metavar="ID", help="A user id."),
    click.option("--phone", metavar="PHONE", help="A phone number tried at log-in."),
]


def client_options(command: Any) -> Any:
    for option in reversed(CLIENT_OPTIONS):
        command = option(command)
    return command


def _one_client(ip: str | None, user_id: int | None, phone: str | None) -> None:
    if sum(value is not None for value in (ip, user_id, phone)) > 1:
        raise click.UsageError("Give one of --ip, --user or --phone, not several.")


def _describe_storage() -> str:
    storage = type(current_limiter().limiter.storage).__name__
    strategy = current_app.config["RATELIMIT_STRATEGY"]
    return f"{storage} ({strategy}), key prefix {current_app.config['THROTTLE_KEY_PREFIX']!r}"


@throttle_cli.command("status")
@client_options
def status(ip: str | None, user_id: int | None, phone: str | None) -> None:
    """Show the remaining budget per limit for a client, or for every tracked client."""
    _one_client(ip, user_id, phone)
    try:
        rows = budget_status(ip, user_id, phone=phone)
    except ValueError as error:
        raise click.UsageError(str(error)) from None
    except ThrottleStorageError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Storage: {_describe_storage()}")
    if ip is None and user_id is None and phone is None:
        for name, rate in current_app.config["THROTTLE_RATES"].items():
            click.echo(f"  {name:<12} {describe_rate(rate)}")
        if not rows:
            click.echo("No client has used any budget (in-memory storage is per process).")
            return
    header = f"{'client':<28} {'throttle':<12} {'limit':<26} {'used':>5} {'left':>5}  resets in"
    click.echo(header)
    for row in rows:
        wait = seconds_until(row["reset_at"])
        resets = "-" if wait is None else humanize_seconds(wait)
        click.echo(
            f"{row['client']:<28} {row['throttle']:<12} {row['limit']:<26} "
            f"{row['used']:>5} {row['remaining']:>5}  {resets}"
        )


@throttle_cli.command("reset")
@client_options
@click.option("--yes", is_flag=True, help="Reset every budget without asking.")
def reset(ip: str | None, user_id: int | None, phone: str | None, yes: bool) -> None:
    """Clear the budgets of a client, or of everyone when no client is given."""
    _one_client(ip, user_id, phone)
    everyone = ip is None and user_id is None and phone is None
    if everyone and not yes:
        click.confirm("Reset the throttle budgets of every client?", abort=True)
    try:
        cleared = reset_budget(ip, user_id, phone=phone)
    except ValueError as error:
        raise click.UsageError(str(error)) from None
    except ThrottleStorageError as error:
        raise click.ClickException(str(error)) from None
    what = "counters" if everyone else "used limits"
    click.echo(f"Cleared {cleared} {what}.")
