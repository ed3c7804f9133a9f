"""The data behind the dashboard's side panels, each gathered in one call so the page makes one
request per panel and a missing part (no sentiment model yet, a series too short to forecast)
shows as a note instead of an error."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from cityhub.auth.principal import Principal
from cityhub.catalog.mask import mask_text
from cityhub.citizen.entity import us_to_iso
from cityhub.citizen.service import to_us
from cityhub.citizen.views import request_view, sees_contacts
from cityhub.citizen.workflow import STATUS_NAMES
from cityhub.errors import CityHubError
from cityhub.store.citizen_sql import OPEN_STATUSES, RequestFilter
from cityhub.voice.hotissues import public_issue

if TYPE_CHECKING:
    from cityhub.hub import Hub

QUEUE_SIZE = 40


def _queue_item(hub: Hub, row: Any, now_us: int, reader: Principal | None) -> dict[str, Any]:
    view = request_view(row, hub.requests.catalog, reader, now_us)
    keep = (
        "id", "service_code", "status", "department", "district", "street", "title",
        "description", "requested", "deadline", "hours_left", "deadline_state", "escalation",
        "lat", "long",
    )  # fmt: skip
    item = {k: view[k] for k in keep}
    item["status_text"] = dict(zip(("zh", "en"), STATUS_NAMES[row.status], strict=True))
    item["department_name"] = _department_name(hub, row.department)
    return item


# What each workflow event did, in words.
ACTION_NAMES = {
    "receive": ("受理", "received"),
    "dispatch": ("派单", "dispatched"),
    "accept": ("签收", "accepted"),
    "return": ("退单", "returned"),
    "resolve": ("办结", "resolved"),
    "close": ("归档", "closed"),
    "reopen": ("重办", "reopened"),
    "merge": ("合并", "merged"),
    "follow_up": ("回访", "followed up"),
    "escalate": ("升级督办", "escalated"),
}
ACTOR_NAMES = {
    "router": ("自动分拨", "automatic routing"),
    "deadline": ("期限督办", "deadline watch"),
    "operator": ("话务员", "operator"),
    "citizen": ("市民", "citizen"),
}


def _note(actor: str, note: str) -> dict[str, str]:
    """An event's note in both languages: the router's reasons are known phrases."""
    if actor == "router":
        if note == "service owner":
            return {"zh": "按诉求类型的责任部门", "en": "the service's own department"}
        if note.startswith("keyword "):
            word = note.removeprefix("keyword ")
            return {"zh": f"关键词「{word}」", "en": f"keyword “{word}”"}
        if note.startswith("classifier "):
            score = note.removeprefix("classifier ")
            return {"zh": f"模型分类（置信度 {score}）", "en": f"classifier (confidence {score})"}
    return {"zh": note, "en": note}


def _both(pair: tuple[str, str]) -> dict[str, str]:
    return {"zh": pair[0], "en": pair[1]}


def _department_name(hub: Hub, code: str | None) -> dict[str, str] | None:
    if not code:
        return None
    department = hub.requests.catalog.departments.get(code)
    if department is None:
        return _both(ACTOR_NAMES[code]) if code in ACTOR_NAMES else {"zh": code, "en": code}
    return {"zh": department.name_zh, "en": department.name_en}


def request_card(hub: Hub, request_id: int, reader: Principal | None) -> dict[str, Any]:
    """One request as an operator reads it: status and department in words, times for the
    page to show in the city's zone, the reply, the satisfaction and the timeline of workflow
    events. Text is masked, as in the queue, for readers outside the centre and the handling
    department."""
    requests = hub.requests
    row = requests.get(request_id)
    view = request_view(row, requests.catalog, reader)
    own = sees_contacts(row, requests.catalog, reader)
    service = requests.catalog.services.get(row.service_code)
    events = [
        {
            "at": us_to_iso(e.at_us),
            "action": e.action,
            "action_text": _both(ACTION_NAMES.get(e.action, (e.action, e.action))),
            "status_text": _both(STATUS_NAMES.get(e.to_status, (e.to_status, e.to_status))),
            "actor": _department_name(hub, e.actor),
            "note": _note(e.actor, e.note if own else mask_text(e.note)),
        }
        for e in hub.store.requests.request_events(request_id)
    ]
    keep = (
        "id", "status", "department", "district", "street", "title", "description",
        "address", "requested", "deadline", "responded", "resolved", "hours_left",
        "deadline_state", "escalation", "satisfaction", "merged_into", "lat", "long",
    )  # fmt: skip
    card = {k: view.get(k) for k in keep}
    card.update(
        status_text=_both(STATUS_NAMES[row.status]),
        department_name=_department_name(hub, row.department),
        service_name=service.name if service else row.service_code,
        reply=view.get("status_notes"),
        events=events,
    )
    return card


def citizen_summary(hub: Hub, days: int = 30, reader: Principal | None = None) -> dict[str, Any]:
    """Open queue by deadline, overdue requests, counts, hot issues and sentiment by district.
    Text is masked for readers outside the centre and the handling department."""
    requests = hub.requests
    now = dt.datetime.now(dt.UTC)
    now_us = to_us(now)
    statuses = list(OPEN_STATUSES)
    # The queue holds what is still within its deadline; what is past it is listed once,
    # under overdue.
    open_filter = RequestFilter(statuses=statuses, due_from_us=now_us, order="deadline")
    overdue_filter = RequestFilter(statuses=statuses, overdue_at_us=now_us, order="deadline")
    queue = [_queue_item(hub, r, now_us, reader) for r in requests.find(open_filter, QUEUE_SIZE)]
    overdue = [
        _queue_item(hub, r, now_us, reader) for r in requests.find(overdue_filter, QUEUE_SIZE)
    ]
    zone = ZoneInfo(hub.settings.timezone)
    today = dt.datetime.now(zone).date()
    end = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(), zone)
    start = end - dt.timedelta(days=days)
    voice = hub.voice
    messages = voice.messages(start, end)
    hot = [public_issue(i.as_dict()) for i in voice.hot(messages, end, 10)] if messages else []
    sentiment: dict[str, Any] | None = None
    note = ""
    placed = voice.placed(messages)
    if placed:
        try:
            sentiment, _ = voice.sentiment_table(placed, "district")
        except CityHubError as exc:
            note = exc.detail
    return {
        "counts": {
            "open": hub.store.requests.count_requests(RequestFilter(statuses=statuses)),
            "overdue": hub.store.requests.count_requests(
                RequestFilter(statuses=statuses, overdue_at_us=now_us)
            ),
            # 待派单: waiting for the centre to dispatch (no department named it)
            "awaiting_dispatch": hub.store.requests.count_requests(RequestFilter(unrouted=True)),
            "received_today": hub.store.requests.count_requests(
                RequestFilter(start_us=to_us(end - dt.timedelta(days=1)))
            ),
            "messages": len(messages),
        },
        "queue": queue,
        "overdue": overdue,
        "hot": hot,
        "sentiment": sentiment,
        "sentimentNote": note,
        "days": days,
    }


def goals_summary(hub: Hub, judged: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The targets' assessments (`IndicatorService.assess`, as dicts) with each indicator's
    name, unit, theme and latest value."""
    indicators = hub.indicators
    latest = {(v.indicator, v.place): v for v in hub.store.indicators.latest_indicator_values()}
    out = []
    for assessment in judged:
        item = dict(assessment)
        summary = indicators.library.get(item["indicator"]).summary()
        value = latest.get((item["indicator"], item.get("place", "city")))
        item.update(
            name=summary["name"],
            unit=summary["unit"],
            theme=summary["theme"],
            direction=summary["direction"],
            decimals=summary["decimals"],
            latest={"period": value.period, "value": value.value} if value else None,
        )
        out.append(item)
    return out


def indicator_chart(hub: Hub, ident: str, place: str) -> dict[str, Any]:
    """An indicator's values at one place and its target there; the caller adds the forecast
    (`StoredAnalyses.forecast`)."""
    indicators = hub.indicators
    d = indicators.definition(ident)
    values = [
        {"period": v.period, "value": v.value}
        for v in indicators.values(ident, place)
        if v.value is not None
    ]
    targets = [
        {"period": t.period, "value": t.value, "kind": t.kind}
        for t in hub.store.indicators.targets(ident)
        if t.place == place
    ]
    chart: dict[str, Any] = {
        "indicator": d.summary(),
        "place": place,
        "values": values,
        "targets": targets,
        "forecast": None,
        "forecastNote": "",
        "forecastPending": False,  # being made: the page asks again
    }
    return chart
