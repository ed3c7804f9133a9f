"""The alarm desk: a server task that turns queued alarms into urgent orders and tells the
chosen caregiver at once over MQTT (`CITYHUB_CARE_TOPIC/<department>/caregivers/<id>/orders`).
An urgent order nobody was free for is tried again every RETRY_S seconds."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import orjson

from cityhub.care.alarms import topic
from cityhub.care.homecare import Dispatch, ride_minutes
from cityhub.care.register import DETAILS
from cityhub.errors import CityHubError
from cityhub.timeutil import iso_local, now_us

if TYPE_CHECKING:
    from cityhub.hub import Hub

log = logging.getLogger("cityhub.care")
RETRY_S = 15.0


def message(d: Dispatch, zone: str) -> dict[str, Any]:
    """What the caregiver's app is told: the order, whom, where, and who else to call."""
    c = d.client
    return {
        "order": d.order.id,
        "kind": d.order.kind,
        "priority": d.order.priority,
        "alarm": d.order.source.rsplit(":", 1)[-1],
        "raised": iso_local(d.order.created_us, zone),
        "client": {
            **{k: c.doc[k] for k in DETAILS if k in c.doc and k != "note"},
            "careLevel": c.care_level,
            "lat": c.lat,
            "lon": c.lon,
        },
        "distanceM": round(d.distance_m or 0.0),
        "rideMinutes": round(ride_minutes(d.distance_m or 0.0), 1),
    }


async def _tell(hub: Hub, d: Dispatch) -> None:
    if d.caregiver is None:
        log.warning("alarm order %s: no caregiver of %s is free", d.order.id, d.client.department)
        return
    where = topic(hub.settings.care_topic, d.client.department, d.caregiver.id)
    body = orjson.dumps(message(d, hub.settings.timezone))
    if hub.bridge is not None and hub.bridge.publish(where, body):
        await hub.write(hub.homecare.notified, d.order.id, now_us())
    else:
        log.warning("alarm order %s: caregiver %s could not be told", d.order.id, d.caregiver.id)


async def run(hub: Hub) -> None:
    import asyncio

    hub.alarms.attach(asyncio.get_running_loop())
    while True:
        calls = await hub.alarms.take(RETRY_S)
        try:
            if not calls:
                for waiting in await hub.write(hub.homecare.assign_waiting):
                    await _tell(hub, waiting)
                continue
            for call in calls:
                d: Dispatch | None = await hub.write(hub.homecare.raise_alarm, call)
                if d is None:
                    log.info("alarm from %s: the device is on no client's entry", call.device)
                elif d.new or d.caregiver is not None:
                    await _tell(hub, d)
        except CityHubError:
            log.exception("the alarm desk could not handle an alarm")
