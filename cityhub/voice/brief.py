"""The daily brief (舆情日报): hot issues, sentiment by district with a trend chart, bursts,
the worst-rated replies and overdue requests, as Markdown and as one self-contained HTML page
(the chart is inline SVG: no script, no network)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from cityhub.catalog.mask import mask_text
from cityhub.charts import line_chart
from cityhub.citizen.service import to_us
from cityhub.errors import BadRequestData
from cityhub.store.citizen_sql import RequestFilter
from cityhub.voice.hotissues import Message, public_issue
from cityhub.voice.service import VoiceService

HOT_WINDOW_DAYS = 30
TREND_DAYS = 14


def check_day(day: dt.date) -> dt.date:
    """A day the platform can hold data for (the windows reach a month back)."""
    if not 1970 <= day.year <= 9000:
        raise BadRequestData(f"{day.isoformat()} is out of range (years 1970-9000)")
    return day


def build_brief(
    voice: VoiceService, day: dt.date, extra: Sequence[Message] = (), top: int = 10
) -> dict[str, Any]:
    """Everything the brief shows for one local day, as plain data."""
    check_day(day)
    zone = ZoneInfo(voice.timezone)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), zone)
    start = end - dt.timedelta(days=HOT_WINDOW_DAYS)
    messages = voice.placed(
        [*voice.messages(start, end), *(m for m in extra if start <= m.time < end)]
    )
    issues = voice.hot(messages, as_of=end, top=top)
    trend_start = end - dt.timedelta(days=TREND_DAYS)
    recent = [m for m in messages if m.time >= trend_start]
    by_district, scores = voice.sentiment_table(recent, "district") if recent else ({}, [])
    series: dict[str, dict[str, float]] = {}
    for m, s in zip(recent, scores, strict=True):
        key = m.district or "未知 unknown"
        cell = series.setdefault(key, {})
        label = voice.local_day(m.time).isoformat()
        cell[label + ":n"] = cell.get(label + ":n", 0) + 1
        cell[label + ":neg"] = cell.get(label + ":neg", 0) + (s.label == "negative")
    days = [(trend_start + dt.timedelta(days=i)).date().isoformat() for i in range(TREND_DAYS)]
    trend = {
        key: [(cell[d + ":neg"] / cell[d + ":n"]) if cell.get(d + ":n") else None for d in days]
        for key, cell in series.items()
    }
    replies = voice.rate_replies(messages)
    overdue = voice.requests.find(RequestFilter(overdue_at_us=to_us(end), order="deadline"), top)
    today = [m for m in messages if voice.local_day(m.time) == day]
    return {
        "date": day.isoformat(),
        "city": voice.requests.catalog.jurisdiction,
        "messages_today": len(today),
        "messages_window": len(messages),
        "negative_share": round(sum(s.label == "negative" for s in scores) / len(scores), 4)
        if scores
        else None,
        "hot_issues": [public_issue(i.as_dict()) for i in issues],
        "sentiment_by_district": by_district,
        "trend_days": days,
        "trend": trend,
        "bursts": [b.as_dict() for b in voice.bursts_on(recent, scores, day)] if recent else [],
        "worst_replies": [
            {"id": m.id, "title": mask_text(m.title or ""), **score.as_dict()}
            for m, score in replies[:top]
        ],
        "overdue": [
            {
                "id": str(r.id),
                "service_code": r.service_code,
                "department": _department_name(voice, r.department),
                "district": r.district,
                "deadline": dt.datetime.fromtimestamp(r.deadline_us / 1e6, zone).isoformat(),
                "title": mask_text(r.doc.get("title") or str(r.doc.get("description", "")))[:40],
            }
            for r in overdue
        ],
    }


def _department_name(voice: VoiceService, code: str | None) -> str | None:
    found = voice.requests.catalog.departments.get(code or "")
    return found.name_zh if found else code


def trend_svg(days: Sequence[str], trend: dict[str, list[float | None]]) -> str:
    """Negative share per day and district as a line chart (inline SVG)."""
    return line_chart(
        [d[5:] for d in days],
        trend,
        "negative share by district",
        y_range=(0.0, 1.0),
        y_format=lambda v: f"{v:.0%}",
        x_title="date 日期",
        y_title="negative share 负面占比",
    )


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def to_markdown(brief: dict[str, Any]) -> str:
    lines = [
        f"# 舆情日报 Public opinion brief · {brief['date']}",
        "",
        f"- 当日留言 messages today: **{brief['messages_today']}**; "
        f"近{HOT_WINDOW_DAYS}天 last {HOT_WINDOW_DAYS} days: {brief['messages_window']}",
        f"- 近{TREND_DAYS}天负面占比 negative share, last {TREND_DAYS} days: "
        f"{_pct(brief['negative_share'])}",
        "",
        "## 热点问题 Hot issues",
        "",
        "| # | 热度 heat | 地点 place | 时间 period | 留言 msgs | 人数 people | 点赞 likes "
        "| 问题 issue |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for h in brief["hot_issues"]:
        lines.append(
            f"| {h['rank']} | {h['heat']} | {h['place'] or '-'} | {h['start'][:10]} – "
            f"{h['end'][:10]} | {h['messages']} | {h['reporters']} | {h['likes']} | "
            f"{h['description']} |"
        )
    lines += [
        "",
        "## 各区情绪 Sentiment by district",
        "",
        "![negative share by district](sentiment_trend.svg)",
        "",
        "| 区 district | 负面 neg | 中性 neutral | 正面 pos | 负面占比 share |",
        "|---|---|---|---|---|",
    ]
    for key, cell in brief["sentiment_by_district"].items():
        lines.append(
            f"| {key} | {cell['negative']} | {cell['neutral']} | {cell['positive']} | "
            f"{_pct(cell['negative_share'])} |"
        )
    lines += ["", "## 负面激增 Negative bursts", ""]
    lines += [
        f"- {b['key']}: {b['negative_messages']} (expected {b['expected']}, p={b['p_value']})"
        for b in brief["bursts"]
    ] or ["- 无 none"]
    lines += [
        "",
        "## 评分最低的答复 Worst-rated replies",
        "",
        "| 留言 id | 总分 score | 相关 rel | 完整 comp | 及时 time | 清晰 clar | 原因 reasons |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in brief["worst_replies"]:
        reasons = "；".join(x["zh"] for x in r["reasons"][:3])
        lines.append(
            f"| {r['id']} {r['title'][:24]} | {r['overall']} | {r['relevance']} | "
            f"{r['completeness']} | {r['timeliness'] if r['timeliness'] is not None else '-'} | "
            f"{r['clarity']} | {reasons} |"
        )
    lines += ["", "## 超期工单 Overdue requests", ""]
    lines += [
        f"- #{o['id']} {o['title']} — {o['department'] or '待派单'} · {o['district'] or '-'} · "
        f"deadline {o['deadline'][:16]}"
        for o in brief["overdue"]
    ] or ["- 无 none"]
    return "\n".join(lines) + "\n"


def to_html(brief: dict[str, Any]) -> str:
    """One self-contained page: the Markdown's content as tables, the chart inline."""

    def table(head: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
        cells = "".join(f"<th>{escape(h)}</th>" for h in head)
        body = "".join(
            "<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in row) + "</tr>" for row in rows
        )
        return f"<table><thead><tr>{cells}</tr></thead><tbody>{body}</tbody></table>"

    hot = table(
        ["#", "热度 heat", "地点 place", "时间 period", "留言 msgs", "人数 people", "问题 issue"],
        [
            [
                h["rank"],
                h["heat"],
                h["place"] or "-",
                f"{h['start'][:10]} – {h['end'][:10]}",
                h["messages"],
                h["reporters"],
                h["description"],
            ]
            for h in brief["hot_issues"]
        ],
    )
    districts = table(
        ["区 district", "负面 neg", "中性 neutral", "正面 pos", "负面占比 share"],
        [
            [k, c["negative"], c["neutral"], c["positive"], _pct(c["negative_share"])]
            for k, c in brief["sentiment_by_district"].items()
        ],
    )
    replies = table(
        ["留言 message", "总分 score", "原因 reasons"],
        [
            [
                f"{r['id']} {r['title'][:30]}",
                r["overall"],
                "；".join(x["zh"] for x in r["reasons"][:4]),
            ]
            for r in brief["worst_replies"]
        ],
    )
    overdue = table(
        ["工单 request", "部门 department", "区 district", "期限 deadline"],
        [
            [
                f"#{o['id']} {o['title']}",
                o["department"] or "待派单",
                o["district"] or "-",
                o["deadline"][:16],
            ]
            for o in brief["overdue"]
        ],
    )
    bursts = (
        "".join(
            f"<li>{escape(b['key'])}: {b['negative_messages']} "
            f"(expected {b['expected']}, p={b['p_value']})</li>"
            for b in brief["bursts"]
        )
        or "<li>无 none</li>"
    )
    chart = trend_svg(brief["trend_days"], brief["trend"])
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>舆情日报 {escape(brief["date"])}</title>
<style>body{{font-family:system-ui,"Noto Sans CJK SC",sans-serif;margin:1.5rem auto;
max-width:60rem;color:#1d2733}}table{{border-collapse:collapse;width:100%;margin:.5rem 0 1.2rem}}
th,td{{border-bottom:1px solid #dde3ea;padding:.3rem .4rem;text-align:left;font-size:.9rem}}
th{{background:#eef2f6}}</style></head><body>
<h1>舆情日报 Public opinion brief · {escape(brief["date"])}</h1>
<p>当日留言 messages today: <b>{brief["messages_today"]}</b> ·
近{HOT_WINDOW_DAYS}天 last {HOT_WINDOW_DAYS} days: {brief["messages_window"]} ·
负面占比 negative share: {_pct(brief["negative_share"])}</p>
<h2>热点问题 Hot issues</h2>{hot}
<h2>各区情绪 Sentiment by district</h2>{chart}{districts}
<h2>负面激增 Negative bursts</h2><ul>{bursts}</ul>
<h2>评分最低的答复 Worst-rated replies</h2>{replies}
<h2>超期工单 Overdue requests</h2>{overdue}
</body></html>
"""
