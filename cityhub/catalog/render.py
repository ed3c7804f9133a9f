"""Datasets, resources and departments as CKAN dictionaries (the catalog's one public shape,
used by the CKAN action API and /catalog/v1 alike)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson

from cityhub.catalog.classify import SHARE_TYPES
from cityhub.catalog.metadata import LICENSE_TITLES, LICENSES
from cityhub.store.catalog_sql import DatasetRecord, VersionRecord
from cityhub.timeutil import iso_local

MEDIA = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
    "geojson": "application/geo+json",
    "parquet": "application/vnd.apache.parquet",
}
GOVERNANCE_EXTRAS = ("share_type", "share_type_text", "open_type", "grade", "level")


def _time(us: int, tz: str | None) -> str:
    """The city's local time with its offset; with no zone (tz None), CKAN's own form: naive
    UTC with microseconds, as CKAN clients and harvesters parse it."""
    if tz is None:
        moment = datetime.fromtimestamp(us / 1_000_000, UTC).replace(tzinfo=None)
        return moment.isoformat(timespec="microseconds")
    return iso_local(us, tz)


def org_dict(name: str, doc: dict[str, Any], created_us: int, tz: str | None) -> dict[str, Any]:
    return {
        "id": name,
        "name": name,
        "title": doc.get("title") or name,
        "title_en": doc.get("title_en") or "",
        "display_name": doc.get("title") or name,
        "description": doc.get("description") or "",
        "type": "organization",
        "is_organization": True,
        "state": "active",
        "approval_status": "approved",
        "created": _time(created_us, tz),
    }


def resource_dict(
    d: DatasetRecord, v: VersionRecord | None, base_url: str, tz: str | None
) -> dict[str, Any]:
    """The dataset's one resource: the current version as a CSV, masked for each reader as the
    catalog masks it. `hash` and `size` stay empty because what `url` serves differs by reader
    (and by format) — a digest of it would fail every client's check; the uploaded file's are
    `source_hash` and `source_size`."""
    url = f"{base_url}/catalog/v1/datasets/{d.name}/download?format=csv"
    return {
        "id": d.resource_id,
        "package_id": d.id,
        "name": d.doc.get("title") or d.name,
        "description": d.doc.get("description") or "",
        "format": "CSV",
        "mimetype": "text/csv",
        "url": url,
        "url_type": "datastore",
        "datastore_active": v is not None,
        "state": "active",
        "position": 0,
        "size": None,
        "hash": "",
        "source_size": None if v is None else v.bytes,
        "source_hash": "" if v is None else f"sha256:{v.sha256}",
        "created": _time(d.created_us if v is None else v.created_us, tz),
        "last_modified": None if v is None else _time(v.created_us, tz),
        "source_format": None if v is None else v.format.upper(),
        "source_name": None if v is None else v.source,
        "version": None if v is None else v.version,
        "rows": 0 if v is None else v.rows,
    }


def package_dict(
    d: DatasetRecord,
    org: tuple[dict[str, Any], int] | None,
    v: VersionRecord | None,
    base_url: str,
    tz: str | None,
) -> dict[str, Any]:
    doc = d.doc
    org_doc, org_created = org or ({}, d.created_us)
    keywords = list(doc.get("keywords") or [])
    themes = list(doc.get("themes") or [])
    license_id = doc.get("license") or "gov-restricted"
    temporal = doc.get("temporal") or {}
    governance: dict[str, Any] = {
        "share_type": d.share_type,
        "share_type_text": SHARE_TYPES[d.share_type],
        "share_conditions": doc.get("share_conditions") or "",
        "open_type": d.open_type,
        "grade": d.grade,
        "level": d.level,
        "classification_confirmed": d.confirmed,
    }
    spatial = None
    if doc.get("spatial"):
        w, s, e, n = doc["spatial"]
        ring = [[w, s], [e, s], [e, n], [w, n], [w, s]]
        spatial = orjson.dumps({"type": "Polygon", "coordinates": [ring]}).decode()
    package: dict[str, Any] = {
        "id": d.id,
        "name": d.name,
        "title": doc.get("title") or d.name,
        "title_en": doc.get("title_en") or "",
        "notes": doc.get("description") or "",
        "notes_en": doc.get("description_en") or "",
        "type": "dataset",
        "state": "active",
        "private": False,
        "owner_org": d.org,
        "organization": org_dict(d.org, org_doc, org_created, tz),
        "tags": [{"name": k, "display_name": k, "state": "active"} for k in keywords],
        "num_tags": len(keywords),
        "groups": [{"name": t, "title": t, "display_name": t} for t in themes],
        "license_id": license_id,
        "license_url": LICENSES.get(license_id, ""),
        "license_title": LICENSE_TITLES.get(license_id, license_id),
        "frequency": doc.get("frequency") or "",
        "temporal_start": temporal.get("start"),
        "temporal_end": temporal.get("end"),
        "spatial": spatial,
        "contact": doc.get("contact") or "",
        "metadata_created": _time(d.created_us, tz),
        "metadata_modified": _time(d.modified_us, tz),
        "version": str(d.version) if d.version else None,
        "suggestion": doc.get("suggestion"),
        **governance,
        "resources": [resource_dict(d, v, base_url, tz)] if v is not None else [],
        "num_resources": 1 if v is not None else 0,
        "extras": [
            {"key": k, "value": "" if governance[k] is None else str(governance[k])}
            for k in GOVERNANCE_EXTRAS
        ],
    }
    return package
