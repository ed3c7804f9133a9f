"""Citizen messages replayed into the demo city over time: every few seconds one message from a
12345-style export (CSV with title and text) is filed as a hotline request at a random place in
the city, through the same service as an Open311 POST (classified, located, deadlines set)."""

from __future__ import annotations

import asyncio
import csv
import logging
import random
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from cityhub.citizen.service import MAX_DESCRIPTION, NewRequest
from cityhub.demo.city import random_point
from cityhub.errors import BadRequestData, CityHubError
from cityhub.hub import Hub

log = logging.getLogger("cityhub.demo")
REPLAY_SERVICE = "hotline"
REPLAY_ACTOR = "replay"


def read_replay_messages(path: Path, limit: int = 5000) -> list[tuple[str, str, str]]:
    """(title, text, user) rows of a CSV with title/text columns (user optional)."""
    out = []
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            if not {"title", "text"} <= set(reader.fieldnames or []):
                raise BadRequestData(f"{path} needs 'title' and 'text' columns")
            for row in reader:
                title, text = (row.get("title") or "").strip(), (row.get("text") or "").strip()
                if title or text:
                    out.append((title[:200], text[:MAX_DESCRIPTION], row.get("user") or ""))
                if len(out) >= limit:
                    break
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise BadRequestData(f"cannot read messages from {path}: {exc}") from exc
    return out


def file_one(hub: Hub, message: tuple[str, str, str], rng: random.Random) -> int:
    """File one message as a hotline request at a random point inside a random district."""
    districts = hub.requests.locator.districts
    lon, lat = random_point(districts.geometry(rng.randrange(len(districts.names))), rng)
    title, text, user = message
    row = hub.requests.create(
        NewRequest(
            REPLAY_SERVICE,
            title=title,
            description=text or title,
            lat=lat,
            lon=lon,
            reporter={"account_id": user} if user else {},
        ),
        actor=REPLAY_ACTOR,
    )
    return row.id


def resume_at(hub: Hub, order: list[tuple[str, str, str]]) -> int:
    """Where in `order` a replay goes on: after the message it last filed into this store (0
    when it filed none, or when that message is not in `order`)."""
    last = hub.store.requests.last_request_by("receive", REPLAY_ACTOR)
    row = hub.store.requests.get_request(last) if last is not None else None
    if row is None:
        return 0
    filed = (row.doc.get("title", ""), row.doc.get("description", ""))
    for position, (title, text, _) in enumerate(order):
        if (title, text or title) == filed:
            return position + 1
    return 0


def replayer(
    messages: list[tuple[str, str, str]], interval: float = 15.0, seed: int = 12345
) -> Callable[[Hub], Coroutine[Any, Any, None]]:
    """A background task for create_app: one message every `interval` seconds, in a random order
    fixed by `seed`. A restarted demo goes on after the last message it filed instead of filing
    the first ones again; once every message is filed it stops."""

    async def run(hub: Hub) -> None:
        rng = random.Random(seed)
        order = list(messages)
        rng.shuffle(order)
        start = await hub.run(resume_at, hub, order)
        if start:
            log.info("replay resumes after %d of %d messages", start, len(order))
        for message in order[start:]:
            await asyncio.sleep(interval)
            try:
                await hub.write(file_one, hub, message, rng)
            except CityHubError as exc:  # a message the city refuses is skipped, not fatal
                log.warning("replay skipped a message: %s", exc.detail)

    return run
