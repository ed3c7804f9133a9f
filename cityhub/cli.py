"""The command line. Each command opens the hub, calls one service, prints.

Errors print one line (`error: ...`) and exit non-zero; never a traceback.
"""

from __future__ import annotations

from pathlib import Path

import click
import orjson

from cityhub.cli_catalog import catalog
from cityhub.cli_citizen import citizen
from cityhub.cli_common import DB_HELP, _settings, one_line_errors
from cityhub.cli_evaluate import evaluate
from cityhub.cli_indicators import indicators, targets
from cityhub.cli_voice import voice
from cityhub.config import Settings


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
@one_line_errors
def serve(
    database: str | None, mqtt_url: str | None, host: str, port: int, simulate: bool, workers: int
) -> None:
    """Serve the API (/ngsi-ld/v1, /iot, /openapi.json) and the landing page."""
    import socket
    from dataclasses import replace

    settings = _settings(database)
    if mqtt_url:
        settings = replace(settings, mqtt_url=mqtt_url)
    if settings.mqtt_url and not settings.mqtt_client_id:
        settings = replace(settings, mqtt_client_id=f"cityhub-{socket.gethostname()}-{port}")
    _serve(settings, host, port, simulate, workers)


# Open dashboard event streams never end by themselves: on shutdown, wait this long for them.
SHUTDOWN_GRACE = 3


def _serve(settings: Settings, host: str, port: int, simulate: bool, workers: int = 1) -> None:
    import os

    import uvicorn

    if workers > 1:
        from cityhub.store import open_store

        open_store(settings.database_url).close()  # migrate once, before the workers start
        os.environ["CITYHUB_DATABASE_URL"] = settings.database_url
        os.environ["CITYHUB_MQTT_URL"] = settings.mqtt_url  # each worker gets its own client id
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
        app = create_app(hub, [simulator()] if simulate else [])
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


@main.command()
@click.option("--database", default="sqlite:///cityhub.db", show_default=True, help=DB_HELP)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, help="Port to listen on.")
@click.option("--devices", default=300, show_default=True, help="Simulated devices to place.")
@click.option(
    "--boundaries",
    type=click.Path(path_type=Path),
    help="District GeoJSON to use instead of the shipped Shenzhen boundaries.",
)
@click.option("--serve/--no-serve", "do_serve", default=True, help="Serve after loading.")
@one_line_errors
def demo(
    database: str, host: str, port: int, devices: int, boundaries: Path | None, do_serve: bool
) -> None:
    """Load the demo city (districts + devices), print a write key and the URLs, serve."""
    from rich.console import Console

    from cityhub.auth.keys import create_key
    from cityhub.demo.catalog import publish_demo_datasets
    from cityhub.demo.city import load_demo_city
    from cityhub.demo.indicators import (
        backfill_history,
        compute_demo_indicators,
        load_bus_stops,
        load_demo_series,
    )
    from cityhub.demo.requests import file_demo_requests
    from cityhub.hub import Hub

    console = Console()
    settings = _settings(database)
    hub = Hub.open(settings)
    try:
        with console.status("Loading the demo city…"):
            n_districts, n_devices = load_demo_city(
                hub.entities, hub.contexts.core, devices, settings.city, boundaries
            )
            # Demo requests are placed in the shipped districts, so only for the shipped city.
            n_requests = 0 if boundaries else file_demo_requests(hub.requests)
        with console.status("Giving the demo city a past and computing its indicators…"):
            load_demo_series(hub)
            if not boundaries:
                load_bus_stops(hub, settings.city)
            if not hub.store.indicator_values("pm25_monthly_mean"):  # once per database
                backfill_history(hub)
            n_values = sum(compute_demo_indicators(hub).values())
        with console.status("Publishing the demo catalogue…"):
            publish_demo_datasets(hub)
            n_datasets = len(hub.catalog.datasets())
        _, secret = create_key(hub.store, "demo", "admin")
    finally:
        hub.close()
    base = f"http://{host}:{port}"
    console.print(
        f"Loaded {n_districts} districts, {n_devices} devices, {n_requests} citizen requests"
        f", {n_values} indicator values and {n_datasets} datasets into {database}"
    )
    console.print(f"Write key (department 'demo'): [bold]{secret}[/bold]")
    console.print(f"Landing page  {base}/")
    console.print(f"NGSI-LD API   {base}/ngsi-ld/v1/entities?type=District")
    console.print(f"Open311       {base}/open311/v2/services.json")
    console.print(f"CKAN API      {base}/api/3/action/package_search")
    console.print(f"DCAT-AP       {base}/catalog.ttl")
    console.print(f"OpenAPI       {base}/openapi.json")
    if do_serve:
        _serve(settings, host, port, simulate=True)


@main.group()
def keys() -> None:
    """API keys: once any key exists, every write needs one."""


@keys.command("create")
@click.option("--department", required=True, help="Department the key acts for.")
@click.option(
    "--role",
    default="staff",
    show_default=True,
    type=click.Choice(["public", "staff", "steward", "admin"]),
    help="Role of the key.",
)
@click.option("--database", help=DB_HELP)
@one_line_errors
def keys_create(department: str, role: str, database: str | None) -> None:
    """Create a key and print its secret (shown only once)."""
    from cityhub.auth.keys import create_key
    from cityhub.store import open_store

    store = open_store(_settings(database).database_url)
    try:
        key_id, secret = create_key(store, department, role)
    finally:
        store.close()
    click.echo(f"{key_id} {secret}")


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
        local_id = store.put_context(url, body, "Cached")
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


main.add_command(catalog)
main.add_command(citizen)
main.add_command(voice)
main.add_command(evaluate)
main.add_command(indicators)
main.add_command(targets)

if __name__ == "__main__":
    main()
