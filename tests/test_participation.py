"""Proposals on both stores: proposed with a citizen's key (routed to the department and located
as hotline messages are), supported once per key, commented, answered in public by the
responsible department; the answer deadline starts when supports reach the threshold and is
counted in working days; personal data in texts masked for all but author and department."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from cityhub.auth.keys import create_key
from cityhub.auth.principal import Principal
from cityhub.citizen.workdays import add_working_days
from cityhub.config import Settings
from cityhub.hub import Hub
from cityhub.timeutil import iso_local
from tests.conftest import Server, _store_url

BASE = "/participation/v1/proposals"
PHONE = "13912345678"


@dataclass
class Board:
    server: Server
    keys: dict[str, tuple[str, str]]

    def headers(self, who: str) -> dict[str, str]:
        return {} if who == "anonymous" else {"Authorization": f"Bearer {self.keys[who][1]}"}

    def post(self, path: str, who: str, body: object = None) -> httpx.Response:
        return httpx.post(self.server.base + path, json=body, headers=self.headers(who), timeout=30)

    def get(self, path: str, who: str = "anonymous", **params: str) -> httpx.Response:
        return httpx.get(self.server.base + path, params=params, headers=self.headers(who))


@pytest.fixture(scope="module")
def board(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Board]:
    folder: Path = tmp_path_factory.mktemp(f"proposals-{backend}")
    for url in _store_url(backend, folder):
        hub = Hub.open(Settings(database_url=url, proposal_threshold=2, proposal_answer_days=15))
        hub.store.migrate()
        keys = {
            "ann": create_key(hub.store, "citizens", "public"),
            "bo": create_key(hub.store, "citizens", "public"),
            "cy": create_key(hub.store, "citizens", "public"),
            "transport": create_key(hub.store, "transport", "staff"),
            "health": create_key(hub.store, "health", "staff"),
        }
        srv = Server(hub)
        srv.start()
        try:
            yield Board(srv, keys)
        finally:
            srv.stop()
            hub.close()


def test_a_proposal_is_routed_supported_and_answered(board: Board) -> None:
    body = {
        "title": "增加夜间公交线路",
        "text": f"南山区科技园加班的人很多，希望增加夜间公交。联系我{PHONE}",
    }
    assert board.post(BASE, "anonymous", body).status_code == 401
    made = board.post(BASE, "ann", body)
    assert made.status_code == 201, made.text
    mine = made.json()
    assert (mine["department"], mine["district"], mine["status"]) == ("transport", "南山区", "open")
    assert mine["department_name"]["zh"] == "交通运输局" and PHONE in mine["text"]
    ident = mine["id"]
    # others see the text with the phone number masked; the author and department see it whole
    public = board.get(f"{BASE}/{ident}").json()
    assert PHONE not in public["text"] and "139****5678" in public["text"] and public["masked"]
    assert PHONE in board.get(f"{BASE}/{ident}", "transport").json()["text"]
    assert PHONE in board.get(f"{BASE}/{ident}", "ann").json()["text"]
    # one support per key; the second distinct support reaches the threshold (2)
    first = board.post(f"{BASE}/{ident}/supports", "bo")
    assert first.status_code == 201 and first.json()["answer_due"] is None
    assert board.post(f"{BASE}/{ident}/supports", "bo").status_code == 409
    reached = board.post(f"{BASE}/{ident}/supports", "cy").json()
    assert reached["supports"] == 2 and reached["threshold_reached"] is not None
    at = dt.datetime.fromisoformat(reached["threshold_reached"])
    due = add_working_days(at, 15, "Asia/Shanghai")
    assert reached["answer_due"] == iso_local(int(due.timestamp() * 1e6), "Asia/Shanghai")
    assert reached["answer_due"].endswith("+08:00") and not reached["overdue"]
    # comments: citizens' texts masked for others; authors never shown
    board.post(f"{BASE}/{ident}/comments", "bo", {"text": f"支持！我的电话{PHONE}"})
    shown = board.get(f"{BASE}/{ident}").json()["comments"]
    assert shown[0]["by"] == "citizen" and PHONE not in shown[0]["text"]
    assert board.keys["bo"][0] not in str(board.get(f"{BASE}/{ident}").json())
    # only the responsible department answers; in_study, then a final answer, then no more
    answer = {"status": "in_study", "text": "我局正在研究夜间线路方案"}
    assert board.post(f"{BASE}/{ident}/answer", "health", answer).status_code == 403
    assert board.post(f"{BASE}/{ident}/answer", "ann", answer).status_code == 403
    assert (
        board.post(
            f"{BASE}/{ident}/answer", "transport", {"status": "maybe", "text": "x"}
        ).status_code
        == 400
    )
    studied = board.post(f"{BASE}/{ident}/answer", "transport", answer).json()
    assert studied["status"] == "in_study" and studied["answered"] is not None
    final = {"status": "accepted", "text": "将于明年开通N12夜间线路"}
    accepted = board.post(f"{BASE}/{ident}/answer", "transport", final).json()
    assert accepted["status"] == "accepted" and accepted["answer"] == final["text"]
    assert board.post(f"{BASE}/{ident}/answer", "transport", final).status_code == 409
    assert board.post(f"{BASE}/{ident}/supports", "ann").status_code == 409
    official = [c for c in board.get(f"{BASE}/{ident}").json()["comments"] if c["official"]]
    assert [c["by"] for c in official] == ["transport", "transport"]


def test_unanswered_proposals_past_their_deadline_are_listed(board: Board) -> None:
    hub = board.server.hub
    made = board.post(
        BASE, "ann", {"title": "地铁站增加无障碍电梯", "text": "福田区老人多，地铁站上下不便"}
    )
    ident = made.json()["id"]
    month_ago = int((dt.datetime.now(dt.UTC) - dt.timedelta(days=40)).timestamp() * 1e6)
    for who in ("bo", "cy"):
        key = board.keys[who][0]
        hub.proposals.support(ident, Principal(key, "citizens", "public"), at_us=month_ago)
    overdue = board.get(BASE, overdue="true").json()
    assert [p["id"] for p in overdue] == [ident] and overdue[0]["overdue"]
    by_support = board.get(BASE, sort="supports").json()
    assert [p["supports"] for p in by_support] == sorted(
        (p["supports"] for p in by_support), reverse=True
    )
    assert board.get(BASE, district="福田区").json()[0]["id"] == ident
    for bad in ({"sort": "id; DROP TABLE proposals"}, {"status": "x"}, {"limit": "0"}):
        assert board.get(BASE, **bad).status_code == 400
    for body in ({"title": "x", "text": "太短"}, {"title": "好标题", "text": "y" * 5000}, ["x"]):
        assert board.post(BASE, "ann", body).status_code == 400
    assert board.get(f"{BASE}/999999").status_code == 404
    assert board.post(f"{BASE}/999999/supports", "bo").status_code == 404


def test_a_participatory_budget_is_voted_and_counted_by_the_rule(board: Board) -> None:
    now = dt.datetime.now(dt.UTC)
    body = {
        "title": "2027年社区微实事",
        "opens": (now - dt.timedelta(minutes=1)).isoformat(),
        "closes": (now + dt.timedelta(seconds=4)).isoformat(),
        "budgets": {"福田区": 100, "南山区": 50},
        "projects": [
            {"id": "A", "title": "口袋公园", "district": "福田区", "cost": 60},
            {"id": "B", "title": "长者饭堂", "district": "福田区", "cost": 50},
            {"id": "C", "title": "儿童游乐区", "district": "福田区", "cost": 30},
            {"id": "D", "title": "社区书屋", "district": "南山区", "cost": 40},
        ],
    }
    budgets = "/participation/v1/budgets"
    assert board.post(budgets, "ann", body).status_code == 403  # a department opens rounds
    bad = {**body, "projects": [{**body["projects"][0], "district": "盐田区"}]}
    assert board.post(budgets, "transport", bad).status_code == 400
    made = board.post(budgets, "transport", body)
    assert made.status_code == 201, made.text
    ident = made.json()["id"]
    assert made.json()["phase"] == "voting" and "result" not in made.json()
    ballots = f"{budgets}/{ident}/ballots"
    for projects in (["A", "B"], ["A", "D"], ["Z"], []):  # over budget, two districts, unknown
        refused = board.post(ballots, "ann", {"projects": projects})
        assert refused.status_code == 400, refused.text
    cast = {
        "ann": ["A", "C"],
        "bo": ["B", "C"],
        "cy": ["B", "C"],
        "transport": ["A"],
        "health": ["D"],
    }
    for who, projects in cast.items():
        assert board.post(ballots, who, {"projects": projects}).status_code == 201
    assert board.post(ballots, "ann", {"projects": ["C"]}).status_code == 409  # one per key
    shown = board.get(f"{budgets}/{ident}").json()
    assert shown["ballots"] == 5 and "result" not in shown  # no tally while voting
    time.sleep(
        max(0.0, (now + dt.timedelta(seconds=4.2) - dt.datetime.now(dt.UTC)).total_seconds())
    )
    assert board.post(ballots, "cy", {"projects": ["C"]}).status_code == 403  # closed
    result = board.get(f"{budgets}/{ident}").json()
    assert result["phase"] == "closed"
    # approvals A 2, B 2, C 3: C (30), then B before A (a tie: the cheaper first) fills 80 of
    # 100; A (60) does not fit in the 20 left
    futian = result["result"]["福田区"]
    assert [p["id"] for p in futian["funded"]] == ["C", "B"] and futian["spent"] == 80
    assert futian["not_funded"] == [{"id": "A", "approvals": 2}]
    assert result["result"]["南山区"]["funded"] == [{"id": "D", "approvals": 1}]
