"""What every command shares: settings from the environment, one-line errors, serving."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from cityhub.config import Settings
from cityhub.errors import CityHubError

if TYPE_CHECKING:
    from cityhub.app import BackgroundTask
    from cityhub.hub import Hub

F = TypeVar("F", bound=Callable[..., Any])
DB_HELP = "Store URL: sqlite:///FILE.db (default from CITYHUB_DATABASE_URL) or postgresql://..."


FILE = click.Path(path_type=Path, exists=False, dir_okay=False)


@contextmanager
def open_hub(database: str | None) -> Iterator[Hub]:
    """The Hub a command works with (settings from the environment, --database wins)."""
    from cityhub.hub import Hub

    hub: Hub = Hub.open(_settings(database))
    try:
        yield hub
    finally:
        hub.close()


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


# Open dashboard event streams never end by themselves: on shutdown, wait this long for them.
SHUTDOWN_GRACE = 3


def serve_hub(
    settings: Settings,
    host: str,
    port: int,
    simulate: bool,
    workers: int = 1,
    jobs: list[BackgroundTask] | None = None,
) -> None:
    """Serve until interrupted; `jobs` run beside the app (the demo's devices and replay)."""
    import os

    import uvicorn

    click.echo(f"Serving on http://{host}:{port} (press Ctrl-C to stop)", err=True)

    if workers > 1:
        from cityhub.store import open_store

        open_store(settings.database_url).close()  # migrate once, before the workers start
        os.environ["CITYHUB_DATABASE_URL"] = settings.database_url
        os.environ["CITYHUB_MQTT_URL"] = settings.mqtt_url  # each worker gets its own client id
        os.environ["CITYHUB_ACCESS_LOG"] = "1" if settings.access_log else "0"
        uvicorn.run(
            "cityhub.app:app_from_env",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=SHUTDOWN_GRACE,
        )
        return

    from cityhub.app import create_app
    from cityhub.demo.simulate import simulator
    from cityhub.hub import Hub

    hub = Hub.open(settings)
    try:
        app = create_app(hub, [*(jobs or []), *([simulator()] if simulate else [])])
        uvicorn.run(
            app,
            host=host,
            port=port,
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=SHUTDOWN_GRACE,
        )
    finally:
        hub.close()
