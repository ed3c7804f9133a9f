"""The physical limit of a write path: the same rows cityhub writes, written by the bare driver.

`raw_upsert` stores batches of NGSI-LD entities the way the store lays them out — the entity row
(document, types, attribute index), its type rows and geometry, one history row per attribute
and the hourly roll-ups (numbers: count, sum, min, max, sum of squares; short strings: counts
per value) — with executemany (on PostgreSQL: COPY for history, one statement over arrays for
each roll-up table), one transaction per batch,
in a schema made by cityhub's own migrations. No validation, no @context expansion, no
subscriptions, no HTTP: what is left is what the database itself costs, so cityhub's rate over
this one is the share of the machine it turns into stored data.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable
from typing import Any

import orjson
import psycopg

from cityhub.store import open_store

HOUR_US = 3_600_000_000
ROLLUP_UPSERT = (
    "INSERT INTO attr_rollup (tenant, entity_id, attr, hour_us, n, n_num, total, low, high, sumsq)"
    " VALUES ({m}) ON CONFLICT (tenant, entity_id, attr, hour_us) DO UPDATE SET"
    " n = attr_rollup.n + excluded.n, n_num = attr_rollup.n_num + excluded.n_num,"
    " total = attr_rollup.total + excluded.total, low = min(attr_rollup.low, excluded.low),"
    " high = max(attr_rollup.high, excluded.high), sumsq = attr_rollup.sumsq + excluded.sumsq"
)
KEYS_UPSERT = (
    "INSERT INTO attr_rollup_keys (tenant, entity_id, attr, hour_us, value_key, n) VALUES ({m})"
    " ON CONFLICT (tenant, entity_id, attr, hour_us, value_key) DO UPDATE SET"
    " n = attr_rollup_keys.n + excluded.n"
)


def _rows(batch: list[dict[str, Any]], now_us: int) -> dict[str, list[tuple[Any, ...]]]:
    """Every row a batch becomes, in the store's layout."""
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime(now_us / 1e6))
    hour = now_us // HOUR_US * HOUR_US
    out: dict[str, list[tuple[Any, ...]]] = {"entities": [], "history": [], "nums": [], "keys": []}
    for e in batch:
        attrs = [k for k in e if k not in ("id", "type")]
        doc = orjson.dumps(e).decode()
        out["entities"].append(
            ("", e["id"], orjson.dumps([e["type"]]).decode(), " ".join(attrs), doc, stamp, stamp)
        )
        for name in attrs:
            item = e[name]
            value = item.get("value", item.get("object"))
            number = float(value) if isinstance(value, int | float) else None
            key = value if isinstance(value, str) and len(value) <= 64 else None
            out["history"].append(
                (
                    "",
                    e["id"],
                    name,
                    None,
                    f"urn:ngsi-ld:{uuid.uuid4()}",
                    now_us,
                    now_us,
                    number,
                    key,
                    orjson.dumps(item).decode(),
                )
            )
            if number is not None:
                out["nums"].append(
                    ("", e["id"], name, hour, 1, 1, number, number, number, number * number)
                )
            elif key is not None:
                out["keys"].append(("", e["id"], name, hour, key, 1))
    return out


def _points(batch: list[dict[str, Any]]) -> dict[str, tuple[float, float]]:
    return {
        e["id"]: tuple(e["location"]["value"]["coordinates"])  # type: ignore[misc]
        for e in batch
        if "location" in e
    }


def raw_upsert(database: str, rounds: Iterable[Iterable[list[dict[str, Any]]]]) -> list[float]:
    """Entities per second of each round of batches (the first creates, later ones replace),
    written by the bare driver into a fresh cityhub schema."""
    open_store(database).close()  # the schema, by cityhub's migrations
    known: dict[str, int] = {}
    if database.startswith("sqlite"):
        return [_sqlite(database.split("///", 1)[1], batches, known) for batches in rounds]
    return [_postgres(database, batches, known) for batches in rounds]


def _sqlite(path: str, batches: Iterable[list[dict[str, Any]]], known: dict[str, int]) -> float:
    import sqlite3

    from cityhub.store.sqlite import _GEO_SLOTS

    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    m = "?"
    count, seconds = 0, 0.0
    for batch in batches:
        started = time.perf_counter()
        rows = _rows(batch, time.time_ns() // 1000)
        points = _points(batch)
        conn.execute("BEGIN IMMEDIATE")
        new = [
            (len(known) + n + 1, *r) for n, r in enumerate(rows["entities"]) if r[1] not in known
        ]
        known.update((r[2], r[0]) for r in new)
        old = [(r[2], r[3], r[4], r[6], known[r[1]]) for r in rows["entities"] if r[1] in known]
        conn.executemany(
            "INSERT INTO entities (pk, tenant, id, types, attr_index, doc, created_at, "
            "modified_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            new,
        )
        conn.executemany(  # an update, as cityhub's own: types and geometry unchanged
            "UPDATE entities SET types = ?, attr_index = ?, doc = ?, modified_at = ? WHERE pk = ?",
            old,
        )
        created = {r[2] for r in new}
        conn.executemany(
            "INSERT INTO entity_types (tenant, type, entity_pk) VALUES ('', ?, ?)",
            [(e["type"], known[e["id"]]) for e in batch if e["id"] in created],
        )
        conn.executemany(
            "INSERT INTO entity_geo (id, minx, maxx, miny, maxy, entity_pk, attr) "
            "VALUES (?, ?, ?, ?, ?, ?, 'location')",
            [
                (known[i] * _GEO_SLOTS, x, x, y, y, known[i])
                for i, (x, y) in points.items()
                if i in created
            ],
        )
        conn.executemany(
            "INSERT INTO attr_history (tenant, entity_id, attr, dataset_id, instance_id, "
            "observed_us, modified_us, value_num, value_key, instance) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows["history"],
        )
        conn.executemany(ROLLUP_UPSERT.format(m=", ".join([m] * 10)), rows["nums"])
        conn.executemany(KEYS_UPSERT.format(m=", ".join([m] * 6)), rows["keys"])
        conn.execute("COMMIT")
        seconds += time.perf_counter() - started
        count += len(batch)
    conn.close()
    return count / seconds


def _postgres(url: str, batches: Iterable[list[dict[str, Any]]], known: dict[str, int]) -> float:
    count, seconds = 0, 0.0
    with psycopg.connect(url) as conn:
        for batch in batches:
            started = time.perf_counter()
            rows = _rows(batch, time.time_ns() // 1000)
            points = _points(batch)
            with conn.transaction(), conn.cursor() as cur:
                new = [r for r in rows["entities"] if r[1] not in known]
                if new:
                    cur.executemany(
                        "INSERT INTO entities (tenant, id, types, attr_index, doc, created_at, "
                        "modified_at) VALUES (%s, %s, %s, %s, %s::jsonb, %s, %s) RETURNING id, pk",
                        new,
                        returning=True,
                    )
                    created: dict[str, int] = {}
                    while True:
                        found = cur.fetchone()
                        if found is not None:
                            created[found[0]] = found[1]
                        if not cur.nextset():
                            break
                    cur.executemany(
                        "INSERT INTO entity_types (tenant, type, entity_pk) VALUES ('', %s, %s)",
                        [(e["type"], created[e["id"]]) for e in batch if e["id"] in created],
                    )
                    cur.executemany(
                        "INSERT INTO entity_geo (entity_pk, attr, geom) "
                        "VALUES (%s, 'location', ST_SetSRID(ST_MakePoint(%s, %s), 4326))",
                        [(created[i], x, y) for i, (x, y) in points.items() if i in created],
                    )
                    known.update(created)
                else:
                    cur.executemany(
                        "UPDATE entities SET types = %s, attr_index = %s, doc = %s::jsonb, "
                        "modified_at = %s WHERE pk = %s",
                        [(r[2], r[3], r[4], r[6], known[r[1]]) for r in rows["entities"]],
                    )
                with cur.copy(
                    "COPY attr_history (tenant, entity_id, attr, dataset_id, instance_id, "
                    "observed_us, modified_us, value_num, value_key, instance) FROM STDIN"
                ) as copy:
                    for row in rows["history"]:
                        copy.write_row(row)
                # the roll-ups as one statement over arrays each, the fastest the driver
                # offers (one row per statement costs the server a plan per hour)
                nums = [list(c) for c in zip(*[r[1:] for r in rows["nums"]], strict=True)]
                cur.execute(
                    "INSERT INTO attr_rollup (tenant, entity_id, attr, hour_us, n, n_num, "
                    "total, low, high, sumsq) SELECT '', * FROM unnest(%b::text[], %b::text[], "
                    "%b::bigint[], %b::bigint[], %b::bigint[], %b::float8[], %b::float8[], "
                    "%b::float8[], %b::float8[]) ON CONFLICT (tenant, entity_id, attr, hour_us) "
                    "DO UPDATE SET n = attr_rollup.n + excluded.n, "
                    "n_num = attr_rollup.n_num + excluded.n_num, "
                    "total = attr_rollup.total + excluded.total, "
                    "low = least(attr_rollup.low, excluded.low), "
                    "high = greatest(attr_rollup.high, excluded.high), "
                    "sumsq = attr_rollup.sumsq + excluded.sumsq",
                    nums,
                )
                keys = [list(c) for c in zip(*[r[1:] for r in rows["keys"]], strict=True)]
                if keys:
                    cur.execute(
                        "INSERT INTO attr_rollup_keys (tenant, entity_id, attr, hour_us, "
                        "value_key, n) SELECT '', * FROM unnest(%b::text[], %b::text[], "
                        "%b::bigint[], %b::text[], %b::bigint[]) ON CONFLICT "
                        "(tenant, entity_id, attr, hour_us, value_key) "
                        "DO UPDATE SET n = attr_rollup_keys.n + excluded.n",
                        keys,
                    )
            seconds += time.perf_counter() - started
            count += len(batch)
    return count / seconds
