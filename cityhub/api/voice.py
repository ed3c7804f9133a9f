"""Public opinion at /voice/v1: the daily brief, hot issues, sentiment and reply evaluation."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from cityhub.api import http
from cityhub.api.routing import route
from cityhub.auth import policy
from cityhub.errors import BadRequestData
from cityhub.timeutil import city_today, parse_datetime
from cityhub.voice.brief import check_day
from cityhub.voice.hotissues import public_issue

PREFIX = "/voice/v1"
MAX_TEXT = 20_000  # characters of a message or a reply to evaluate


def _day(request: Request) -> dt.date:
    value = request.query_params.get("date")
    if not value:
        return city_today(http.hub_of(request).settings.timezone)
    try:
        return check_day(dt.date.fromisoformat(value))
    except ValueError as exc:
        raise BadRequestData(f"date must be YYYY-MM-DD, not {value!r}") from exc


def _whole(request: Request, name: str, default: int, high: int) -> int:
    value = request.query_params.get(name, "")
    if not value:
        return default
    if not value.isdecimal() or not 1 <= int(value) <= high:
        raise BadRequestData(f"{name} must be a whole number from 1 to {high}")
    return int(value)


async def brief(request: Request) -> Response:
    from cityhub.voice.brief import build_brief, to_html, to_markdown

    hub = http.hub_of(request)
    fmt = request.query_params.get("format", "html")
    if fmt not in ("html", "md", "json"):
        raise BadRequestData("format must be html, md or json")
    data = await hub.compute.run(build_brief, hub.voice, _day(request))
    if fmt == "json":
        return http.ORJSONResponse(data)
    if fmt == "md":
        return Response(to_markdown(data), media_type="text/markdown; charset=utf-8")
    # A report page: its own inline styles and chart, never a script.
    return HTMLResponse(to_html(data), headers={"Content-Security-Policy": http.REPORT_CSP})


async def hot_issues(request: Request) -> Response:
    hub = http.hub_of(request)
    days = _whole(request, "days", 30, 366)
    top = _whole(request, "top", 20, 200)
    zone = ZoneInfo(hub.settings.timezone)
    end = dt.datetime.combine(_day(request) + dt.timedelta(days=1), dt.time(), zone)
    start = end - dt.timedelta(days=days)

    def run() -> list[dict[str, Any]]:
        messages = hub.voice.messages(start, end)
        return [public_issue(i.as_dict()) for i in hub.voice.hot(messages, end, top)]

    return http.ORJSONResponse(await hub.compute.run(run))


async def sentiment(request: Request) -> Response:
    hub = http.hub_of(request)
    body = await http.json_object(request)
    texts = http.texts_of(body)
    scores = await hub.compute.run(hub.voice.score, texts)
    return http.ORJSONResponse([{"label": s.label, "positive": s.positive} for s in scores])


async def sentiment_table(request: Request) -> Response:
    hub = http.hub_of(request)
    by = request.query_params.get("by", "district")
    days = _whole(request, "days", 14, 366)
    zone = ZoneInfo(hub.settings.timezone)
    end = dt.datetime.combine(_day(request) + dt.timedelta(days=1), dt.time(), zone)

    def run() -> dict[str, Any]:
        messages = hub.voice.placed(hub.voice.messages(end - dt.timedelta(days=days), end))
        if not messages:
            return {}
        table, _ = hub.voice.sentiment_table(messages, by)
        return table

    return http.ORJSONResponse({"by": by, "days": days, "groups": await hub.run(run)})


async def evaluate_reply(request: Request) -> Response:
    from cityhub.voice.replies import evaluate_reply as score

    hub = http.hub_of(request)
    body = await http.json_object(request)
    message, reply = body.get("message"), body.get("reply")
    if not isinstance(message, str) or not isinstance(reply, str) or not message or not reply:
        raise BadRequestData("give 'message' and 'reply' as non-empty strings")
    if len(message) > MAX_TEXT or len(reply) > MAX_TEXT:
        raise BadRequestData(f"'message' and 'reply' may be at most {MAX_TEXT:,} characters")
    times = []
    for name in ("asked", "answered"):
        value = body.get(name)
        try:
            times.append(parse_datetime(value, hub.settings.timezone) if value else None)
        except (ValueError, TypeError) as exc:
            raise BadRequestData(f"{name} must be an ISO 8601 date-time") from exc
    result = await hub.compute.run(score, message, reply, times[0], times[1], hub.settings.timezone)
    return http.ORJSONResponse(result.as_dict())


routes = [
    route(PREFIX + "/brief", brief, "GET", policy.STAFF_READ),
    route(PREFIX + "/hot-issues", hot_issues, "GET", policy.KEY_READ),
    route(PREFIX + "/sentiment", sentiment, "POST", policy.ANALYTICS),
    route(PREFIX + "/sentiment", sentiment_table, "GET", policy.KEY_READ),
    route(PREFIX + "/replies/evaluate", evaluate_reply, "POST", policy.ANALYTICS),
]
