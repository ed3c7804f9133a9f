"""`cityhub care`: community care — service points (`load`, `nearest`), the life circle
(`coverage`) and the planning of caregivers' visits (`schedule` from Solomon files, `plan` from
the platform's own orders)."""

from __future__ import annotations

from pathlib import Path

import click

from cityhub.cli.common import one_line_errors


@click.group()
def care() -> None:
    """Community care: service points and home-care visit scheduling."""


@care.command("schedule")
@click.option(
    "--solomon",
    "solomon",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Visits and caregivers in the Solomon VRPTW text format (e.g. C101).",
)
@click.option(
    "--time-limit",
    default=30.0,
    show_default=True,
    type=click.FloatRange(0.1, 3600),
    help="Seconds the solver may search.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
@one_line_errors
def schedule(solomon: Path, time_limit: float, as_json: bool) -> None:
    """Plan the visits as a vehicle-routing problem with time windows: fewest caregivers
    first, then the shortest distance; the plan is checked on its own (every visit once,
    capacity, time windows, shifts) before it is called feasible."""
    from cityhub.care.routing import check, solve
    from cityhub.care.solomon import read_solomon

    problem = read_solomon(solomon)
    click.echo(
        f"{problem.name}: {len(problem.stops)} visits, up to {len(problem.carers)} caregivers; "
        f"searching for {time_limit:g} s…",
        err=True,
    )
    plan = solve(problem, time_limit)
    problems = check(problem, plan)
    summary = {
        "vehicles": plan.vehicles,
        "distance": round(plan.distance, 2),
        "feasible": not problems,
    }
    if as_json:
        import orjson

        doc = {
            **summary,
            "problem": problem.name,
            "seconds": round(plan.seconds, 2),
            "problems": problems,
            "routes": [
                {"vehicle": r.carer, "stops": r.stops, "distance": round(r.distance, 2)}
                for r in plan.routes
            ],
        }
        click.echo(orjson.dumps(doc).decode())
    else:
        for r in plan.routes:
            click.echo(f"{r.carer}\t{r.distance:8.2f}\t0 → {' → '.join(r.stops)} → 0")
        click.echo(
            f"{plan.vehicles} caregivers, distance {plan.distance:.2f}, "
            f"{'feasible' if not problems else 'NOT feasible: ' + problems[0]}"
        )
    if problems:
        raise SystemExit(1)


@care.command("plan")
@click.option("--department", required=True, help="The serving department, e.g. 福田区民政局.")
@click.option("--day", "day_text", help="The city's day, YYYY-MM-DD (default today).")
@click.option(
    "--time-limit",
    default=10.0,
    show_default=True,
    type=click.FloatRange(1, 600),
    help="Seconds the solver may search.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
@click.option("--database", help="Store URL (default: CITYHUB_DATABASE_URL or the demo's).")
@one_line_errors
def plan_command(
    department: str, day_text: str | None, time_limit: float, as_json: bool, database: str | None
) -> None:
    """Plan a department's open home-care visits for a day over its caregivers on duty (the
    platform's own orders; `schedule` reads Solomon files). Each visit gets its caregiver
    and planned start; what cannot be fitted stays open and is listed."""
    import datetime as dt

    from cityhub.auth.principal import Principal
    from cityhub.cli.common import open_hub
    from cityhub.errors import BadRequestData
    from cityhub.timeutil import city_today

    with open_hub(database) as hub:
        try:
            day = dt.date.fromisoformat(day_text) if day_text else city_today(hub.settings.timezone)
        except ValueError:
            raise BadRequestData("--day is YYYY-MM-DD") from None
        click.echo(f"planning {department}'s visits on {day} for {time_limit:g} s…", err=True)
        made = hub.homecare.plan_day(Principal("cli", department, "admin"), day, time_limit)
    if as_json:
        import orjson

        click.echo(orjson.dumps(made).decode())
        return
    for r in made["routes"]:
        pairs = zip(r["orders"], r["starts"], strict=True)
        stops = ", ".join(f"{start[11:16]} #{o}" for o, start in pairs)
        click.echo(f"{r['caregiver']}\t{r['rideMinutes']:6.1f} min riding\t{stops}")
    click.echo(
        f"{made['visits']} visits, {len(made['routes'])} caregivers, "
        f"{len(made['unassigned'])} left open"
        + (f" ({', '.join(f'#{o}' for o in made['unassigned'])})" if made["unassigned"] else "")
    )


@care.command("load")
@click.argument(
    "path", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--dataset", help="Read the points from this catalog dataset instead of a file.")
@click.option(
    "--map",
    "mapping",
    multiple=True,
    metavar="FIELD=COLUMN",
    help="Which column holds a field (id, name, kind, services, lat, lon, hours, capacity, "
    "occupancy); default: the field's own name.",
)
@click.option("--gcj02", is_flag=True, help="Coordinates are GCJ-02 (converted to WGS-84).")
@click.option("--database", help="Store URL (default: CITYHUB_DATABASE_URL or the demo's).")
@one_line_errors
def load(
    path: Path | None, dataset: str | None, mapping: tuple[str, ...], gcj02: bool,
    database: str | None,
) -> None:  # fmt: skip
    """Load service points (社康中心, 长者饭堂, AEDs…) from PATH (.csv or .geojson) or a
    catalog --dataset as PointOfInterest entities, with opening hours in the OpenStreetMap
    syntax and capacity."""
    from cityhub.auth.principal import OPERATOR
    from cityhub.care.loader import points_from_rows, read_points, rows_of_dataset
    from cityhub.cli.common import open_hub
    from cityhub.errors import BadRequestData

    if (path is None) == (dataset is None):
        raise BadRequestData("give a file or --dataset (one of them)")
    pairs = {}
    for item in mapping:
        field, _, column = item.partition("=")
        if not field or not column:
            raise click.BadParameter(f"--map takes FIELD=COLUMN, not {item!r}")
        pairs[field.strip()] = column.strip()
    with open_hub(database) as hub:
        if dataset is not None:
            rows = rows_of_dataset(hub.catalog, OPERATOR, dataset)
            points = points_from_rows(rows, dataset, pairs, gcj02, hub.settings.city)
        else:
            assert path is not None
            points = read_points(path, pairs, gcj02, hub.settings.city)
        saved = hub.care.save(points)
    click.echo(f"{saved:,} service points loaded from {dataset or path}")


@care.command("nearest")
@click.option("--lat", type=click.FloatRange(-90, 90))
@click.option("--lon", type=click.FloatRange(-180, 180))
@click.option("--address", help="A district or street instead of --lat/--lon.")
@click.option("--service", help="A service or kind, e.g. elderly_canteen.")
@click.option("--at", "at_text", help="When (ISO 8601, the city's zone); default now.")
@click.option("-n", "count", default=5, show_default=True, type=click.IntRange(1, 50))
@click.option("--capacity", is_flag=True, help="Only points with free capacity.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--database", help="Store URL (default: CITYHUB_DATABASE_URL or the demo's).")
@one_line_errors
def nearest(
    lat: float | None,
    lon: float | None,
    address: str | None,
    service: str | None,
    at_text: str | None,
    count: int,
    capacity: bool,
    as_json: bool,
    database: str | None,
) -> None:
    """The nearest open service points to a place, by walking time (or one bus line when the
    city's CITYHUB_BUS_NETWORK is set and the bus is faster)."""
    from cityhub.care.views import METHOD, found_view
    from cityhub.cli.common import open_hub
    from cityhub.errors import BadRequestData
    from cityhub.timeutil import parse_datetime

    if address is None and (lat is None or lon is None):
        raise BadRequestData("give --lat and --lon, or --address")
    with open_hub(database) as hub:
        if address is not None:
            lat, lon, _ = hub.care.place(address)
        assert lat is not None and lon is not None
        at = None
        if at_text:
            try:
                at = parse_datetime(at_text, hub.settings.timezone)
            except ValueError as exc:
                raise BadRequestData(f"--at: {exc}") from None
        found = hub.care.nearest(lat, lon, service, at, count, True, capacity)
    if as_json:
        import orjson

        doc = {"method": METHOD, "points": [found_view(f) for f in found]}
        click.echo(orjson.dumps(doc).decode())
        return
    for f in found:
        free = "" if f.point.free is None else f"  free {f.point.free}"
        way = "" if f.ride is None else f"  by {f.ride.line}: {f.ride.board} → {f.ride.alight}"
        click.echo(
            f"{f.fastest:5.1f} min  {f.metres:6.0f} m  {f.point.name}  ({f.point.kind}){free}{way}"
        )
    if not found:
        click.echo("no open point offers that near here", err=True)


def _table(path: Path, need: tuple[str, ...]) -> list[dict[str, str]]:
    import csv

    from cityhub.errors import BadRequestData

    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise BadRequestData(f"cannot read {path.name}: {exc}") from None
    missing = [c for c in need if rows and c not in rows[0]]
    if not rows or missing:
        raise BadRequestData(f"{path.name} needs the columns {', '.join(need)}")
    return rows


def _numbers(rows: list[dict[str, str]], column: str, name: str) -> list[float]:
    from cityhub.errors import BadRequestData

    out = []
    for line, row in enumerate(rows, start=2):
        try:
            out.append(float(row[column]))
        except ValueError:
            raise BadRequestData(f"{name} line {line}: {column} must be a number") from None
    return out


@care.command("coverage")
@click.option(
    "--residents",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="CSV of resident points: lat, lon, people, area (a street or district).",
)
@click.option("--kind", required=True, help="The facility kind, e.g. day_care_centre.")
@click.option(
    "--minutes",
    type=click.Choice(["5", "10", "15"]),
    help="The life circle (300 / 500 / 1,000 m of walking); default: the kind's own.",
)
@click.option(
    "--candidates",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="CSV of candidate sites (lat, lon[, name]) for new facilities.",
)
@click.option("--add", type=click.IntRange(1, 100), help="How many new facilities to site.")
@click.option(
    "--streets",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="An OpenStreetMap extract (.osm) to walk along (default: CITYHUB_STREET_NETWORK).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--database", help="Store URL (default: CITYHUB_DATABASE_URL or the demo's).")
@one_line_errors
def coverage_command(
    residents: Path, kind: str, minutes: str | None, candidates: Path | None,
    add: int | None, streets: Path | None, as_json: bool, database: str | None,
) -> None:  # fmt: skip
    """The 15-minute life circle (GB/T 50180-2018): the share of residents within walking
    reach of the kind's service points, by area, the gaps first; with --candidates and --add,
    where new facilities would cover the most residents (maximal covering location)."""
    import numpy as np

    from cityhub.care.coverage import CIRCLES, WALK_M, Residents, best_sites, coverage
    from cityhub.care.points import KINDS
    from cityhub.care.streets import StreetNetwork
    from cityhub.cli.common import open_hub
    from cityhub.errors import BadRequestData

    if kind not in KINDS:
        raise BadRequestData(f"kind must be one of {', '.join(KINDS)}")
    if (candidates is None) != (add is None):
        raise BadRequestData("--candidates and --add go together")
    metres = WALK_M[int(minutes) if minutes else CIRCLES.get(kind, 15)]
    rows = _table(residents, ("lat", "lon", "people", "area"))
    people = Residents(
        np.array(_numbers(rows, "lat", residents.name)),
        np.array(_numbers(rows, "lon", residents.name)),
        np.array(_numbers(rows, "people", residents.name)),
        [r["area"] for r in rows],
    )
    with open_hub(database) as hub:
        sites = [(p.lat, p.lon) for p in hub.care.index().points if p.kind == kind]
        network = StreetNetwork.load(streets) if streets is not None else hub.care.streets()
    _, areas = coverage(people, sites, metres, network)
    doc: dict[str, object] = {
        "kind": kind,
        "walking_metres": metres,
        "along_streets": network is not None,
        "facilities": len(sites),
        "areas": [
            {
                "area": a.area,
                "people": a.people,
                "covered": a.covered,
                "share": round(a.share, 4),
                "left_out": a.left_out,
            }
            for a in areas
        ],
    }
    if candidates is not None and add is not None:
        spots = _table(candidates, ("lat", "lon"))
        places = list(
            zip(
                _numbers(spots, "lat", candidates.name),
                _numbers(spots, "lon", candidates.name),
                strict=True,
            )
        )
        siting = best_sites(people, sites, places, metres, add, streets=network)
        doc["siting"] = {
            "chosen": [{"lat": places[j][0], "lon": places[j][1], "name": spots[j].get("name", "")}
                       for j in siting.chosen],
            "covered_before": siting.covered_before,
            "covered_after": siting.covered_after,
            "gained": siting.gained,
        }  # fmt: skip
    if as_json:
        import orjson

        click.echo(orjson.dumps(doc).decode())
        return
    click.echo(f"{kind} within {metres:g} m of walking, {len(sites)} facilities")
    for a in areas:
        click.echo(f"{a.area}\t{a.share:6.1%}\t{a.left_out:>10,.0f} left out of {a.people:,.0f}")
    if "siting" in doc:
        s = siting
        names = ", ".join(spots[j].get("name") or f"#{j + 1}" for j in s.chosen)
        click.echo(f"new sites: {names}; {s.gained:,.0f} more residents covered")
