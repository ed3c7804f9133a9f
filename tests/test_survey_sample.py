"""Sample mode and open collection on both stores: a stratified sample drawn from a catalog
dataset (the read audited) becomes single-use invitations; a response needs an unused token
and carries its stratum and design weight; response rates by stratum; reminders at most every
few days. Open collection flags duplicates, forms filled too fast and honeypot bots."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import httpx

from cityhub.store.catalog_sql import AuditFilter
from tests.catalog_city import City, city
from tests.test_survey_forms import GOOD, QUESTIONS, workbook

__all__ = ["city"]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORM = "/survey/v1/forms/sz_satisfaction_2026"


def _publish(city: City, tmp_path: Path) -> None:
    path = workbook(tmp_path / "form.xlsx", QUESTIONS)
    made = httpx.post(
        city.base + "/survey/v1/forms",
        content=path.read_bytes(),
        headers={"Content-Type": XLSX, **city.headers("civil_staff")},
        timeout=30,
    )
    assert made.status_code in (201, 409), made.text


def test_open_collection_flags_doubtful_responses(city: City, tmp_path: Path) -> None:
    _publish(city, tmp_path)
    url = city.base + FORM + "/responses"
    fresh = {**GOOD, "age": "41"}
    first = httpx.post(url, json={"answers": fresh, "elapsed_s": 95})
    again = httpx.post(url, json={"answers": fresh, "elapsed_s": 80})
    hurried = httpx.post(url, json={"answers": {**GOOD, "age": "42"}, "elapsed_s": 2})
    bot = httpx.post(url, json={"answers": {**GOOD, "age": "43"}, "website": "http://spam"})
    assert [r.status_code for r in (first, again, hurried, bot)] == [201] * 4
    page = httpx.get(url, headers=city.headers("civil_staff"), params={"limit": 1000}).json()
    flags = {r["id"]: r["flags"] for r in page["responses"]}
    assert flags[first.json()["id"]] == []
    assert flags[again.json()["id"]] == ["duplicate"]
    assert flags[hurried.json()["id"]] == ["too_fast"]
    assert flags[bot.json()["id"]] == ["bot"]
    progress = httpx.get(city.base + FORM + "/progress").json()
    assert progress["mode"] == "open" and progress["flagged"] >= 3
    assert progress["responses"] >= 4


def test_a_sample_takes_responses_by_single_use_invitation(city: City, tmp_path: Path) -> None:
    _publish(city, tmp_path)
    # sampling this form (before: open collection of the first test) is its department's
    body = {"frame": "residents", "strata": "街道", "size": 10, "seed": 7}
    url = city.base + FORM + "/sample"
    assert httpx.post(url, json=body).status_code == 401
    assert httpx.post(url, json=body, headers=city.headers("transport_staff")).status_code == 403
    bad = httpx.post(url, json={**body, "strata": "nope"}, headers=city.headers("civil_staff"))
    assert bad.status_code == 400 and "nope" in bad.json()["detail"]
    drawn = httpx.post(url, json=body, headers=city.headers("civil_staff"), timeout=30)
    assert drawn.status_code == 201, drawn.text
    invitations = drawn.json()["invitations"]
    # 20 residents in each street: proportional allocation gives five each
    assert Counter(i["stratum"] for i in invitations) == {"南头街道": 5, "粤海街道": 5}
    assert (
        len({i["unit"] for i in invitations}) == 10 and len({i["token"] for i in invitations}) == 10
    )
    assert invitations[0]["link"] == f"/survey/sz_satisfaction_2026?token={invitations[0]['token']}"
    twice = httpx.post(url, json=body, headers=city.headers("civil_staff"))
    assert twice.status_code == 409
    # the frame's read is in the catalog's audit, by the drawing department
    audit = city.server.hub.store.catalog.audit_records(AuditFilter(action="read"), limit=500)
    key_id = city.keys["civil_staff"][0]
    assert any(a.actor == key_id and a.rows == 40 for a in audit)

    answers = city.base + FORM + "/responses"
    assert httpx.post(answers, json={"answers": GOOD}).status_code == 403
    wrong = httpx.post(answers, json={"answers": GOOD, "token": "not-a-token"})
    assert wrong.status_code == 403 and "not valid" in wrong.json()["detail"]
    first = invitations[0]
    made = httpx.post(answers, json={"answers": GOOD, "token": first["token"]})
    assert made.status_code == 201, made.text
    used = httpx.post(answers, json={"answers": GOOD, "token": first["token"]})
    assert used.status_code == 409 and "already" in used.json()["detail"]
    page = httpx.get(answers, headers=city.headers("civil_staff"), params={"limit": 1000})
    mine = next(r for r in page.json()["responses"] if r["id"] == made.json()["id"])
    assert (mine["stratum"], mine["weight"]) == (first["stratum"], 4.0)

    progress = httpx.get(city.base + FORM + "/progress").json()
    assert progress["mode"] == "sample" and progress["invited"] == 10
    rates = {s["stratum"]: (s["invited"], s["responded"]) for s in progress["strata"]}
    other = "粤海街道" if first["stratum"] == "南头街道" else "南头街道"
    assert rates == {first["stratum"]: (5, 1), other: (5, 0)}

    remind = city.base + FORM + "/reminders"
    assert httpx.post(remind, headers=city.headers("transport_staff")).status_code == 403
    due = httpx.post(remind, headers=city.headers("civil_staff")).json()["remind"]
    assert len(due) == 9 and first["unit"] not in {d["unit"] for d in due}
    assert all(d["reminders"] == 1 for d in due)
    assert httpx.post(remind, headers=city.headers("civil_staff")).json()["remind"] == []
    progress = httpx.get(city.base + FORM + "/progress").json()
    assert sum(s["reminded"] for s in progress["strata"]) == 9
