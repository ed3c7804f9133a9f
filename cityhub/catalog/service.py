"""The catalog service: datasets and their metadata, versions loaded from files, row reads and
downloads with masking by role, each read written to the audit. Access requests live in
`cityhub.catalog.access`."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from cityhub.auth.principal import DEPARTMENT_ROLES
from cityhub.catalog import datastore, masked_search, metadata
from cityhub.catalog.audit import AuditLog
from cityhub.catalog.importer import load_version
from cityhub.catalog.policy import (
    GRADE_ORDER,
    OPEN_ORDER,
    SHARE_ORDER,
    Reader,
    RowAccess,
    apply_mask,
    masker,
    may_govern,
    may_manage,
    row_access,
    stricter,
)
from cityhub.catalog.render import package_dict
from cityhub.catalog.schema import CKAN_TYPES, Column
from cityhub.catalog.sensitive import KINDS
from cityhub.errors import BadRequestData, Forbidden, ResourceNotFound, Unauthorized
from cityhub.store import Store
from cityhub.store.catalog_sql import DatasetRecord, VersionRecord
from cityhub.timeutil import now_us

if TYPE_CHECKING:  # rdflib loads when a DCAT export is first asked for
    from rdflib import Graph

DEFAULTS = {"share_type": "conditional", "open_type": "restricted", "grade": "general", "level": 2}
STALE_LOAD_US = 24 * 3600 * 1_000_000


@dataclass
class RowsPage:
    dataset: DatasetRecord
    version: VersionRecord
    fields: list[Column]
    records: list[dict[str, Any]]
    total: int
    access: RowAccess


def _loads(value: Any) -> list[Any]:
    out = orjson.loads(value) if isinstance(value, str | bytes) else value
    assert isinstance(out, list)
    return out


def columns_of(dataset: DatasetRecord, version: VersionRecord) -> list[Column]:
    """The version's columns with the kinds a steward set overriding the detected ones."""
    overrides = dataset.doc.get("column_kinds") or {}
    return [
        Column(c["id"], c["type"], list(overrides.get(c["id"], c.get("kinds") or [])))
        for c in version.columns
    ]


class CatalogService:
    def __init__(self, store: Store, timezone: str = "Asia/Shanghai") -> None:
        self.store = store
        self.timezone = timezone
        self.audit = AuditLog(store)

    # -- datasets ----------------------------------------------------------------------------
    def dataset(self, key: str) -> DatasetRecord:
        found = self.store.catalog.find_dataset(key)
        if found is None:
            raise ResourceNotFound(f"no dataset {key!r}")
        return found

    def datasets(self) -> list[DatasetRecord]:
        return self.store.catalog.list_datasets()

    def orgs(self) -> list[tuple[str, dict[str, Any], int]]:
        return self.store.catalog.catalog_orgs()

    def create(self, reader: Reader, meta: dict[str, Any]) -> DatasetRecord:
        doc = metadata.check(meta)
        if not (
            reader.is_admin or (reader.role in DEPARTMENT_ROLES and reader.department == doc["org"])
        ):
            raise _denied(reader, f"only {doc['org']} or an admin may publish its datasets")
        now = now_us()
        org_doc = {
            "title": doc.pop("org_title", None) or doc["org"],
            "title_en": doc.pop("org_title_en", None) or "",
        }
        if doc["org"] not in {name for name, _, _ in self.orgs()} or meta.get("org_title"):
            self.store.catalog.put_org(doc["org"], org_doc, now)
        declared: dict[str, Any] = {
            k: doc.pop(k) for k in ("share_type", "open_type", "grade", "level") if k in doc
        }
        doc["declared"] = declared
        governance = {**DEFAULTS, **declared}
        record = DatasetRecord(
            id=str(uuid.uuid4()),
            name=doc.pop("name"),
            org=doc.pop("org"),
            resource_id=str(uuid.uuid4()),
            share_type=governance["share_type"],
            open_type=governance["open_type"],
            grade=governance["grade"],
            level=governance["level"] if governance["grade"] == "general" else None,
            confirmed=False,
            version=0,
            doc=doc,
            created_us=now,
            modified_us=now,
        )
        self.store.catalog.put_dataset(record, create=True)
        self.audit.record(reader, "create", record.id, detail={"name": record.name})
        return record

    def update(self, reader: Reader, key: str, meta: dict[str, Any]) -> DatasetRecord:
        d = self.dataset(key)
        if not may_manage(reader, d):
            raise _denied(reader, f"only {d.org} or an admin may edit this dataset")
        changes = metadata.check(meta, partial=True)
        for name in ("name", "org", "share_type", "open_type", "grade", "level"):
            if name in changes:
                raise BadRequestData(
                    f"{name} cannot change here: governance fields go through the classification"
                    if name not in ("name", "org")
                    else f"{name} cannot change once published"
                )
        d.doc.update(changes)
        d.modified_us = now_us()
        self.store.catalog.put_dataset(d, create=False)
        self.audit.record(reader, "update", d.id, detail={"fields": sorted(changes)})
        return d

    def classify(self, reader: Reader, key: str, changes: dict[str, Any]) -> DatasetRecord:
        """A data steward confirms (or corrects) grade, level, share and open type and which
        columns hold personal data."""
        d = self.dataset(key)
        if not may_govern(reader, d):
            raise _denied(reader, f"only {d.org}'s data steward or an admin may classify it")
        column_kinds = changes.pop("column_kinds", None)
        checked = metadata.check(changes, partial=True)
        extra = set(checked) - {"share_type", "open_type", "grade", "level", "share_conditions"}
        if extra:
            raise BadRequestData(f"not classification fields: {', '.join(sorted(extra))}")
        if column_kinds is not None:
            d.doc["column_kinds"] = _column_kinds(column_kinds)
        d.share_type = checked.get("share_type", d.share_type)
        d.open_type = checked.get("open_type", d.open_type)
        d.grade = checked.get("grade", d.grade)
        d.level = checked.get("level", d.level) if d.grade == "general" else None
        if "share_conditions" in checked:
            d.doc["share_conditions"] = checked["share_conditions"]
        if d.share_type == "conditional" and not d.doc.get("share_conditions"):
            raise BadRequestData("conditional sharing (有条件共享) needs share_conditions")
        d.confirmed = True
        d.modified_us = now_us()
        self.store.catalog.put_dataset(d, create=False)
        self.audit.record(reader, "classify", d.id, d.version, detail=_governance(d))
        return d

    def package(self, d: DatasetRecord, base_url: str, ckan: bool = False) -> dict[str, Any]:
        """The CKAN dictionary of one dataset; times in the city's zone, or (`ckan`) in
        CKAN's naive UTC."""
        orgs = {name: (doc, created) for name, doc, created in self.orgs()}
        current = self.version(d) if d.version else None
        tz = None if ckan else self.timezone
        return package_dict(d, orgs.get(d.org), current, base_url, tz)

    def packages(self, base_url: str, ckan: bool = False) -> list[dict[str, Any]]:
        orgs = {name: (doc, created) for name, doc, created in self.orgs()}
        current = self.store.catalog.current_versions()
        tz = None if ckan else self.timezone
        return [
            package_dict(d, orgs.get(d.org), current.get(d.id), base_url, tz)
            for d in self.datasets()
        ]

    def dcat(self, base_url: str, city: str, key: str | None = None) -> Graph:
        """The catalogue (or one dataset) as a DCAT-AP 3 graph."""
        from cityhub.catalog.dcat import add_dataset, catalogue, new_graph

        orgs = {name: doc for name, doc, _ in self.orgs()}
        current = self.store.catalog.current_versions()
        if key is not None:
            d = self.dataset(key)
            g = new_graph()
            add_dataset(g, base_url, d, orgs.get(d.org, {}), current.get(d.id), self.timezone)
            return g
        chosen = [(d, orgs.get(d.org, {}), current.get(d.id)) for d in self.datasets()]
        return catalogue(base_url, city, chosen, self.timezone)

    # -- versions ----------------------------------------------------------------------------
    def versions(self, key: str) -> list[VersionRecord]:
        return self.store.catalog.dataset_versions(self.dataset(key).id)

    def version(self, d: DatasetRecord, number: int | None = None) -> VersionRecord:
        wanted = d.version if number is None else number
        for v in self.store.catalog.dataset_versions(d.id):
            if v.version == wanted:
                return v
        if number is None:
            raise ResourceNotFound(f"dataset {d.name} has no data yet")
        raise ResourceNotFound(f"dataset {d.name} has no version {number}")

    def add_file(
        self,
        reader: Reader,
        key: str,
        path: Path,
        source: str | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> VersionRecord:
        """Load a file as the dataset's next version; the suggested classification applies
        where it is stricter than the current one (a steward may loosen it again)."""
        d = self.dataset(key)
        if not may_manage(reader, d):
            raise _denied(reader, f"only {d.org} or an admin may load data into this dataset")
        for table_id in self.store.catalog.stale_versions(now_us() - STALE_LOAD_US):
            self.store.catalog.drop_version(table_id)
        loaded = load_version(self.store, d.id, path, source, progress)
        v, advice = loaded.version, loaded.suggestion
        before = _governance(d)
        d.share_type = stricter(d.share_type, advice.share_type, SHARE_ORDER)
        d.open_type = stricter(d.open_type, advice.open_type, OPEN_ORDER)
        d.grade = stricter(d.grade, advice.grade, GRADE_ORDER)
        d.level = max(d.level or 0, advice.level or 0) or None if d.grade == "general" else None
        if _governance(d) != before:
            d.confirmed = False  # stricter than what was confirmed: a steward looks again
        d.doc["suggestion"] = advice.as_dict()
        d.modified_us = now_us()
        try:
            self._index(d, v, loaded.columns)
            if self.store.dialect == "postgres":
                self.store.catalog.run_ddl("ANALYZE catalog_rows")  # plan the new rows and indexes
            self.store.catalog.finish_version(v, d)
        except BaseException:
            self.store.catalog.drop_version(v.table_id)
            raise
        d.version = v.version
        self.audit.record(
            reader, "load", d.id, v.version, v.rows, {"source": v.source, "sha256": v.sha256}
        )
        return v

    def _index(self, d: DatasetRecord, v: VersionRecord, columns: list[Column]) -> None:
        wanted = d.doc.get("indexes") or []
        names = [c.id for c in columns]
        for name in wanted:
            if name not in names:
                raise BadRequestData(f"indexes: the file has no column {name!r}")
            i = names.index(name)
            self.store.catalog.index_column(v.table_id, i, columns[i].type)

    # -- reading rows ------------------------------------------------------------------------
    def access(self, reader: Reader, d: DatasetRecord) -> RowAccess:
        grants = (
            self.store.catalog.access_requests(
                dataset_id=d.id, department=reader.department, status="approved"
            )
            if reader.department
            else []
        )
        return row_access(reader, d, grants, now_us())

    def rows(
        self,
        reader: Reader,
        key: str,
        query: datastore.RowQuery,
        version: int | None = None,
        include_total: bool = True,
    ) -> RowsPage:
        d = self.dataset(key)
        v = self.version(d, version)
        access = self.access(reader, d)
        columns = columns_of(d, v)
        plan = masker(columns, access)
        names = [c.id for c in columns]
        searchable = [c.id for c, kinds in zip(columns, plan, strict=True) if not kinds]
        if access.masked:
            masked_search.guard(query, columns, plan)
        picked = query.fields or names
        unknown = [f for f in picked if f not in names and f != "_id"]
        if unknown:
            raise BadRequestData(f"fields: no field {unknown[0]!r}")
        found: list[tuple[int, list[Any]]]
        if access.masked and masked_search.needs_scan(query, columns, plan):
            found, total = masked_search.scan(
                self.store.catalog, v.table_id, columns, plan, query, searchable
            )
        else:
            found = [
                (row_no, apply_mask(_loads(data), plan))
                for row_no, data in self.store.catalog.read_rows(
                    v.table_id, columns, query, searchable, v.rows
                )
            ]
            if not query.filters and not query.q:
                total = v.rows
            elif include_total:
                total = self.store.catalog.count_rows(v.table_id, columns, query, searchable)
            else:
                total = -1
        keep = [i for i, n in enumerate(names) if n in picked]
        records = []
        for row_no, values in found:
            record: dict[str, Any] = {"_id": row_no}
            for i in keep:
                record[names[i]] = values[i] if i < len(values) else None
            records.append(record)
        self.audit.record(
            reader,
            "read",
            d.id,
            v.version,
            len(records),
            {"via": access.via, "masked": access.masked, "query": _query_detail(query)},
        )
        fields = [columns[i] for i in keep]
        return RowsPage(d, v, fields, records, total, access)

    def download(
        self, reader: Reader, key: str, fmt: str = "csv", version: int | None = None
    ) -> tuple[str, str, Iterator[bytes]]:
        """(media type, file name, body chunks) of a whole version, masked for this reader."""
        if fmt not in ("csv", "json"):
            raise BadRequestData("format must be csv or json")
        d = self.dataset(key)
        v = self.version(d, version)
        access = self.access(reader, d)
        columns = columns_of(d, v)
        plan = masker(columns, access)
        self.audit.record(
            reader, "download", d.id, v.version, v.rows, {"via": access.via, "format": fmt}
        )
        names = [c.id for c in columns]
        chunks = self._csv(v, names, plan) if fmt == "csv" else self._json(v, names, plan)
        media = "text/csv; charset=utf-8" if fmt == "csv" else "application/json"
        return media, f"{d.name}-v{v.version}.{fmt}", chunks

    def _csv(
        self, v: VersionRecord, names: list[str], plan: list[frozenset[str] | None]
    ) -> Iterator[bytes]:
        out = io.StringIO()
        writer = csv.writer(out)
        out.write("\ufeff")  # spreadsheet programs read UTF-8 Chinese with the BOM
        writer.writerow(names)
        for n, (_, data) in enumerate(self.store.catalog.iter_rows(v.table_id), start=1):
            writer.writerow(["" if x is None else x for x in apply_mask(_loads(data), plan)])
            if n % 2_000 == 0:
                yield out.getvalue().encode()
                out.seek(0)
                out.truncate()
        yield out.getvalue().encode()

    def _json(
        self, v: VersionRecord, names: list[str], plan: list[frozenset[str] | None]
    ) -> Iterator[bytes]:
        yield b"["
        for n, (row_no, data) in enumerate(self.store.catalog.iter_rows(v.table_id)):
            record = {
                "_id": row_no,
                **dict(zip(names, apply_mask(_loads(data), plan), strict=False)),
            }
            yield (b"," if n else b"") + orjson.dumps(record)
        yield b"]"


def _denied(reader: Reader, message: str) -> Exception:
    return (
        Unauthorized(message + ": send an API key")
        if reader.role == "anonymous"
        else Forbidden(message)
    )


def _governance(d: DatasetRecord) -> dict[str, Any]:
    return {
        "share_type": d.share_type,
        "open_type": d.open_type,
        "grade": d.grade,
        "level": d.level,
    }


def _column_kinds(value: Any) -> dict[str, list[str]]:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, list) and all(x in KINDS for x in v)
        for k, v in value.items()
    ):
        raise BadRequestData(f"column_kinds maps column names to lists of {', '.join(KINDS)}")
    return {k: list(v) for k, v in value.items()}


def _query_detail(query: datastore.RowQuery) -> dict[str, Any]:
    detail: dict[str, Any] = {"limit": query.limit, "offset": query.offset}
    if query.filters:
        detail["filters"] = sorted(query.filters)
    if query.q:
        detail["q"] = True
    return detail


def field_dicts(fields: list[Column]) -> list[dict[str, Any]]:
    return [{"id": "_id", "type": "int"}] + [
        {"id": c.id, "type": CKAN_TYPES[c.type], "info": {"personal_data": c.kinds}} for c in fields
    ]
