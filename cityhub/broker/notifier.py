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

import httpx
import orjson

from cityhub.jsonld import CORE_CONTEXT_URL
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
    ) -> None:
        self.store = store
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.timeout = timeout
        self.lease_us = int(lease * 1_000_000)
        self.poll = poll
        self.max_backoff = max_backoff
        self._workers: dict[str, asyncio.Task[None]] = {}
        self._event: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._http: httpx.AsyncClient | None = None
        self._mqtt = MqttPublishers()

    def wake(self) -> None:
        """Thread-safe: a change was committed with notifications queued."""
        loop, event = self._loop, self._event
        if loop is not None and event is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(event.set)

    periodic: Any = None  # callable(now_us) -> queued count, for timeInterval subscriptions

    async def run(self, run_blocking: Any) -> None:
        """Until cancelled: start a worker for every endpoint with a due notification."""
        self._loop = asyncio.get_running_loop()
        self._event = asyncio.Event()
        self._http = httpx.AsyncClient(timeout=self.timeout)
        self._run_blocking = run_blocking
        try:
            while True:
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._event.wait(), self.poll)
                self._event.clear()
                try:
                    if self.periodic is not None:
                        await run_blocking(self.periodic, _now_us())
                    endpoints = await run_blocking(self.store.due_endpoints, _now_us())
                except Exception:
                    log.exception("could not read the notification queue")
                    continue
                for endpoint in endpoints:
                    task = self._workers.get(endpoint)
                    if task is None or task.done():
                        self._workers[endpoint] = asyncio.create_task(self._drain(endpoint))
        finally:
            for task in self._workers.values():
                task.cancel()
            for task in self._workers.values():
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            await self._http.aclose()
            self._mqtt.close()

    async def _drain(self, endpoint: str) -> None:
        while True:
            item = await self._run_blocking(
                self.store.claim_head, endpoint, self.worker_id, _now_us(), self.lease_us
            )
            if item is None:
                return
            ok, why = await self._deliver(item)
            at = now_iso()
            if ok:
                await self._run_blocking(self.store.finish_notification, item.id)
            else:
                delay = min(self.max_backoff, 2.0 ** min(item.attempts, 16))
                next_at = _now_us() + int(delay * 1_000_000)
                await self._run_blocking(
                    self.store.retry_notification, item.id, item.attempts + 1, next_at
                )
                log.warning("notification to %s failed (%s); retry in %.0fs", endpoint, why, delay)
            await self._run_blocking(
                self.store.record_delivery, item.tenant, item.subscription_id, ok, at
            )
            if not ok:
                return  # later notifications wait behind this one: order is kept

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
        headers = dict(message.get("headers") or {})
        accept = message.get("accept", "application/json")
        headers["Content-Type"] = accept
        if accept == "application/json":
            context = message.get("context")
            url = context if isinstance(context, str) else CORE_CONTEXT_URL
            headers["Link"] = f'<{url}>; rel="{CONTEXT_REL}"; type="application/ld+json"'
        if message.get("tenant"):
            headers["NGSILD-Tenant"] = message["tenant"]
        response = await self._http.post(
            uri, content=orjson.dumps(message["body"]), headers=headers
        )
        if 200 <= response.status_code < 300:
            return True, ""
        return False, f"HTTP {response.status_code}"


class MqttPublishers:
    """One connected paho client per broker, publishing QoS 1 and waiting for the ack."""

    def __init__(self) -> None:
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
            client.connect(key[0], key[1])
            client.loop_start()
            self._clients[key] = client
        topic = parts.path.lstrip("/") or "notifications"
        payload = {"metadata": message.get("headers") or {}, "body": message["body"]}
        info = client.publish(topic, orjson.dumps(payload), qos=1)
        info.wait_for_publish(timeout=10)
        if not info.is_published():
            raise TimeoutError("MQTT broker did not acknowledge the notification")

    def close(self) -> None:
        for client in self._clients.values():
            client.loop_stop()
            client.disconnect()
        self._clients.clear()
