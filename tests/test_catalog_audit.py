"""The audit log is append-only and tamper-evident on both stores, and the CLI publishes,
lists, classifies and verifies."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from cityhub.catalog.datastore import RowQuery
from cityhub.catalog.policy import OPERATOR
from cityhub.hub import Hub
from tests.test_cli import run


def _load(hub: Hub, folder: Path) -> None:
    hub.store.migrate()
    path = folder / "stations.csv"
    path.write_text("站点,区\n荔园,南山区\n洪湖,罗湖区\n", encoding="utf-8")
    hub.catalog.create(OPERATOR, {"name": "stations", "org": "szeb", "title": "监测站点"})
    hub.catalog.add_file(OPERATOR, "stations", path)
    for _ in range(3):
        hub.catalog.rows(OPERATOR, "stations", RowQuery(limit=1))
    hub.catalog.update(OPERATOR, "stations", {"keywords": ["空气"]})


def _tamper(hub: Hub, sql: str) -> None:
    """Change the log behind the application's back, as someone with database access could."""
    if hub.store.dialect == "sqlite":
        import sqlite3

        path = hub.settings.database_url.removeprefix("sqlite:///")
        with sqlite3.connect(path) as conn:
            conn.execute("DROP TRIGGER catalog_audit_no_update")
            conn.execute("DROP TRIGGER catalog_audit_no_delete")
            conn.execute(sql)
        return
    with psycopg.connect(hub.settings.database_url, autocommit=True) as conn:
        conn.execute("ALTER TABLE catalog_audit DISABLE TRIGGER USER")
        conn.execute(sql)


def test_the_log_refuses_updates_and_deletes(hub: Hub, tmp_path: Path) -> None:
    _load(hub, tmp_path)
    for sql in ("UPDATE catalog_audit SET rows = 999", "DELETE FROM catalog_audit"):
        with pytest.raises(Exception, match="append-only"):
            hub.store.catalog.run_ddl(sql)
    assert hub.catalog.audit.verify().ok


@pytest.mark.parametrize(
    "sql,broken",
    [
        ("UPDATE catalog_audit SET rows = 999 WHERE seq = 3", 3),
        ("DELETE FROM catalog_audit WHERE seq = 2", 3),
        ("UPDATE catalog_audit SET actor = 'someone' WHERE seq = 4", 4),
    ],
)
def test_verify_names_the_first_altered_record(
    hub: Hub, tmp_path: Path, sql: str, broken: int
) -> None:
    _load(hub, tmp_path)
    before = hub.catalog.audit.verify()
    assert before.ok and before.records == 6  # create, load, three reads, update
    _tamper(hub, sql)
    after = hub.catalog.audit.verify()
    assert not after.ok and after.broken_at == broken, after


@pytest.mark.backend("sqlite")
def test_cli_adds_lists_classifies_and_verifies(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'c.db'}"
    data = tmp_path / "people.csv"
    rows = ["姓名,手机,街道"] + [
        f"李{'一二三四五'[i % 5]}明,1391234{i:04d},南头街道" for i in range(300)
    ]
    data.write_text("\n".join(rows) + "\n", encoding="utf-8")
    meta = tmp_path / "meta.toml"
    meta.write_text('title = "居民联系表"\nthemes = ["民政"]\nfrequency = "monthly"\n', "utf-8")
    added = run(
        "catalog", "add", str(data), "--name", "people", "--org", "civil",
        "--org-title", "民政局", "--meta", str(meta), "--database", db,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert "people version 1: 300 rows" in added.stdout
    assert "手机 (mobile)" in added.stdout and "awaiting a steward" in added.stdout
    again = run("catalog", "add", str(data), "--name", "people", "--database", db)
    assert again.returncode == 0 and "people version 2" in again.stdout
    long_name = "shenzhen-community-health-centres-daily-slots"
    made = run("catalog", "add", str(data), "--name", long_name, "--org", "civil", "--database", db)
    assert made.returncode == 0, made.stderr
    listed = run("catalog", "list", "--database", db)
    assert "居民联系表" in listed.stdout and "civil" in listed.stdout
    assert long_name in listed.stdout  # on one line at 80 columns: it can be copied whole
    classified = run(
        "catalog", "classify", "people", "--share-type", "conditional", "--conditions",
        "仅用于救助核对", "--column", "姓名=person_name", "--database", db,
    )  # fmt: skip
    assert classified.returncode == 0 and "share conditional" in classified.stdout
    verified = run("catalog", "audit", "verify", "--database", db)
    assert verified.returncode == 0 and "audit intact" in verified.stdout
    shown = run("catalog", "audit", "show", "--dataset", "people", "--database", db)
    assert "load" in shown.stdout and "classify" in shown.stdout
    bad = run("catalog", "add", str(meta), "--name", "x", "--database", db)
    assert bad.returncode == 1 and bad.stderr.count("\n") <= 1 and "Traceback" not in bad.stderr
    import sqlite3

    with sqlite3.connect(tmp_path / "c.db") as conn:
        conn.execute("DROP TRIGGER catalog_audit_no_update")
        conn.execute("UPDATE catalog_audit SET rows = 0 WHERE seq = 2")
    broken = run("catalog", "audit", "verify", "--database", db)
    assert broken.returncode == 1 and "record 2" in broken.stderr
