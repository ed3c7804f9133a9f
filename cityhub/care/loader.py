"""Service points from a CSV file (a city's own register, or one exported from the catalog),
read through a column mapping; coordinates in WGS-84 or, with `gcj02`, converted from the
GCJ-02 offset coordinates Chinese map services give. Every row is checked before any is
stored, and a bad row is named by its line."""

from __future__ import annotations

import csv
from pathlib import Path

from cityhub.care.gcj02 import gcj02_to_wgs84
from cityhub.care.hours import check_hours
from cityhub.care.points import KINDS, ServicePoint
from cityhub.errors import BadRequestData

FIELDS = ("id", "name", "kind", "services", "lat", "lon", "hours", "capacity", "occupancy")
REQUIRED = ("id", "name", "kind", "lat", "lon")
MAX_ROWS = 200_000


def read_points(
    path: Path, mapping: dict[str, str] | None = None, gcj02: bool = False, city: str = ""
) -> list[ServicePoint]:
    columns = {f: f for f in FIELDS} | (mapping or {})
    unknown = set(columns) - set(FIELDS)
    if unknown:
        raise BadRequestData(f"--map knows {', '.join(FIELDS)}, not {sorted(unknown)[0]}")
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise BadRequestData(f"cannot read {path.name}: {exc}") from None
    if len(rows) > MAX_ROWS:
        raise BadRequestData(f"{path.name}: at most {MAX_ROWS:,} points in one file")
    header = set(rows[0]) if rows else set()
    missing = [columns[f] for f in REQUIRED if columns[f] not in header]
    if missing:
        raise BadRequestData(f"{path.name} has no column {missing[0]!r} (use --map)")
    out = []
    for line, row in enumerate(rows, start=2):

        def cell(name: str, row: dict[str, str] = row) -> str:
            return (row.get(columns[name]) or "").strip()

        where = f"{path.name} line {line}"
        kind = cell("kind")
        if kind not in KINDS:
            raise BadRequestData(f"{where}: kind {kind!r} is not one of {', '.join(KINDS)}")
        try:
            lat, lon = float(cell("lat")), float(cell("lon"))
        except ValueError:
            raise BadRequestData(f"{where}: lat and lon must be numbers") from None
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise BadRequestData(f"{where}: ({lat}, {lon}) is not a position")
        if gcj02:
            lon, lat = gcj02_to_wgs84(lon, lat)
        try:
            hours = check_hours(cell("hours") or "24/7")
            capacity = int(cell("capacity")) if cell("capacity") else None
            occupancy = int(cell("occupancy")) if cell("occupancy") else None
        except BadRequestData as exc:
            raise BadRequestData(f"{where}: {exc}") from None
        except ValueError:
            raise BadRequestData(f"{where}: capacity and occupancy are whole numbers") from None
        ident = cell("id")
        if not ident.startswith("urn:"):
            ident = f"urn:ngsi-ld:PointOfInterest:{city or 'city'}:{ident}"
        services = frozenset(s for s in cell("services").replace("，", ",").split(",") if s)
        out.append(
            ServicePoint(ident, cell("name"), kind, services or frozenset({kind}), lon, lat,
                         hours, capacity, occupancy)
        )  # fmt: skip
    return out
