"""`cityhub demo`: load the demo city into a store, then serve it with everything moving:
devices publishing (over MQTT when a broker answers, in-process otherwise), citizen messages
replayed over time, indicators computed, the catalogue published, the dashboard at /."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import click

from cityhub.cli.common import DB_HELP, _settings, one_line_errors, serve_hub
from cityhub.demo.readings import DEVICE_KINDS

if TYPE_CHECKING:
    from rich.console import Console

    from cityhub.app import BackgroundTask
    from cityhub.hub import Hub

DEFAULT_MQTT = "mqtt://127.0.0.1:1883"
# Raw history the demo keeps of its simulated devices' types (CITYHUB_HISTORY_KEEP overrides):
# six hours (the simulator writes about 86 MB of raw history an hour on SQLite; pruned hourly,
# the store levels off at about 700 MB instead of growing 2 GB a day). Older hours are answered
# from the hourly roll-ups (about 3 MB a day). Other types keep everything.
DEMO_HISTORY_KEEP = ",".join(f"{kind}=0.25" for kind in DEVICE_KINDS)


@click.command()
@click.option("--database", help=DB_HELP)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, help="Port to listen on.")
@click.option("--devices", default=300, show_default=True, help="Simulated devices to place.")
@click.option(
    "--boundaries",
    type=click.Path(path_type=Path),
    help="District GeoJSON to use instead of the shipped Shenzhen boundaries.",
)
@click.option(
    "--mqtt",
    "mqtt_url",
    default=DEFAULT_MQTT,
    show_default=True,
    help="Broker the simulated devices publish to; if none answers there, they update in-process.",
)
@click.option(
    "--messages",
    type=click.Path(path_type=Path),
    help="CSV of citizen messages (title, text) to replay as hotline requests while serving.",
)
@click.option(
    "--replay-every",
    default=15.0,
    show_default=True,
    help="Seconds between two replayed messages.",
)
@click.option(
    "--sentiment-corpus",
    type=click.Path(path_type=Path),
    help="Labelled reviews (label, text) to train the sentiment model on, if none is stored.",
)
@click.option(
    "--routing-corpus",
    type=click.Path(path_type=Path),
    help="Labelled hotline messages (title, text, label) to train the department classifier on, "
    "if none is stored; a category_taxonomy.csv beside it is used too.",
)
@click.option("--serve/--no-serve", "do_serve", default=True, help="Serve after loading.")
@one_line_errors
def demo(
    database: str | None,
    host: str,
    port: int,
    devices: int,
    boundaries: Path | None,
    mqtt_url: str,
    messages: Path | None,
    replay_every: float,
    sentiment_corpus: Path | None,
    routing_corpus: Path | None,
    do_serve: bool,
) -> None:
    """Load the demo city, print the dashboard link (with a key) and the API URLs, serve."""
    from rich.console import Console

    from cityhub.demo.mqtt_devices import broker_reachable
    from cityhub.demo.replay import read_replay_messages
    from cityhub.hub import Hub

    console = Console()
    settings = _settings(database)
    if boundaries is not None:
        settings = replace(settings, district_boundaries=str(boundaries))
    replay = read_replay_messages(messages) if messages is not None else []
    use_mqtt = do_serve and broker_reachable(mqtt_url)
    hub = Hub.open(settings)
    try:
        summary, secret = _load(hub, console, devices, boundaries, sentiment_corpus, routing_corpus)
        jobs = _jobs(hub, console, use_mqtt, mqtt_url, replay, replay_every) if do_serve else []
    finally:
        hub.close()
    base = f"http://{host}:{port}"
    console.print(f"Loaded {summary} into {settings.database_url}", soft_wrap=True)
    console.print(f"Write key (department 'demo', admin): [bold]{secret}[/bold]")
    console.print(f"Dashboard     {base}/#key={secret}")
    console.print(f"API index     {base}/api")
    console.print(f"NGSI-LD API   {base}/ngsi-ld/v1/entities?type=District")
    console.print(f"Open311       {base}/open311/v2/services.json")
    console.print(f"CKAN API      {base}/api/3/action/package_search")
    console.print(f"OpenAPI       {base}/openapi.json")
    if not do_serve:
        console.print("Not serving (--no-serve): start it with 'cityhub serve'")
        return
    if use_mqtt:
        settings = replace(settings, mqtt_url=mqtt_url, mqtt_client_id=f"cityhub-demo-{port}")
    if not settings.history_keep:  # the simulated devices write tens of rows a second
        settings = replace(settings, history_keep=DEMO_HISTORY_KEEP)
    console.print(
        f"Raw history kept: {settings.history_keep} (days; older hours stay as hourly roll-ups)",
        soft_wrap=True,
    )
    serve_hub(settings, host, port, simulate=not use_mqtt, jobs=jobs)


def _load(
    hub: Hub,
    console: Console,
    devices: int,
    boundaries: Path | None,
    sentiment_corpus: Path | None,
    routing_corpus: Path | None = None,
) -> tuple[str, str]:
    from cityhub.auth.keys import create_key
    from cityhub.demo.care import load_demo_points
    from cityhub.demo.catalog import publish_demo_datasets
    from cityhub.demo.city import load_demo_city
    from cityhub.demo.homecare import load_demo_homecare
    from cityhub.demo.indicators import (
        backfill_history,
        compute_demo_indicators,
        load_bus_stops,
        load_demo_series,
    )
    from cityhub.demo.requests import file_demo_requests
    from cityhub.demo.survey import load_demo_proposals, run_demo_survey

    settings = hub.settings
    if routing_corpus is not None and hub.classifiers.current() is None:
        with console.status(f"Training the department classifier on {routing_corpus}…"):
            train_router(hub, routing_corpus)
    with console.status("Loading the demo city…"):
        n_districts, n_devices = load_demo_city(
            hub.entities, hub.contexts.vocabulary, devices, settings.city, boundaries
        )
        n_requests = file_demo_requests(hub.requests)
    if sentiment_corpus is not None and hub.sentiment.current() is None:
        from cityhub.cli.voice import train_from_corpora

        with console.status(f"Training the sentiment model on {sentiment_corpus}…"):
            train_from_corpora(hub.sentiment, [sentiment_corpus])
    with console.status("Giving the demo city a past and computing its indicators…"):
        load_demo_series(hub)
        if not boundaries:
            load_bus_stops(hub, settings.city)
        if not hub.store.indicators.indicator_values("pm25_monthly_mean"):  # once per database
            backfill_history(hub)
        n_values = sum(compute_demo_indicators(hub).values())
    with console.status("Publishing the demo catalogue…"):
        publish_demo_datasets(hub)
    with console.status("Running the demo survey and the proposal board…"):
        n_responses = run_demo_survey(hub)
        load_demo_proposals(hub)
    with console.status("Placing the synthetic community service points…"):
        load_demo_points(hub)
    with console.status("Making the synthetic home-care register and planning today's visits…"):
        load_demo_homecare(hub)
        n_datasets = len(hub.catalog.datasets())
    _, secret = create_key(hub.store, "demo", "admin")
    summary = (
        f"{n_districts} districts, {n_devices} devices, {n_requests} citizen requests, "
        f"{n_values} indicator values, {n_datasets} datasets and "
        f"{n_responses or 'the'} survey responses"
    )
    return summary, secret


def train_router(hub: Hub, labelled: Path) -> int:
    """Train the department classifier on labelled messages (and the category taxonomy beside
    them, when there is one) without cross-validation; returns the stored version."""
    from cityhub.citizen.corpus import read_messages, read_taxonomy

    texts, labels = read_messages(labelled, labelled=True)
    taxonomy_file = labelled.with_name("category_taxonomy.csv")
    taxonomy = list(read_taxonomy(taxonomy_file)) if taxonomy_file.is_file() else []
    version, _ = hub.classifiers.train(texts, labels, taxonomy=taxonomy, folds=0)
    return version


def _jobs(
    hub: Hub,
    console: Console,
    use_mqtt: bool,
    mqtt_url: str,
    replay: list[tuple[str, str, str]],
    replay_every: float,
) -> list[BackgroundTask]:
    from cityhub.demo.mqtt_devices import mqtt_simulator, provision_demo_devices
    from cityhub.demo.replay import replayer

    jobs: list[BackgroundTask] = []
    if use_mqtt:
        devices = provision_demo_devices(hub)
        jobs.append(mqtt_simulator(mqtt_url, devices))
        console.print(f"Devices publish over MQTT to {mqtt_url} ({len(devices)} provisioned)")
    else:
        console.print(f"No MQTT broker at {mqtt_url}: devices update in-process")
    if replay:
        jobs.append(replayer(replay, replay_every))
        console.print(f"Replaying {len(replay)} citizen messages, one every {replay_every:g} s")
    return jobs
