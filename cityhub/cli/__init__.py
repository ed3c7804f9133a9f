"""The command line. Each command opens the hub, calls one service, prints.

Errors print one line (`error: ...`) and exit non-zero; never a traceback.
"""

from __future__ import annotations

from pathlib import Path

import click
import orjson

from cityhub.cli.care import care
from cityhub.cli.catalog import catalog
from cityhub.cli.citizen import citizen
from cityhub.cli.common import DB_HELP, _settings, one_line_errors, serve_hub
from cityhub.cli.demo import demo
from cityhub.cli.evaluate import evaluate
from cityhub.cli.history import history
from cityhub.cli.indicators import indicators, targets
from cityhub.cli.keys import keys
from cityhub.cli.survey import survey
from cityhub.cli.voice import voice


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="cityhub")
def main() -> None:
    """cityhub: an open smart-city platform.

    An NGSI-LD context broker with a city's data behind it. Start with
    `cityhub demo` to load the demo city and serve the API and landing page.
    """


@main.command()
@click.option("--database", help=DB_HELP)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, help="Port to listen on.")
@click.option("--simulate/--no-simulate", default=False, help="Run the demo device simulator.")
@click.option(
    "--mqtt",
    "mqtt_url",
    help="MQTT broker to ingest from, e.g. mqtt://127.0.0.1:1883 (default from CITYHUB_MQTT_URL).",
)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    help="Worker processes (PostgreSQL; SQLite serialises writes in one process).",
)
@click.option(
    "--access-log/--no-access-log",
    default=None,
    help="One line per request on standard error (default: on, or CITYHUB_ACCESS_LOG).",
)
@one_line_errors
def serve(
    database: str | None,
    mqtt_url: str | None,
    host: str,
    port: int,
    simulate: bool,
    workers: int,
    access_log: bool | None,
) -> None:
    """Serve the API (/ngsi-ld/v1, /iot, /openapi.json) and the landing page."""
    import socket
    from dataclasses import replace

    settings = _settings(database)
    if access_log is not None:
        settings = replace(settings, access_log=access_log)
    if mqtt_url:
        settings = replace(settings, mqtt_url=mqtt_url)
    if settings.mqtt_url and not settings.mqtt_client_id:
        settings = replace(settings, mqtt_client_id=f"cityhub-{socket.gethostname()}-{port}")
    serve_hub(settings, host, port, simulate, workers)


@main.group()
def tenants() -> None:
    """Tenants (NGSILD-Tenant): mark one private so reads need a key."""


@tenants.command("private")
@click.argument("name")
@click.option("--off", is_flag=True, help="Make the tenant readable by anyone again.")
@click.option("--database", help=DB_HELP)
@one_line_errors
def tenants_private(name: str, off: bool, database: str | None) -> None:
    """Mark tenant NAME private (or public again with --off)."""
    from cityhub.store import open_store

    store = open_store(_settings(database).database_url)
    try:
        store.set_tenant_private(name, not off)
    finally:
        store.close()
    click.echo(f"tenant {name} is now {'public' if off else 'private'}")


@main.group()
def contexts() -> None:
    """JSON-LD @contexts the broker may use offline."""


@contexts.command("add")
@click.argument("url")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--database", help=DB_HELP)
@one_line_errors
def contexts_add(url: str, file: Path, database: str | None) -> None:
    """Preload the @context published at URL from a local FILE."""
    from cityhub.errors import BadRequestData
    from cityhub.store import open_store

    try:
        body = orjson.loads(file.read_bytes())
    except orjson.JSONDecodeError as exc:
        raise BadRequestData(f"{file} is not JSON: {exc}") from exc
    if not isinstance(body, dict) or "@context" not in body:
        raise BadRequestData(f"{file} is not a JSON-LD context document (no @context)")
    store = open_store(_settings(database).database_url)
    try:
        local_id = store.contexts.put_context(url, body, "Cached")
    finally:
        store.close()
    click.echo(f"preloaded {url} as {local_id}")


@main.command()
@click.option("--database", help=DB_HELP)
@one_line_errors
def migrate(database: str | None) -> None:
    """Create or upgrade the store's schema."""
    from cityhub.store import open_store

    url = _settings(database).database_url
    open_store(url).close()
    click.echo(f"schema of {url} is current")


main.add_command(demo)
main.add_command(catalog)
main.add_command(citizen)
main.add_command(voice)
main.add_command(evaluate)
main.add_command(indicators)
main.add_command(targets)
main.add_command(keys)
main.add_command(history)
main.add_command(survey)
main.add_command(care)
