"""Forecasts and the targets' assessment, served from stored results.

A forecast takes 0.5–1.5 s of a worker process and assessing every target 0.3–0.5 s, so a
chart or the goals panel must not make them. Each stored result carries a digest of what it
was made from:

- a forecast depends only on its series, horizon and level: it is served while the digest of
  the series still matches, and made (once, in a worker process) and stored when it does not;
- the assessment also reads live history and requests for running targets (a month in
  progress is projected from its days), which no cheap digest covers: it is served while the
  indicator values, the targets and the city's day are unchanged and it is younger than
  `max_age`; each assessment carries the moment it was judged (`assessedAt`).

`refresh` is the background job: it remakes what went stale (every target's forecast and the
assessment), so readers seldom wait. Stored results live in the database, so every worker of a
server and every restart shares them.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from typing import TYPE_CHECKING, Any

import orjson

from cityhub.errors import CityHubError
from cityhub.indicators import analyses
from cityhub.indicators.periods import Period, local_day
from cityhub.workers import ServerBusy

if TYPE_CHECKING:
    from cityhub.hub import Hub

log = logging.getLogger("cityhub.indicators")

FORECAST = "forecast"
ASSESSMENT = "assessment"
CHART_HORIZON, CHART_LEVEL = 3, 0.95  # what a goal's chart shows
# A request waits this long for a result being made, then hears 503 while the making goes on
# and is stored; the making itself may take up to JOB_DEADLINE (a large city's assessment),
# so it is never abandoned half-way and started again by every refresh.
REQUEST_WAIT = 30.0
JOB_DEADLINE = 600.0


def digest(*parts: Any) -> str:
    return hashlib.sha256(orjson.dumps(parts)).hexdigest()


def forecast_subject(ident: str, place: str, horizon: int, level: float) -> str:
    return orjson.dumps([ident, place, horizon, level]).decode()


class StoredAnalyses:
    def __init__(self, hub: Hub, max_age: float = 300.0) -> None:
        self.hub = hub
        self.max_age = max_age
        self._making: dict[tuple[str, str], asyncio.Future[Any]] = {}

    async def forecast(
        self,
        ident: str,
        place: str,
        horizon: int = CHART_HORIZON,
        level: float = CHART_LEVEL,
        wait: float | None = REQUEST_WAIT,
    ) -> dict[str, Any]:
        """The forecast of one indicator at one place (BadRequestData when its series is too
        short); from the store when its series has not changed since it was made."""
        hub = self.hub
        values, periods = await hub.run(hub.indicators.forecast_inputs, ident, place)
        inputs = _forecast_digest(values, periods, horizon, level)
        subject = forecast_subject(ident, place, horizon, level)
        stored = await hub.run(hub.store.indicators.stored_result, FORECAST, subject)
        if stored is not None and stored.inputs == inputs:
            result: dict[str, Any] = stored.result
            return result

        async def make() -> dict[str, Any]:
            made: dict[str, Any] = await hub.compute.run_pure(
                analyses.forecast, values, periods, horizon, level
            )
            await hub.write(
                hub.store.indicators.put_result, FORECAST, subject, inputs, made, _now_us()
            )
            return made

        made: dict[str, Any] = await self._once((FORECAST, subject + inputs), make, wait)
        return made

    async def assessments(self, wait: float | None = REQUEST_WAIT) -> list[dict[str, Any]]:
        """Every target's assessment, as `IndicatorService.assess` judges it."""
        hub = self.hub
        inputs = await hub.run(self._assessment_digest)
        stored = await hub.run(hub.store.indicators.stored_result, ASSESSMENT, "all")
        if (
            stored is not None
            and stored.inputs == inputs
            and _now_us() - stored.computed_us < self.max_age * 1_000_000
        ):
            kept: list[dict[str, Any]] = stored.result
            return kept

        async def make() -> list[dict[str, Any]]:
            now = _now_us()
            assess = hub.indicators.assess
            judged = await hub.compute.run(assess, None, now, deadline=JOB_DEADLINE)
            made = [x.as_dict() for x in judged]
            await hub.write(hub.store.indicators.put_result, ASSESSMENT, "all", inputs, made, now)
            return made

        made: list[dict[str, Any]] = await self._once((ASSESSMENT, inputs), make, wait)
        return made

    async def refresh(self) -> None:
        """Remake what went stale: the assessment and the chart forecast of every target."""
        hub = self.hub
        await self.assessments(wait=None)
        targets = await hub.run(hub.store.indicators.targets)
        for ident, place in sorted({(t.indicator, t.place) for t in targets}):
            try:
                await self.forecast(ident, place, wait=None)
            except CityHubError as exc:  # a series too short, an unknown indicator
                log.debug("no forecast for %s at %s: %s", ident, place, exc.detail)

    async def _once(self, key: tuple[str, str], make: Any, wait: float | None) -> Any:
        """Concurrent readers of the same stale result wait for one computation, not four;
        each waits at most `wait` seconds (None: until it is made)."""
        task = self._making.get(key)
        if task is None:
            task = asyncio.ensure_future(make())
            self._making[key] = task
            task.add_done_callback(lambda done: self._made(key, done))
        if wait is None:
            return await asyncio.shield(task)
        try:
            return await asyncio.wait_for(asyncio.shield(task), wait)
        except TimeoutError as exc:
            raise ServerBusy(
                f"the analysis is still being made after {wait:g} s; it is kept when done, "
                "ask again shortly"
            ) from exc

    def _made(self, key: tuple[str, str], task: asyncio.Future[Any]) -> None:
        self._making.pop(key, None)
        if not task.cancelled() and task.exception() is not None:  # retrieved even if no one
            log.warning("%s could not be made: %s", key[0], task.exception())  # waits for it

    def _assessment_digest(self) -> str:
        hub = self.hub
        today = local_day(_now_us(), hub.settings.timezone)
        return digest(hub.store.indicators.revision(), today.isoformat())


def _forecast_digest(values: list[float], periods: list[Period], horizon: int, level: float) -> str:
    return digest(values, [p.label for p in periods], horizon, level)


def _now_us() -> int:
    return int(time.time() * 1_000_000)
