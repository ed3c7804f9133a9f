"""Notification latency from update to receipt at 100 subscriptions (target p99 < 50 ms).

100 subscriptions, each with its own endpoint on a loopback receiver, watch one attribute;
200 updates at 10 per second, each carrying its send time; every notification's latency is
receipt time minus send time (20,000 notifications).
"""

from __future__ import annotations

import asyncio
import time

import orjson
from _common import bench_database, percentile, report, request_bytes, run_load, served

SUBSCRIPTIONS = 100
UPDATES = 200
RATE = 10.0
TARGET_P99_MS = 50.0
ENTITY = "urn:ngsi-ld:Streetlight:bench"


async def receiver(latencies: list[float]) -> tuple[asyncio.base_events.Server, int]:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    int(line.split(b":")[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length")
                )
                body = orjson.loads(await reader.readexactly(length))
                now = time.time()
                sent = body["data"][0]["sentAt"]["value"]
                latencies.append(now - sent)
                writer.write(b"HTTP/1.1 204 No Content\r\n\r\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


async def run(port: int) -> list[float]:
    latencies: list[float] = []
    srv, rport = await receiver(latencies)
    entity = {"id": ENTITY, "type": "Streetlight", "sentAt": {"type": "Property", "value": 0}}
    setup = [request_bytes("POST", "/ngsi-ld/v1/entities", orjson.dumps(entity))]
    for i in range(SUBSCRIPTIONS):
        sub = {
            "type": "Subscription",
            "entities": [{"type": "Streetlight"}],
            "watchedAttributes": ["sentAt"],
            "notification": {"endpoint": {"uri": f"http://127.0.0.1:{rport}/s{i}"}},
        }
        setup.append(request_bytes("POST", "/ngsi-ld/v1/subscriptions", orjson.dumps(sub)))
    await run_load(port, setup, 1)
    await asyncio.sleep(1.5)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    for _ in range(UPDATES):
        body = orjson.dumps({"value": time.time()})
        writer.write(request_bytes("PATCH", f"/ngsi-ld/v1/entities/{ENTITY}/attrs/sentAt", body))
        await reader.readuntil(b"\r\n\r\n")
        await asyncio.sleep(1 / RATE)
    deadline = time.monotonic() + 30
    while len(latencies) < SUBSCRIPTIONS * UPDATES and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    writer.close()
    srv.close()
    srv.close_clients() if hasattr(srv, "close_clients") else None
    return latencies


def main() -> None:
    for database in bench_database():
        with served(database) as port:
            latencies = asyncio.run(run(port))
        store = database.split(":", 1)[0]
        expected = SUBSCRIPTIONS * UPDATES
        p50, p99 = percentile(latencies, 50) * 1e3, percentile(latencies, 99) * 1e3
        report(
            f"notification latency p99 ({store})",
            p99,
            "ms",
            f"< {TARGET_P99_MS:.0f} ms",
            p99 < TARGET_P99_MS and len(latencies) == expected,
        )
        print(
            f"  p50 {p50:.1f} ms, p99 {p99:.1f} ms; {len(latencies):,} of {expected:,} "
            f"notifications received ({SUBSCRIPTIONS} subscriptions, {RATE:.0f} updates/s)"
        )


if __name__ == "__main__":
    main()
