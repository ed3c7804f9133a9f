"""What every command shares: settings from the environment and one-line errors."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import click

from cityhub.config import Settings
from cityhub.errors import CityHubError

F = TypeVar("F", bound=Callable[..., Any])
DB_HELP = "Store URL: sqlite:///FILE.db (default from CITYHUB_DATABASE_URL) or postgresql://..."


def _settings(database: str | None) -> Settings:
    settings = Settings.from_env()
    if database:
        from dataclasses import replace

        settings = replace(settings, database_url=database)
    return settings


def one_line_errors(fn: F) -> F:
    """Turn every error into one line on stderr and exit status 1."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except CityHubError as exc:
            click.echo(exc.one_line(), err=True)
            sys.exit(1)
        except OSError as exc:
            click.echo(f"error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), err=True)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]
