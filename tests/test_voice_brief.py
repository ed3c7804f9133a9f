"""The daily brief on both stores, from requests filed, answered and left overdue; the
/voice/v1 API against a real server; and `cityhub voice` on files."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from xml.etree import ElementTree as ET
from zoneinfo import ZoneInfo

import httpx
import pytest

from cityhub.citizen.service import NewRequest
from cityhub.hub import Hub
from cityhub.voice.brief import build_brief, to_html, to_markdown
from cityhub.voice.sentiment import read_corpus
from tests.conftest import Server
from tests.test_cli import run

SZ = ZoneInfo("Asia/Shanghai")
DAY = dt.date(2026, 11, 24)
HUAQIANG = (22.5446, 114.0870)


def train_small_sentiment(hub: Hub, shared_data: Path) -> None:
    texts, labels, _, _ = read_corpus(shared_data / "sentiment" / "ChnSentiCorp_12k_train_dev.csv")
    hub.sentiment.train(texts[:3000], labels[:3000], folds=0)


def at(hour: int, day: dt.date = DAY) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), SZ)


def test_brief_shows_hot_issue_sentiment_replies_and_overdue(hub: Hub, shared_data: Path) -> None:
    train_small_sentiment(hub, shared_data)
    for n, who in enumerate(["a@x.cn", "b@x.cn", "c@x.cn"]):
        hub.requests.create(
            NewRequest(
                "noise",
                title="华强北赛格广场工地夜间施工噪音扰民",
                description=f"华强北赛格广场工地每天夜间施工，噪音太大，严重影响休息，投诉多次无人管{n}",
                lat=HUAQIANG[0],
                lon=HUAQIANG[1],
                attributes={"source": "construction"},
                reporter={"email": who},
                requested_at=at(9 + n),
            )
        )
    answered = hub.requests.create(
        NewRequest(
            "road",
            title="莲花路井盖缺失",
            description="莲花路口井盖缺失，很危险，请问什么时候修？",
            lat=22.5530,
            lon=114.0560,
            requested_at=at(8, DAY - dt.timedelta(days=3)),
        )
    )
    hub.requests.act(answered.id, "resolve", "交通运输局", note="感谢您的监督！", at=at(10))
    old = hub.requests.create(
        NewRequest(
            "parking",
            description="消防通道长期被占用",
            lat=22.5431,
            lon=114.0579,
            requested_at=at(8, DAY - dt.timedelta(days=20)),
        )
    )
    data = build_brief(hub.voice, DAY)
    assert data["messages_today"] == 3
    top = data["hot_issues"][0]
    assert top["messages"] == 3 and top["reporters"] == 3
    assert "华强北" in top["description"]
    assert data["sentiment_by_district"]["福田区"]["total"] >= 4
    assert data["sentiment_by_district"]["福田区"]["negative"] >= 3
    worst = data["worst_replies"][0]
    assert worst["id"] == str(answered.id) and worst["overall"] < 50
    assert str(old.id) in [o["id"] for o in data["overdue"]]
    html = to_html(data)
    assert "<svg" in html and "华强北" in html
    assert 'src="http' not in html and 'href="http' not in html  # nothing fetched
    assert "交通运输局" in html  # departments by name
    ET.fromstring(html.split("<h2>各区情绪 Sentiment by district</h2>")[1].split("<table>")[0])
    markdown = to_markdown(data)
    for heading in ("## 热点问题 Hot issues", "## 各区情绪", "## 评分最低的答复", "## 超期工单"):
        assert heading in markdown


@pytest.fixture
def voice_api(server: Server) -> httpx.Client:
    return httpx.Client(base_url=server.base + "/voice/v1", timeout=30)


def test_voice_api(server: Server, voice_api: httpx.Client, shared_data: Path) -> None:
    with voice_api:
        if server.hub.sentiment.current() is None:
            assert voice_api.post("/sentiment", json={"text": "很好"}).status_code == 404
        train_small_sentiment(server.hub, shared_data)
        scored = voice_api.post(
            "/sentiment", json={"texts": ["服务太差了，非常失望", "非常满意，谢谢"]}
        ).json()
        assert [s["label"] for s in scored] == ["negative", "positive"]
        rated = voice_api.post(
            "/replies/evaluate",
            json={
                "message": "路灯坏了什么时候修？",
                "reply": "感谢您的监督！",
                "asked": "2026-11-19T09:00:00+08:00",
                "answered": "2026-11-20T09:00:00+08:00",
            },
        ).json()
        assert rated["overall"] < 50 and rated["delay_working_days"] == 1 and rated["reasons"]
        assert voice_api.post("/replies/evaluate", json={"message": "x"}).status_code == 400
        page = voice_api.get("/brief", params={"date": "2026-11-24"})
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert "舆情日报" in page.text
        markdown = voice_api.get("/brief", params={"date": "2026-11-24", "format": "md"})
        assert markdown.text.startswith("# 舆情日报")
        assert voice_api.get("/brief", params={"date": "yesterday"}).status_code == 400
        assert isinstance(voice_api.get("/hot-issues", params={"days": "7"}).json(), list)
        table = voice_api.get("/sentiment", params={"by": "district"}).json()
        assert table["by"] == "district"
        assert voice_api.get("/sentiment", params={"by": "colour"}).status_code in (200, 400)


def test_voice_cli_trains_and_writes_the_brief(shared_data: Path, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'v.db'}"
    untrained = run("voice", "sentiment", "很好", "--database", db)
    assert untrained.returncode == 1 and "train-sentiment" in untrained.stderr
    corpus = tmp_path / "reviews.csv"
    rows = list(
        csv.DictReader(
            (shared_data / "sentiment" / "ChnSentiCorp_12k_train_dev.csv").open(encoding="utf-8")
        )
    )
    with corpus.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["split", "label", "text"])
        writer.writeheader()
        writer.writerows(rows[:2000] + [r for r in rows if r["split"] == "dev"][:300])
    trained = run("voice", "train-sentiment", str(corpus), "--database", db)
    assert trained.returncode == 0, trained.stderr
    assert "held-out accuracy" in trained.stdout
    messages = shared_data / "citizen" / "messages_with_support_counts.csv"
    out = tmp_path / "brief"
    made = run(
        "voice",
        "brief",
        "--date",
        "2019-09-05",
        "--messages",
        str(messages),
        "--out",
        str(out),
        "--database",
        db,
    )
    assert made.returncode == 0, made.stderr
    markdown = (out / "brief-2019-09-05.md").read_text(encoding="utf-8")
    assert "伊景园滨河苑" in markdown  # the hottest issue of that month
    assert (out / "brief-2019-09-05.html").read_text(encoding="utf-8").count("<svg") == 1
    bad = run("voice", "brief", "--date", "Sept 5", "--database", db)
    assert bad.returncode == 1 and bad.stderr.startswith("error:")


@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Etc/GMT+12"])
def test_the_brief_without_a_date_is_for_the_citys_today(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, zone: str
) -> None:
    """UTC+14 and UTC-12 are never on the same calendar day: each city's brief is dated by its
    own day, not the server's."""
    monkeypatch.setenv("CITYHUB_TIMEZONE", zone)
    out = tmp_path / zone.replace("/", "_")
    made = run("voice", "brief", "--out", str(out), "--database", f"sqlite:///{tmp_path}/b.db")
    assert made.returncode == 0, made.stderr
    today = dt.datetime.now(ZoneInfo(zone)).date().isoformat()
    assert (out / f"brief-{today}.md").exists(), sorted(p.name for p in out.iterdir())
