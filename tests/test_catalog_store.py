"""The catalog on both stores: files of every format become typed, queryable, versioned tables;
bad files leave nothing behind; a million-row CSV streams in."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import pytest
from openpyxl import Workbook

from cityhub.catalog.datastore import RowQuery
from cityhub.catalog.policy import OPERATOR
from cityhub.catalog.service import CatalogService
from cityhub.errors import AlreadyExists, BadRequestData, ResourceNotFound
from cityhub.store import Store

META = {
    "name": "air-stations",
    "org": "szeb",
    "org_title": "深圳市生态环境局",
    "title": "空气质量监测站点",
    "title_en": "Air quality stations",
    "description": "全市空气质量自动监测站点及日均值",
    "themes": ["环境"],
    "keywords": ["空气", "PM2.5"],
    "frequency": "daily",
    "license": "cc-by-4.0",
    "share_type": "unconditional",
    "open_type": "open",
    "indexes": ["district"],
}
ROWS = [
    ["station", "district", "pm25", "day", "code"],
    ["荔园", "南山区", "23.5", "2026-11-01", "0755"],
    ["洪湖", "罗湖区", "31", "2026-11-01", "0756"],
    ["华侨城", "南山区", "18.25", "2026-11-02", "0757"],
]


@pytest.fixture
def catalog(store: Store) -> CatalogService:
    store.migrate()
    return CatalogService(store)


def _csv(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    path.write_text("\n".join(",".join(r) for r in rows) + "\n", encoding=encoding)
    return path


def test_csv_becomes_a_typed_table_queryable_by_filter_sort_and_text(
    catalog: CatalogService, tmp_path: Path
) -> None:
    catalog.create(OPERATOR, META)
    v = catalog.add_file(OPERATOR, "air-stations", _csv(tmp_path / "a.csv", ROWS, "gb18030"))
    assert v.version == 1 and v.rows == 3
    types = {c["id"]: c["type"] for c in v.columns}
    assert types == {
        "station": "text",
        "district": "text",
        "pm25": "number",
        "day": "date",
        "code": "text",  # leading zero: a code, not a number
    }
    page = catalog.rows(
        OPERATOR, "air-stations", RowQuery(filters={"district": ["南山区"]}, sort=[("pm25", True)])
    )
    assert [r["station"] for r in page.records] == ["荔园", "华侨城"] and page.total == 2
    assert page.records[0]["pm25"] == 23.5 and page.records[0]["code"] == "0755"
    found = catalog.rows(OPERATOR, "air-stations", RowQuery(q={"": "洪"}))
    assert [r["station"] for r in found.records] == ["洪湖"] and found.total == 1
    numeric = catalog.rows(OPERATOR, "air-stations", RowQuery(filters={"pm25": ["31"]}))
    assert [r["station"] for r in numeric.records] == ["洪湖"]
    fields = catalog.rows(OPERATOR, "air-stations", RowQuery(fields=["station"], limit=1, offset=1))
    assert fields.records == [{"_id": 2, "station": "洪湖"}]


def test_every_format_loads_the_same_rows(catalog: CatalogService, tmp_path: Path) -> None:
    records = [dict(zip(ROWS[0], r, strict=True)) for r in ROWS[1:]]
    xlsx = tmp_path / "a.xlsx"
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for r in ROWS:
        sheet.append(r)
    book.save(xlsx)
    as_json = tmp_path / "a.json"
    as_json.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    geo = tmp_path / "a.geojson"
    features = [
        {
            "type": "Feature",
            "properties": r,
            "geometry": {"type": "Point", "coordinates": [114, 22.5]},
        }
        for r in records
    ]
    geo.write_text(json.dumps({"type": "FeatureCollection", "features": features}), "utf-8")
    import pyarrow as pa
    import pyarrow.parquet as pq

    parquet = tmp_path / "a.parquet"
    pq.write_table(pa.table({k: [r[k] for r in records] for k in ROWS[0]}), parquet)
    catalog.create(OPERATOR, {**META, "indexes": []})
    for path in (_csv(tmp_path / "a.csv", ROWS), xlsx, as_json, geo, parquet):
        v = catalog.add_file(OPERATOR, "air-stations", path)
        page = catalog.rows(OPERATOR, "air-stations", RowQuery(sort=[("_id", False)]))
        assert [r["station"] for r in page.records] == ["荔园", "洪湖", "华侨城"], path.name
        assert page.version.version == v.version
    versions = catalog.versions("air-stations")
    assert [v.format for v in versions] == ["csv", "xlsx", "json", "geojson", "parquet"]
    geo_version = versions[3]
    assert {"longitude", "latitude"} <= {c["id"] for c in geo_version.columns}
    old = catalog.rows(OPERATOR, "air-stations", RowQuery(), version=1)
    assert old.version.format == "csv" and old.total == 3


def test_a_malformed_file_leaves_no_version_and_no_rows(
    catalog: CatalogService, store: Store, tmp_path: Path
) -> None:
    catalog.create(OPERATOR, META)
    catalog.add_file(OPERATOR, "air-stations", _csv(tmp_path / "good.csv", ROWS))
    bad_rows = [
        *ROWS,
        *[["站", "福田区", "1", "2026-11-03", "0"]] * 30_000,
        ["x", "y", "1", "d", "c", "extra"],
    ]
    with pytest.raises(BadRequestData, match="row 30004 has 6 values"):
        catalog.add_file(OPERATOR, "air-stations", _csv(tmp_path / "bad.csv", bad_rows))
    assert [v.version for v in catalog.versions("air-stations")] == [1]
    assert (
        store.catalog.dataset_versions(catalog.dataset("air-stations").id, ready_only=False)[
            -1
        ].version
        == 1
    )
    (count,) = store._run("SELECT count(*) FROM catalog_rows")[0]  # type: ignore[attr-defined]
    assert count == 3  # the 30,000 rows written in chunks before the bad one are gone
    assert catalog.rows(OPERATOR, "air-stations", RowQuery()).total == 3


def test_metadata_errors_name_every_bad_field(catalog: CatalogService) -> None:
    with pytest.raises(BadRequestData) as caught:
        catalog.create(
            OPERATOR, {"name": "Bad Name", "org": "szeb", "frequency": "often", "spatial": [1, 2]}
        )
    text = str(caught.value)
    for field in ("name", "title", "frequency", "spatial"):
        assert field in text
    catalog.create(OPERATOR, META)
    with pytest.raises(AlreadyExists):
        catalog.create(OPERATOR, META)
    with pytest.raises(ResourceNotFound):
        catalog.rows(OPERATOR, "air-stations", RowQuery())  # no data yet


def test_personal_data_raises_the_classification_until_a_steward_confirms(
    catalog: CatalogService, tmp_path: Path
) -> None:
    catalog.create(OPERATOR, {**META, "name": "residents", "org": "civil", "indexes": []})
    rows = [["姓名", "身份证号", "手机"]] + [
        ["王小明", "11010519491231002X", "13812345678"] for _ in range(50)
    ]
    catalog.add_file(OPERATOR, "residents", _csv(tmp_path / "p.csv", rows))
    d = catalog.dataset("residents")
    assert (d.share_type, d.open_type, d.grade, d.level, d.confirmed) == (
        "conditional",
        "restricted",
        "general",
        4,
        False,
    )
    assert d.doc["declared"]["share_type"] == "unconditional"
    with pytest.raises(BadRequestData, match="share_conditions"):
        catalog.classify(OPERATOR, "residents", {"grade": "general", "level": 4})
    d = catalog.classify(
        OPERATOR,
        "residents",
        {"share_conditions": "仅用于社会救助核对", "column_kinds": {"姓名": ["person_name"]}},
    )
    assert d.confirmed and d.share_type == "conditional" and d.doc["column_kinds"]


def _write_csv(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8") as handle:
        handle.write("id,district,value,note\n")
        for i in range(rows):
            handle.write(f"{i},{('福田区', '南山区', '罗湖区')[i % 3]},{i % 97},第{i}条记录\n")


def _peak_load(catalog: CatalogService, name: str, path: Path) -> tuple[int, list[int]]:
    """Peak Python memory while the file loads as a dataset, and the progress reported."""
    catalog.create(OPERATOR, {**META, "name": name, "indexes": ["district"]})
    seen: list[int] = []
    tracemalloc.start()
    try:
        v = catalog.add_file(OPERATOR, name, path, progress=seen.append)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert v.rows == sum(1 for _ in path.open(encoding="utf-8")) - 1
    return peak, seen


def test_a_large_csv_streams_in_without_holding_the_file(
    catalog: CatalogService, tmp_path: Path
) -> None:
    """Memory does not grow with the file: five times the rows, the same peak. (The
    million-row load and its speed are bench/bench_catalog_import.py's: a test proves the
    stream, a bench the scale.)"""
    rows = 250_000
    small, path = tmp_path / "small.csv", tmp_path / "big.csv"
    _write_csv(small, rows // 5)
    _write_csv(path, rows)
    small_peak, _ = _peak_load(catalog, "small", small)
    peak, seen = _peak_load(catalog, "big", path)
    assert sum(seen) == path.stat().st_size  # progress covered the whole file
    assert peak < small_peak * 1.25 + 256_000, f"peak {peak:,} B, {small_peak:,} B at 1/5 the rows"
    page = catalog.rows(
        OPERATOR, "big", RowQuery(filters={"district": ["南山区"]}, sort=[("id", True)], limit=2)
    )
    assert page.total == rows // 3
    assert [r["id"] for r in page.records] == [rows - 3, rows - 6]  # 南山区: i % 3 == 1
    last = catalog.rows(OPERATOR, "big", RowQuery(offset=rows - 1))
    assert last.records[0]["note"] == f"第{rows - 1}条记录"
