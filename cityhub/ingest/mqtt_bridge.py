"""The MQTT bridge: a persistent QoS 1 session on shared subscriptions, messages batched into one
transaction and acknowledged only after that transaction commits."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from cityhub.ingest.agent import IngestAgent, Message

log = logging.getLogger("cityhub.mqtt")
# The IoT agents' measure topics: /json/<apikey>/<device>/attrs[/<object_id>], the same under
# /ul/ for UltraLight 2.0, and the legacy /<apikey>/<device>/attrs[/<object_id>], on which the
# JSON agent reads JSON and the UltraLight agent UltraLight (told apart by the payload).
TOPICS = (
    "/json/+/+/attrs",
    "/json/+/+/attrs/+",
    "/ul/+/+/attrs",
    "/ul/+/+/attrs/+",
    "/+/+/attrs",
    "/+/+/attrs/+",
    # a device's answers to commands (cityhub.ingest.commands)
    "/+/+/cmdexe",
    "/json/+/+/cmdexe",
    "/ul/+/+/cmdexe",
)


def parse_topic(topic: str) -> Message | None:
    """The message a measure topic names (apikey, device, format, single attribute), or None
    for a topic that is none of the IoT agents'."""
    parts = topic.split("/")
    if len(parts) < 4 or parts[0] != "":
        return None
    fmt = "auto"  # legacy topics: JSON or UltraLight, as the payload is
    if parts[1] in ("json", "ul") and len(parts) >= 5 and parts[4] in ("attrs", "cmdexe"):
        fmt, parts = parts[1], ["", *parts[2:]]
    if len(parts) == 4 and parts[3] == "cmdexe":
        return Message(parts[1], parts[2], b"", fmt, None, topic, kind="cmdexe")
    if len(parts) == 4 and parts[3] == "attrs":
        return Message(parts[1], parts[2], b"", fmt, None, topic)
    if len(parts) == 5 and parts[3] == "attrs" and parts[4]:
        return Message(parts[1], parts[2], b"", fmt, parts[4], topic)
    return None


def _ack_all(client: Any, batch: list[Any]) -> None:
    for msg in batch:
        client.ack(msg.mid, msg.qos)


class MqttBridge:
    def __init__(
        self,
        agent: IngestAgent,
        url: str,
        client_id: str,
        group: str,
        batch_max: int = 500,
    ) -> None:
        parts = urlsplit(url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 1883
        self.username, self.password = parts.username, parts.password
        self.agent = agent
        self.client_id = client_id
        self.group = group
        self.batch_max = batch_max
        self.connected = asyncio.Event()
        self.stored = 0
        self.dead = 0
        self._client: Any = None

    def publish(self, topic: str, payload: bytes) -> bool:
        """Send a message (a command to a device) at QoS 1; False if the broker cannot have
        it now (not connected, or the client refused it)."""
        import paho.mqtt.client as mqtt

        if self._client is None or not self.connected.is_set():
            return False
        info = self._client.publish(topic, payload, qos=1)
        return bool(info.rc == mqtt.MQTT_ERR_SUCCESS)

    async def run(self, run_blocking: Callable[..., Awaitable[Any]]) -> None:
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion

        loop = asyncio.get_running_loop()
        inbox: collections.deque[Any] = collections.deque()  # filled by paho's network thread
        arrived = asyncio.Event()
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=self.client_id,
            clean_session=False,
            protocol=mqtt.MQTTv311,
        )
        client.manual_ack_set(True)
        client.max_inflight_messages_set(1000)
        if self.username:
            client.username_pw_set(self.username, self.password)

        def on_connect(c: Any, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
            c.subscribe([(f"$share/{self.group}/{t}", 1) for t in TOPICS])
            loop.call_soon_threadsafe(self.connected.set)

        def on_message(c: Any, userdata: Any, msg: Any) -> None:
            inbox.append(msg)
            if not arrived.is_set():  # one wake-up per burst, not one per message
                loop.call_soon_threadsafe(arrived.set)

        client.on_connect = on_connect
        client.on_message = on_message
        self._client = client
        client.connect_async(self.host, self.port, keepalive=30)
        client.loop_start()
        try:
            while True:
                await arrived.wait()
                arrived.clear()
                while inbox:
                    batch = [inbox.popleft() for _ in range(min(len(inbox), self.batch_max))]
                    await self._store(batch, client, run_blocking)
        finally:
            client.loop_stop()
            with contextlib.suppress(Exception):
                client.disconnect()

    def _ingest(self, batch: list[Any], client: Any) -> tuple[int, int]:
        """(stored, dead-lettered) for a batch of paho messages; runs off the event loop, and
        acknowledges the messages to the broker once what they carried is committed."""
        messages = []
        bad_topics = []
        for msg in batch:
            parsed = parse_topic(msg.topic)
            if parsed is None:
                bad_topics.append(msg)
                continue
            parsed.payload = bytes(msg.payload)
            messages.append(parsed)
        outcome = self.agent.ingest(messages)
        if bad_topics:
            self.agent.store.devices.add_dead_letters(
                [("", m.topic, bytes(m.payload), "unknown topic", None) for m in bad_topics]
            )
        self.agent.store.after_commit(lambda: _ack_all(client, batch))
        return outcome.stored, len(outcome.dead) + len(bad_topics)

    async def _store(
        self, batch: list[Any], client: Any, run_blocking: Callable[..., Awaitable[Any]]
    ) -> None:
        # The agent dead-letters every message it cannot store and goes on; it raises only when
        # the store itself is down, and then the batch stays unacknowledged and is tried again.
        while True:
            try:
                # Through the store's one write path (on SQLite the group-commit writer, so an
                # MQTT batch and the API's writes take turns and the event loop never waits).
                stored, dead = await run_blocking(self._ingest, batch, client)
                break
            except Exception:
                log.exception("could not store an MQTT batch; retrying")
                await asyncio.sleep(1.0)
        self.stored += stored
        self.dead += dead
