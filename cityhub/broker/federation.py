"""Distributed queries (NGSI-LD 5.7.2, 5.7.1 across context sources).

A query the registrations cover is asked of each registered source as well as of the local
store, in parallel, each source with its own time limit; what answers is merged by entity id
(attributes a source adds are added; what the local store holds wins on the same attribute).
A source that fails or is late is left out and named in an `NGSILD-Warning` header, so a slow
partner never stalls the answer. Every forwarded request carries a `Via` header naming this
broker; a request that already passed through it (a registration cycle) is answered locally.
Sources are reached only where the outbound rules allow (`CITYHUB_FEDERATION_HOSTS`).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import orjson

from cityhub.broker.forwarding import forwards_queries
from cityhub.broker.registration_service import RegistrationService
from cityhub.broker.registrations import Covered
from cityhub.outbound import Destinations, OutboundRefused, send

Source = tuple[dict[str, Any], list[Covered]]  # a registration, and its infos a read matches
MAX_HOPS = 5  # a request that passed through this many brokers is not forwarded again
MAX_ANSWER = 16 * 1024 * 1024  # bytes read from one source's answer


@dataclass
class Gathered:
    """What the sources answered: entities (as rendered by them) and one line per failure."""

    entities: list[dict[str, Any]] = field(default_factory=list)
    counts: list[int] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def warning(self) -> str:
        """The NGSILD-Warning header value (RFC 7234 warning syntax), or ""."""
        return ", ".join(f'199 cityhub "{text}"' for text in self.failures)


class Federation:
    def __init__(
        self,
        registrations: RegistrationService,
        destinations: Destinations,
        timeout: float,
        broker_id: str,
    ) -> None:
        self.registrations = registrations
        self.destinations = destinations
        self.timeout = timeout
        self.broker_id = broker_id
        self._pool = ThreadPoolExecutor(8, thread_name_prefix="cityhub-federation")

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def forwarding(self, via: str) -> bool:
        """Whether a request that came with this Via header may be forwarded again."""
        hops = [h.strip() for h in via.split(",") if h.strip()]
        return len(hops) < MAX_HOPS and not any(h.endswith(f" {self.broker_id}") for h in hops)

    def sources(
        self, tenant: str, types: set[str] | None, ids: set[str] | None, attrs: set[str] | None
    ) -> list[Source]:
        """The registrations a query over these types/ids/attributes goes to."""
        return _covering(self.registrations.live(tenant), types, ids, attrs)

    def cached_sources(
        self, tenant: str, types: set[str] | None, ids: set[str] | None, attrs: set[str] | None
    ) -> list[Source] | None:
        """`sources(...)` from registrations read within the last second, or None."""
        live = self.registrations.cached(tenant)
        return None if live is None else _covering(live, types, ids, attrs)

    def gather(self, requests: list[Forwarded], via: str) -> Gathered:
        """Send every read at once; entities from the sources answering within the time limit
        (a single entity a source does not hold is no failure), a failure line for each other."""
        out = Gathered()
        for item, answer in zip(requests, self.send_all(requests, via), strict=True):
            name = f"context source {item.registration.get('id')}"
            if isinstance(answer, str):
                out.failures.append(f"{name} failed: {answer}")
                continue
            try:
                entities, count = _entities_in(item, answer)
            except ValueError as exc:
                out.failures.append(f"{name} failed: {exc}")
                continue
            out.entities.extend(entities)
            if count is not None:
                out.counts.append(count)
        return out

    def send_all(self, requests: list[Forwarded], via: str) -> list[Answer]:
        """Send every forwarded write at once; each one's answer, or the failure's text for a
        source that failed or did not answer within the time limit."""
        hop = f"1.1 {self.broker_id}"
        stamped = f"{via}, {hop}" if via else hop
        futures = [self._pool.submit(self._send, item, stamped) for item in requests]
        done, _ = wait(futures, timeout=self.timeout + 0.5)
        answers: list[Answer] = []
        for future in futures:
            if future not in done:
                future.cancel()
                answers.append("timed out")
                continue
            try:
                answers.append(future.result())
            except (OSError, ValueError, OutboundRefused) as exc:
                answers.append(str(exc) or type(exc).__name__)
        return answers

    def _send(self, item: Forwarded, via: str) -> Reply:
        headers = {**item.headers, **_source_headers(item.registration), "Via": via}
        url = str(item.registration["endpoint"]).rstrip("/") + item.target
        return Reply(
            *send(item.method, url, self.destinations, self.timeout, MAX_ANSWER, headers, item.body)
        )


@dataclass(frozen=True)
class Forwarded:
    """One write sent on to a context source: `target` is the path and query after the
    source's endpoint."""

    registration: dict[str, Any]
    method: str
    target: str
    headers: dict[str, str]
    body: bytes | None
    single: bool = False  # a read of one entity (a 404 means the source does not hold it)


class Reply(NamedTuple):
    status: int
    headers: dict[str, str]  # names in lower case
    body: bytes


Answer = Reply | str  # a source's reply, or why there is none


def _entities_in(item: Forwarded, reply: Reply) -> tuple[list[dict[str, Any]], int | None]:
    """The entities a source answered a read with, and its count if it gave one."""
    if reply.status == 404 and item.single:  # one entity the source does not hold
        return [], None
    if reply.status != 200:
        raise ValueError(f"HTTP {reply.status}")
    parsed = orjson.loads(reply.body)
    entities = parsed if isinstance(parsed, list) else [parsed]
    if not all(isinstance(e, dict) and isinstance(e.get("id"), str) for e in entities):
        raise ValueError("the answer is not a list of entities")
    count = reply.headers.get("ngsild-results-count")
    return entities, int(count) if count and count.isdigit() else None


def _source_headers(doc: dict[str, Any]) -> dict[str, str]:
    """The tenant at the source and the source's own credentials (contextSourceInfo)."""
    out = {}
    if isinstance(doc.get("tenant"), str) and doc["tenant"]:
        out["NGSILD-Tenant"] = doc["tenant"]
    for item in doc.get("contextSourceInfo") or []:
        if isinstance(item, dict) and isinstance(item.get("key"), str):
            out[item["key"]] = str(item.get("value", ""))
    return out


def _covering(
    live: list[tuple[dict[str, Any], list[Covered]]],
    types: set[str] | None,
    ids: set[str] | None,
    attrs: set[str] | None,
) -> list[Source]:
    out = []
    for doc, covered in live:
        matching = [c for c in covered if c.covers(types, ids, attrs)]
        if matching and forwards_queries(doc):
            out.append((doc, matching))
    return out


def merge(local: list[dict[str, Any]], remote: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Local entities first, then each remote one not held locally; an entity both hold gets
    the remote attributes it lacks (the local value wins on the same attribute)."""
    by_id = {e["id"]: e for e in local}
    out = list(local)
    for entity in remote:
        known = by_id.get(entity["id"])
        if known is None:
            by_id[entity["id"]] = entity
            out.append(entity)
            continue
        for name, value in entity.items():
            known.setdefault(name, value)
    return out
