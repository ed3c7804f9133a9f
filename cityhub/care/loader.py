"""Service points from a CSV or GeoJSON file, or from a catalog dataset (read through the
catalog, so the read is audited), through a column mapping; coordinates in WGS-84 or, with
`gcj02`, converted from the GCJ-02 offset coordinates Chinese map services give. Every row is
checked before any is stored, and a bad row is named by its line."""

from __future__ import annotations

import csv
from pathlib import Path

from cityhub.auth.principal import Principal
from cityhub.care.gcj02 import gcj02_to_wgs84
from cityhub.care.hours import check_hours
from cityhub.care.points import KINDS, ServicePoint
from cityhub.catalog.service import CatalogService
from cityhub.errors import BadRequestData

FIELDS = ("id", "name", "kind", "services", "lat", "lon", "hours", "capacity", "occupancy")
REQUIRED = ("id", "name", "kind", "lat", "lon")
MAX_ROWS = 200_000


def read_points(
    path: Path, mapping: dict[str, str] | None = None, gcj02: bool = False, city: str = ""
) -> list[ServicePoint]:
    """Points from a CSV file, or a GeoJSON file of Point features (their properties are the
    columns; the geometry gives lat and lon)."""
    columns = _columns(mapping)
    if path.suffix.lower() in (".geojson", ".json"):
        rows = _geojson_rows(path, columns)
    else:
        try:
            with path.open(encoding="utf-8-sig", newline="") as handle:
                rows = list(csv.DictReader(handle))
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            raise BadRequestData(f"cannot read {path.name}: {exc}") from None
    return points_from_rows(rows, path.name, columns, gcj02, city)


def _columns(mapping: dict[str, str] | None) -> dict[str, str]:
    columns = {f: f for f in FIELDS} | (mapping or {})
    unknown = set(columns) - set(FIELDS)
    if unknown:
        raise BadRequestData(f"--map knows {', '.join(FIELDS)}, not {sorted(unknown)[0]}")
    return columns


def _geojson_rows(path: Path, columns: dict[str, str]) -> list[dict[str, str]]:
    import orjson

    try:
        doc = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError) as exc:
        raise BadRequestData(f"cannot read {path.name}: {exc}") from None
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise BadRequestData(f"{path.name} is not a GeoJSON FeatureCollection")
    rows = []
    for number, feature in enumerate(doc.get("features") or [], start=1):
        geometry = (feature or {}).get("geometry") or {}
        coords = geometry.get("coordinates") or []
        if geometry.get("type") != "Point" or len(coords) < 2:
            raise BadRequestData(f"{path.name} feature {number}: a Point geometry is needed")
        props = {
            k: "" if v is None else str(v) for k, v in (feature.get("properties") or {}).items()
        }
        props[columns["lon"]], props[columns["lat"]] = str(coords[0]), str(coords[1])
        rows.append(props)
    return rows


def rows_of_dataset(catalog: CatalogService, reader: Principal, key: str) -> list[dict[str, str]]:
    """Every row of a catalog dataset, read through the catalog (audited, masked as the reader
    is), as text."""
    from cityhub.catalog.datastore import MAX_LIMIT, RowQuery

    rows: list[dict[str, str]] = []
    while len(rows) <= MAX_ROWS:
        page = catalog.rows(
            reader, key, RowQuery(limit=MAX_LIMIT, offset=len(rows)), include_total=False
        )
        rows += [{k: "" if v is None else str(v) for k, v in r.items()} for r in page.records]
        if len(page.records) < MAX_LIMIT:
            break
    return rows


def points_from_rows(
    rows: list[dict[str, str]],
    source: str,
    columns: dict[str, str] | None = None,
    gcj02: bool = False,
    city: str = "",
) -> list[ServicePoint]:
    """Points from rows of text (a file's or a catalog dataset's), each checked; a bad row
    is named by its line (the header is line 1)."""
    columns = _columns(columns)
    if len(rows) > MAX_ROWS:
        raise BadRequestData(f"{source}: at most {MAX_ROWS:,} points in one load")
    header = set(rows[0]) if rows else set()
    missing = [columns[f] for f in REQUIRED if columns[f] not in header]
    if missing:
        raise BadRequestData(f"{source} has no column {missing[0]!r} (use --map)")
    out = []
    for line, row in enumerate(rows, start=2):

        def cell(name: str, row: dict[str, str] = row) -> str:
            return (row.get(columns[name]) or "").strip()

        where = f"{source} line {line}"
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
