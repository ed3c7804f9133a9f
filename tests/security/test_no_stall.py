"""H2: client regular expressions run in linear time (idPattern, q ~=, temporal, subscriptions);
M1: analytics need a key, have size limits and run in a bounded pool, so cheap reads stay fast
while they run."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx

from tests.security.conftest import City, open_city

CATASTROPHIC = "^(.*){8}Z"  # hours of backtracking in Python's re on a 40-character id


def _seed(city: City, tenant: str, n: int = 300) -> None:
    body = [
        {
            "id": f"urn:ngsi-ld:AirQualityObserved:{'a' * 30}{i:05d}",
            "type": "AirQualityObserved",
            "name": {"type": "Property", "value": "x" * 40},
        }
        for i in range(n)
    ]
    with city.client("admin", tenant) as admin:
        r = admin.post("/ngsi-ld/v1/entityOperations/upsert", json=body)
        assert r.status_code in (201, 204), r.text


def test_catastrophic_patterns_answer_at_once(city: City, tenant: str) -> None:
    _seed(city, tenant)
    with city.client(None, tenant) as anyone:
        for params in (
            {"type": "AirQualityObserved", "idPattern": CATASTROPHIC, "limit": "1000"},
            {"type": "AirQualityObserved", "q": f'name~="{CATASTROPHIC}"', "limit": "1000"},
        ):
            started = time.perf_counter()
            r = anyone.get("/ngsi-ld/v1/entities", params=params)
            assert r.status_code == 200 and r.json() == []
            assert time.perf_counter() - started < 2.0
        started = time.perf_counter()
        r = anyone.get(
            "/ngsi-ld/v1/temporal/entities",
            params={
                "type": "AirQualityObserved",
                "idPattern": CATASTROPHIC,
                "timerel": "after",
                "timeAt": "2020-01-01T00:00:00Z",
            },
        )
        assert r.status_code == 200 and time.perf_counter() - started < 2.0


def test_patterns_a_linear_engine_cannot_run_are_refused(city: City, tenant: str) -> None:
    with city.client() as anyone:
        for pattern in (r"(a)\1", "(?=a)b", "(?<!x)y"):
            r = anyone.get(
                "/ngsi-ld/v1/entities", params={"type": "AirQualityObserved", "idPattern": pattern}
            )
            assert r.status_code == 400 and "idPattern" in r.json()["detail"]
        r = anyone.get("/ngsi-ld/v1/entities", params={"type": "T", "q": r'name~="(a)\1"'})
        assert r.status_code == 400
    with city.client("admin", tenant) as admin:
        sub = {
            "type": "Subscription",
            "entities": [{"type": "T", "idPattern": r"(x)\1"}],
            "notification": {"endpoint": {"uri": "http://127.0.0.1:9/hook"}},
        }
        assert admin.post("/ngsi-ld/v1/subscriptions", json=sub).status_code == 400


def _did_body(rows: int) -> dict[str, object]:
    panel = [
        {
            "unit": f"u{u}",
            "year": y,
            "y": (u * 7 + y) % 13 + (0.5 if u % 2 and y >= 2005 else 0),
            "g": 2005 if u % 2 else 0,
        }
        for u in range(rows // 10)
        for y in range(2000, 2010)
    ]
    return {
        "rows": panel,
        "unit": "unit",
        "time": "year",
        "outcome": "y",
        "group": "g",
        "bootstrap": 999,
    }


def test_analytics_need_a_key_and_have_limits(city: City) -> None:
    assert httpx.post(city.base + "/evaluate/v1/did", json=_did_body(100)).status_code == 401
    with city.client("public") as citizen:
        too_many = citizen.post("/evaluate/v1/did", json=_did_body(60_000))
        assert too_many.status_code in (400, 413)
        big = {"message": "问" * 30_000, "reply": "答"}
        assert citizen.post("/voice/v1/replies/evaluate", json=big).status_code == 400
        assert (
            citizen.post("/evaluate/v1/did", json={**_did_body(100), "bootstrap": 5000}).status_code
            == 400
        )


def test_cheap_reads_stay_fast_while_an_evaluation_runs(backend: str, tmp_path: Path) -> None:
    for city in open_city(backend, tmp_path, max_body_bytes=8 << 20):
        _probe_during_evaluation(city)


def _probe_during_evaluation(city: City) -> None:
    probes: list[float] = []
    done = threading.Event()

    answers: list[int] = []

    def evaluate() -> None:
        with city.client("public") as citizen:
            r = citizen.post("/evaluate/v1/did", json=_did_body(40_000), timeout=120)
            answers.append(r.status_code)
        done.set()

    worker = threading.Thread(target=evaluate)
    worker.start()
    try:
        time.sleep(0.5)
        with httpx.Client(base_url=city.base, timeout=30) as probe:
            while not done.is_set() and len(probes) < 60:
                started = time.perf_counter()
                assert probe.get("/health").status_code == 200
                probes.append(time.perf_counter() - started)
                time.sleep(0.05)
    finally:
        worker.join(timeout=120)
    assert answers == [200]
    assert probes, "the evaluation finished before the first probe"
    assert max(probes) < 1.0, f"a read waited {max(probes):.2f} s behind an evaluation"
