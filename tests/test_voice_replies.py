"""Official replies scored with reasons, on constructed and real replies."""

from __future__ import annotations

import csv
import datetime as dt
import statistics
from pathlib import Path
from zoneinfo import ZoneInfo

from cityhub.voice.replies import evaluate_reply

SZ = ZoneInfo("Asia/Shanghai")
MESSAGE = "福田区景田北路晚上施工噪音太大，已经连续一个月，请问什么时候能停止夜间施工？"
GOOD = (
    "网友您好！您的留言已收悉。经核实，景田北路夜间施工为地铁配套管线工程，"
    "福田区住房和建设局已责令施工单位自2026年11月20日起停止22时后的夜间施工，"
    "并安排执法人员夜间巡查。如仍有夜间施工噪音，请拨打0755-12345678反映。感谢您的监督！"
)
EMPTY = "网友您好！您的留言已收悉。感谢您对我们工作的支持、理解与监督！2026年11月30日"


def at(day: int, month: int = 11) -> dt.datetime:
    return dt.datetime(2026, month, day, 10, 0, tzinfo=SZ)


def test_a_specific_reply_beats_set_phrases() -> None:
    good = evaluate_reply(MESSAGE, GOOD, at(16), at(18))
    empty = evaluate_reply(MESSAGE, EMPTY, at(16), at(18))
    assert good.overall >= 80 and empty.overall <= 35
    assert good.completeness == 100 and good.reasons == []
    assert empty.relevance == 0
    reasons = {r["en"] for r in empty.reasons}
    assert "names no action taken or planned" in reasons
    assert "does not answer the question asked" in reasons
    assert all(r["zh"] for r in empty.reasons)


def test_timeliness_counts_working_days_over_holidays() -> None:
    # Asked 30 Sep, answered 9 Oct: only 8 and 9 Oct are working days (National Day).
    quick = evaluate_reply(MESSAGE, GOOD, at(30, 9), at(9, 10))
    assert quick.delay_working_days == 2 and quick.timeliness == 100
    slow = evaluate_reply(MESSAGE, GOOD, at(2), at(30))
    assert slow.delay_working_days == 20 and slow.timeliness == 0
    assert any("20" in r["en"] for r in slow.reasons)
    undated = evaluate_reply(MESSAGE, GOOD)
    assert undated.timeliness is None and undated.overall > 80


def test_missing_parts_are_named() -> None:
    partial = "经调查，该工地已停止夜间施工。"
    score = evaluate_reply(MESSAGE, partial)
    missing = {r["en"] for r in score.reasons}
    assert "names no responsible unit" in missing
    assert "gives no contact or channel to follow up" in missing
    assert "names no action taken or planned" not in missing
    assert 0 < score.completeness < 100


def test_a_short_hotline_number_is_a_contact_and_a_replaced_lamp_an_action() -> None:
    lamp = "深南大道路灯不亮，晚上很危险，请尽快处理。"
    reply = (
        "福田区城市管理和综合执法局回复：该路段路灯已更换，现已恢复正常照明。"
        "如有问题请拨打0755-12345反映。"
    )
    missing = {r["en"] for r in evaluate_reply(lamp, reply).reasons}
    assert "gives no contact or channel to follow up" not in missing
    assert "names no action taken or planned" not in missing
    hotline = evaluate_reply(lamp, "路灯已维修完毕。如仍不亮，可致电 12345 热线。")
    assert "gives no contact or channel to follow up" not in {r["en"] for r in hotline.reasons}


def test_real_replies_spread_and_the_worst_are_empty(shared_data: Path) -> None:
    path = shared_data / "citizen" / "messages_with_official_replies.csv"
    rows = list(csv.DictReader(path.open(encoding="utf-8")))[:600]
    scored = []
    for row in rows:
        asked = dt.datetime.fromisoformat(row["time"]).replace(tzinfo=SZ)
        answered = dt.datetime.fromisoformat(row["reply_time"]).replace(tzinfo=SZ)
        scored.append(
            (evaluate_reply(row["title"] + row["text"], row["reply"], asked, answered), row)
        )
    overall = [s.overall for s, _ in scored]
    assert statistics.pstdev(overall) > 10  # the scores tell replies apart
    worst = sorted(scored, key=lambda p: p[0].overall)[:10]
    assert all(len(row["reply"]) < 200 for _, row in worst)
    best = sorted(scored, key=lambda p: -p[0].overall)[:10]
    assert all(s.completeness >= 60 and s.relevance >= 60 for s, _ in best)
