"""Hot issues on real messages: places read from Chinese text, groups checked against a
hand-labelled fixture of same-issue pairs, and a heat ranking that explains itself."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from cityhub.voice.hotissues import Message, extract_places, group_messages, hot_issues

SZ = ZoneInfo("Asia/Shanghai")
FIXTURE = Path(__file__).parent / "fixtures" / "same_issue_pairs.csv"


def load(shared_data: Path) -> list[Message]:
    path = shared_data / "citizen" / "messages_with_support_counts.csv"
    return [
        Message(
            id=row["id"],
            title=row["title"],
            text=row["text"],
            time=dt.datetime.fromisoformat(row["time"]).replace(tzinfo=SZ),
            user=row["user"],
            likes=int(row["likes"]),
            dislikes=int(row["dislikes"]),
        )
        for row in csv.DictReader(path.open(encoding="utf-8"))
    ]


@pytest.fixture(scope="module")
def messages(shared_data: Path) -> list[Message]:
    return load(shared_data)


@pytest.mark.parametrize(
    "text,expected",
    [
        ("A7县春华镇金鼎村水泥路、自来水到户的问题", ["A7县", "春华镇", "金鼎村", "水泥路"]),
        ("A2区黄兴路步行街大古道巷住户卫生间粪便外排", ["A2区", "黄兴路", "步行街", "大古道巷"]),
        ("投诉丽发新城小区附近违建搅拌站噪音扰民", ["丽发新城"]),
        ("A3区郝家坪小学什么时候能改扩建?", ["A3区", "郝家坪小学"]),
    ],
)
def test_places_are_read_from_chinese_text(text: str, expected: list[str]) -> None:
    found = extract_places(text)
    assert all(name in found for name in expected), found


def test_gazetteer_names_are_found_too() -> None:
    assert "香蜜湖街道" in extract_places("香蜜湖街道晚上很吵", known=["香蜜湖街道"])


def test_grouping_matches_the_hand_labelled_pairs(messages: list[Message]) -> None:
    groups = group_messages(messages)
    group_of = {messages[i].id: g for g, members in enumerate(groups) for i in members}
    tp = fp = fn = 0
    for row in csv.DictReader(FIXTURE.open(encoding="utf-8")):
        same = row["same_issue"] == "1"
        together = group_of[row["id_a"]] == group_of[row["id_b"]]
        tp += same and together
        fp += together and not same
        fn += same and not together
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    print(f"pairwise precision {precision:.3f}, recall {recall:.3f} on {FIXTURE.name}")
    assert precision >= 0.9 and recall >= 0.6, (precision, recall)


def test_hot_issues_rank_by_heat_with_their_numbers(messages: list[Message]) -> None:
    issues = hot_issues(messages, top=10)
    assert [i.rank for i in issues] == list(range(1, 11))
    heats = [i.heat for i in issues]
    assert heats == sorted(heats, reverse=True)
    first = issues[0].as_dict()
    assert first["messages"] >= 10 and first["reporters"] >= 10
    assert first["place"] and first["place"] in " ".join(
        m.title + m.text for m in messages if m.id in set(first["members"])
    )
    assert first["start"] <= first["end"]
    by_id = {m.id: m for m in messages}
    assert first["likes"] == sum(by_id[i].likes for i in first["members"])
    # One reporter posting the same thing many times does not outrank many reporters.
    for issue in issues[:3]:
        assert issue.reporters >= 3


def test_repeats_by_one_reporter_weigh_less_than_many_reporters() -> None:
    now = dt.datetime(2026, 11, 25, tzinfo=SZ)
    text = "景田北路工地夜间施工噪音扰民"
    one = [Message(f"a{i}", text, text, now, user="same") for i in range(12)]
    many = [Message(f"b{i}", text + "!", text, now, user=f"u{i}") for i in range(4)]
    issues = hot_issues([*one, *many], as_of=now, min_messages=2)
    assert len(issues) == 1  # same text, same place, same day: one issue
    spam = hot_issues(one, as_of=now)[0].heat
    crowd = hot_issues(many, as_of=now)[0].heat
    assert crowd > spam


@pytest.mark.parametrize(
    "text,not_a_place,place",
    [
        ("建议增加社区医疗服务点", "增加社区", None),
        ("希望加强路口交通管理", "加强路", None),
        ("要求整治福华路占道经营", "整治福华路", "福华路"),
    ],
)
def test_a_complaints_verb_is_not_read_as_a_place(
    text: str, not_a_place: str, place: str | None
) -> None:
    found = extract_places(text)
    assert not_a_place not in found, found
    assert place is None or place in found, found
