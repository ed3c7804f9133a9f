"""Survey responses submitted over HTTP (target >= 500/s on 2 cores): a 9-question form with
skip logic and constraints is published to a served cityhub, then 3,000 valid responses are
POSTed to /survey/v1/forms/{id}/responses over 16 keep-alive connections, three runs; each
response is checked against the form on the server and stored."""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

import httpx
import orjson
from _common import bench_database, median, percentile, report, request_bytes, run_load, served

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.test_survey_forms import GOOD, QUESTIONS, workbook

POSTS = 3_000
TARGET = 500.0
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def main() -> None:
    for database in bench_database():
        with served(database) as port, tempfile.TemporaryDirectory() as folder:
            form = workbook(Path(folder) / "form.xlsx", QUESTIONS)
            made = httpx.post(
                f"http://127.0.0.1:{port}/survey/v1/forms",
                content=form.read_bytes(),
                headers={"Content-Type": XLSX},
                timeout=30,
            )
            assert made.status_code == 201, made.text
            path = "/survey/v1/forms/sz_satisfaction_2026/responses"
            rates, latencies = [], []
            for run in range(3):
                body = [
                    orjson.dumps({"answers": {**GOOD, "age": str(18 + (i + run) % 80)}})
                    for i in range(POSTS)
                ]
                reqs = [request_bytes("POST", path, b) for b in body]
                seconds, lat, statuses = asyncio.run(run_load(port, reqs, 16))
                assert statuses == {201: POSTS}, statuses
                rates.append(POSTS / seconds)
                latencies += lat
            store = "PostgreSQL" if database.startswith("postgres") else "SQLite"
            rate = median(rates)
            report(
                f"survey responses POST ({store})", rate, "resp/s", f">= {TARGET:g}", rate >= TARGET
            )
            print(
                f"  runs {[round(r) for r in rates]}; "
                f"p50 {percentile(latencies, 50) * 1e3:.1f} ms, "
                f"p99 {percentile(latencies, 99) * 1e3:.1f} ms at 16 connections"
            )


if __name__ == "__main__":
    main()
