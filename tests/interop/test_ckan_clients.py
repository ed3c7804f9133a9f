"""The catalogue as CKAN browsers, harvesters and data-package tools read it: ckanapi's CLI
dumps every dataset with its files and frictionless validates what it wrote; the vocabulary
actions, incremental harvesting by metadata_modified, and CKAN's own time format."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from ckanapi import RemoteCKAN, ValidationError
from frictionless import Package

from tests.catalog_city import City, city

__all__ = ["city"]
CKAN_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$")  # naive UTC


def test_ckanapi_dump_with_files_validates_under_frictionless(city: City, tmp_path: Path) -> None:
    out = tmp_path / "dump"
    admin = city.keys["admin"][1]
    ckanapi = Path(sys.executable).with_name("ckanapi")
    done = subprocess.run(
        [str(ckanapi), "dump", "datasets", "--all", "-D", str(out), "-r", city.base, "-a", admin],
        capture_output=True,
        text=True,
        timeout=120,
        # ckanapi starts its workers as `ckanapi` from PATH, as from an activated venv.
        env={**os.environ, "PATH": f"{ckanapi.parent}{os.pathsep}{os.environ.get('PATH', '')}"},
    )
    assert done.returncode == 0, done.stderr
    dumped = sorted(p.parent.name for p in out.glob("*/datapackage.json"))
    assert dumped == ["air-quality", "plate-sightings", "residents"]
    for name in dumped:
        report = Package(str(out / name / "datapackage.json")).validate()
        assert report.valid, (name, report.flatten(["rowNumber", "fieldName", "type", "note"]))
    air = json.loads((out / "air-quality" / "datapackage.json").read_text(encoding="utf-8"))
    assert air["resources"][0]["path"].endswith(".csv")


def test_vocabulary_actions_and_ckan_times(city: City) -> None:
    with RemoteCKAN(city.base) as ckan:
        licences = {lic["id"]: lic for lic in ckan.action.license_list()}
        assert licences["cc-by-4.0"]["url"].startswith("https://creativecommons.org/")
        air = ckan.action.package_show(id="air-quality")
        assert air["license_title"] == licences[air["license_id"]]["title"]
        for stamp in (air["metadata_created"], air["metadata_modified"]):
            assert CKAN_TIME.match(stamp), stamp
        assert CKAN_TIME.match(air["resources"][0]["created"])
        # What url serves differs by reader: no hash or size a download would fail.
        assert air["resources"][0]["hash"] == "" and air["resources"][0]["size"] is None
        assert air["resources"][0]["source_hash"].startswith("sha256:")

        tags = ckan.action.tag_list()
        assert "PM2.5" in tags and tags == sorted(tags)
        assert ckan.action.tag_list(query="pm") == ["PM2.5"]
        groups = ckan.action.group_list(all_fields=True)
        assert groups and all(g["package_count"] >= 1 for g in groups)
        first = ckan.action.group_show(id=groups[0]["name"], include_datasets=True)
        assert first["package_count"] == len(first["packages"]) == groups[0]["package_count"]

        listed = ckan.action.current_package_list_with_resources(limit=2)
        modified = [p["metadata_modified"] for p in listed]
        assert len(listed) == 2 and modified == sorted(modified, reverse=True)
        assert all("resources" in p for p in listed)

        info = ckan.action.datastore_info(id=air["resources"][0]["id"])
        assert info["meta"]["count"] == 3
        assert {f["id"] for f in info["fields"]} >= {"station", "pm25"}
        with pytest.raises(ValidationError):
            ckan.action.datastore_search_sql(sql="SELECT * FROM residents")


def test_harvesters_ask_for_what_changed_since(city: City) -> None:
    with RemoteCKAN(city.base) as ckan:
        everything = ckan.action.package_search(rows=100)["count"]
        latest = max(
            datetime.fromisoformat(p["metadata_modified"]).replace(tzinfo=UTC)
            for p in ckan.action.package_search(rows=100)["results"]
        )
        since = (latest + timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        later = ckan.action.package_search(fq=f"metadata_modified:[{since} TO *]")
        assert later["count"] == 0
        before = (latest - timedelta(days=3650)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        window = ckan.action.package_search(fq=f"metadata_modified:[{before} TO *]")
        assert window["count"] == everything
        not_in = ckan.action.package_search(fq=f"-metadata_modified:[{before} TO *]")
        assert not_in["count"] == 0
