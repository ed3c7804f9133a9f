"""Public opinion at /voice/v1: the daily brief, hot issues, sentiment and reply evaluation."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from cityhub.api import http
from cityhub.errors import BadRequestData
from cityhub.timeutil import parse_datetime
from cityhub.voice.brief import check_day

PREFIX = "/voice/v1"


def _day(request: Request) -> dt.date:
    value = request.query_params.get("date")
    if not value:
        zone = ZoneInfo(http.hub_of(request).settings.timezone)
        return dt.datetime.now(zone).date()
    try:
        return check_day(dt.date.fromisoformat(value))
    except ValueError as exc:
        raise BadRequestData(f"date must be YYYY-MM-DD, not {value!r}") from exc


def _whole(request: Request, name: str, default: int, high: int) -> int:
    value = request.query_params.get(name, "")
    if not value:
        return default
    if not value.isdigit() or not 1 <= int(value) <= high:
        raise BadRequestData(f"{name} must be a whole number from 1 to {high}")
    return int(value)


async def brief(request: Request) -> Response:
    from cityhub.voice.brief import build_brief, to_html, to_markdown

    hub = http.hub_of(request)
    fmt = request.query_params.get("format", "html")
    if fmt not in ("html", "md", "json"):
        raise BadRequestData("format must be html, md or json")
    data = await hub.run(build_brief, hub.voice, _day(request))
    if fmt == "json":
        return http.ORJSONResponse(data)
    if fmt == "md":
        return Response(to_markdown(data), media_type="text/markdown; charset=utf-8")
    return HTMLResponse(to_html(data))


async def hot_issues(request: Request) -> Response:
    hub = http.hub_of(request)
    days = _whole(request, "days", 30, 366)
    top = _whole(request, "top", 20, 200)
    zone = ZoneInfo(hub.settings.timezone)
    end = dt.datetime.combine(_day(request) + dt.timedelta(days=1), dt.time(), zone)
    start = end - dt.timedelta(days=days)

    def run() -> list[dict[str, Any]]:
        messages = hub.voice.messages(start, end)
        return [i.as_dict() for i in hub.voice.hot(messages, end, top)]

    return http.ORJSONResponse(await hub.run(run))


async def sentiment(request: Request) -> Response:
    hub = http.hub_of(request)
    body = await http.json_object(request)
    texts = http.texts_of(body)
    scores = await hub.run(hub.voice.score, texts)
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
    times = []
    for name in ("asked", "answered"):
        value = body.get(name)
        try:
            times.append(parse_datetime(value, hub.settings.timezone) if value else None)
        except (ValueError, TypeError) as exc:
            raise BadRequestData(f"{name} must be an ISO 8601 date-time") from exc
    result = score(message, reply, times[0], times[1], hub.settings.timezone)
    return http.ORJSONResponse(result.as_dict())


routes = [
    Route(PREFIX + "/brief", brief, methods=["GET"]),
    Route(PREFIX + "/hot-issues", hot_issues, methods=["GET"]),
    Route(PREFIX + "/sentiment", sentiment, methods=["POST"]),
    Route(PREFIX + "/sentiment", sentiment_table, methods=["GET"]),
    Route(PREFIX + "/replies/evaluate", evaluate_reply, methods=["POST"]),
]
