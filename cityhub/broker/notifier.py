"""Delivers queued notifications: one asyncio worker per endpoint, so a slow or dead endpoint
delays no other; retries with back-off; the queue lives in the store, so nothing is lost on a
restart and several processes share the work through leases."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
from typing import Any
from urllib.parse import urlsplit

import orjson

from cityhub.broker.http_sender import HttpSender
from cityhub.jsonld import CORE_CONTEXT_URL
from cityhub.outbound import Destinations
from cityhub.store import Store
from cityhub.store.records import QueuedNotification
from cityhub.timeutil import now_iso

log = logging.getLogger("cityhub.notifier")
CONTEXT_REL = "http://www.w3.org/ns/json-ld#context"


def _now_us() -> int:
    return int(time.time() * 1_000_000)


class Notifier:
    def __init__(
        self,
        store: Store,
        timeout: float = 5.0,
        lease: float = 30.0,
        poll: float = 0.5,
        max_backoff: float = 300.0,
        destinations: Destinations | None = None,
    ) -> None:
        self.store = store
        self.destinations = destinations or Destinations("public", "CITYHUB_NOTIFY_HOSTS")
        self.rate = 100.0  # at most this many notifications per second to one endpoint
        self._last_sent: dict[str, float] = {}
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.timeout = timeout
        self.lease_us = int(lease * 1_000_000)
        self.poll = poll
        self.max_backoff = max_backoff
        self._workers: dict[str, asyncio.Task[None]] = {}
        self._event: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._http: HttpSender | None = None
        self._mqtt = MqttPublishers(self.destinations)

    def wake(self) -> None:
        """Thread-safe: a change was committed with notifications queued."""
        loop, event = self._loop, self._event
        if loop is not None and event is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(event.set)

    periodic: Any = None  # callable(now_us) -> queued count, for timeInterval subscriptions

    async def run(self, run_blocking: Any) -> None:
        """Until cancelled: claim due heads in one statement, deliver them concurrently (one
        per endpoint), then settle the results in a few statements."""
        self._loop = asyncio.get_running_loop()
        self._event = asyncio.Event()
        self._http = HttpSender(self.timeout, self.destinations)
        self._done: list[tuple[QueuedNotification, bool, str]] = []
        in_flight: dict[str, asyncio.Task[None]] = self._workers
        try:
            while True:
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._event.wait(), self.poll)
                self._event.clear()
                try:
                    await self._settle(run_blocking)
                    if self.periodic is not None:
                        await run_blocking(self.periodic, _now_us())
                    heads = await run_blocking(
                        self.store.subscriptions.claim_heads,
                        self.worker_id,
                        _now_us(),
                        self.lease_us,
                    )
                except Exception:
                    log.exception("could not read or update the notification queue")
                    continue
                for item in heads:
                    in_flight[item.endpoint] = asyncio.create_task(self._attempt(item))
        finally:
            for task in in_flight.values():
                task.cancel()
            for task in in_flight.values():
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            with contextlib.suppress(Exception):
                await self._settle(run_blocking)
            await self._http.close()
            self._mqtt.close()

    async def _attempt(self, item: QueuedNotification) -> None:
        # One endpoint gets at most `rate` notifications a second, whatever its subscriptions.
        if self.rate > 0:
            loop = asyncio.get_running_loop()
            wait = self._last_sent.get(item.endpoint, 0.0) + 1.0 / self.rate - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            self._last_sent[item.endpoint] = loop.time()
            if len(self._last_sent) > 10_000:
                self._last_sent.clear()
        ok, why = await self._deliver(item)
        if not ok:
            log.warning("notification to %s failed (%s)", item.endpoint, why)
        self._done.append((item, ok, now_iso()))
        assert self._event is not None
        self._event.set()  # settle it and claim that endpoint's next notification

    async def _settle(self, run_blocking: Any) -> None:
        done, self._done = self._done, []
        if not done:
            return
        await run_blocking(
            self.store.subscriptions.finish_notifications, [i.id for i, ok, _ in done if ok]
        )
        for item, ok, _ in done:
            if not ok:  # it stays at the head: later notifications wait behind it, in order
                delay = min(self.max_backoff, 2.0 ** min(item.attempts, 16))
                await run_blocking(
                    self.store.subscriptions.retry_notification,
                    item.id,
                    item.attempts + 1,
                    _now_us() + int(delay * 1_000_000),
                )
        await run_blocking(
            self.store.subscriptions.record_deliveries,
            [(i.tenant, i.subscription_id, ok, at) for i, ok, at in done],
        )

    async def _deliver(self, item: QueuedNotification) -> tuple[bool, str]:
        message = orjson.loads(item.payload)
        scheme = urlsplit(item.endpoint).scheme
        try:
            if scheme in ("mqtt", "mqtts"):
                await asyncio.to_thread(self._mqtt.publish, item.endpoint, message)
                return True, ""
            return await self._post(item.endpoint, message)
        except Exception as exc:  # any failure of the receiver is a failed attempt
            return False, f"{type(exc).__name__}: {exc}"

    async def _post(self, uri: str, message: dict[str, Any]) -> tuple[bool, str]:
        assert self._http is not None
        headers = notification_headers(message)
        status = await self._http.post(uri, orjson.dumps(message["body"]), headers)
        if 200 <= status < 300:
            return True, ""
        return False, f"HTTP {status}"


def notification_headers(message: dict[str, Any]) -> dict[str, str]:
    """The headers of a notification (HTTP) or its metadata (MQTT): receiverInfo, Content-Type,
    the @context as a Link for plain JSON, the tenant."""
    headers = dict(message.get("headers") or {})
    accept = message.get("accept", "application/json")
    headers["Content-Type"] = accept
    if accept == "application/json":
        context = message.get("context")
        urls = [context] if isinstance(context, str) else list(context or [])
        # one context URL goes in the Link header as it is; an inline or several: the core
        only = urls[0] if len(urls) == 1 and isinstance(urls[0], str) else None
        url = only or CORE_CONTEXT_URL
        headers["Link"] = f'<{url}>; rel="{CONTEXT_REL}"; type="application/ld+json"'
    if message.get("tenant"):
        headers["NGSILD-Tenant"] = message["tenant"]
    return headers


class MqttPublishers:
    """One connected paho client per broker, publishing QoS 1 and waiting for the ack."""

    def __init__(self, destinations: Destinations) -> None:
        self.destinations = destinations
        self._clients: dict[tuple[str, int, bool], Any] = {}

    def publish(self, uri: str, message: dict[str, Any]) -> None:
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion

        parts = urlsplit(uri)
        secure = parts.scheme == "mqtts"
        key = (parts.hostname or "127.0.0.1", parts.port or (8883 if secure else 1883), secure)
        client = self._clients.get(key)
        if client is None:
            client = mqtt.Client(
                CallbackAPIVersion.VERSION2,
                client_id=f"cityhub-notifier-{os.getpid()}-{id(self):x}",
            )
            if parts.username:
                client.username_pw_set(parts.username, parts.password)
            if secure:
                client.tls_set()
            address = self.destinations.resolve(key[0], key[1])[0]
            if secure:
                client.tls_insecure_set(False)
            client.connect(address if not secure else key[0], key[1])
            client.loop_start()
            self._clients[key] = client
        topic = parts.path.lstrip("/") or "notifications"
        payload = {"metadata": notification_headers(message), "body": message["body"]}
        info = client.publish(topic, orjson.dumps(payload), qos=1)
        info.wait_for_publish(timeout=10)
        if not info.is_published():
            raise TimeoutError("MQTT broker did not acknowledge the notification")

    def close(self) -> None:
        for client in self._clients.values():
            client.loop_stop()
            client.disconnect()
        self._clients.clear()
