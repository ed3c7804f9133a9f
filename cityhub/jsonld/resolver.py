"""Resolve a request's @context (URLs, inline objects, lists) to a compiled TermMap.

Order of resolution for a URL: the shipped core contexts, hosted contexts (/jsonldContexts),
contexts the operator preloaded or that were fetched before (the store's context table), the
shipped Smart Data Models domain contexts, and only then a remote fetch, if the operator allows
that host (CITYHUB_CONTEXT_FETCH).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from importlib import resources
from typing import Any, Protocol
from urllib.parse import urlsplit

import orjson

from cityhub.config import Settings
from cityhub.errors import (
    BadRequestData,
    InvalidContext,
    LdContextNotAvailable,
    ResourceNotFound,
)
from cityhub.jsonld import smart_data_models
from cityhub.jsonld.termmap import CORE_CONTEXT_URL, TermMap
from cityhub.jsonld.vocabulary import Vocabulary
from cityhub.outbound import OutboundRefused, fetch
from cityhub.store.records import StoredContext
from cityhub.timeutil import now_iso

_CORE_PREFIX = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context"
_SHIPPED = {"v1.0": "v1.0", "v1.3": "v1.3", "v1.4": "v1.4", "v1.9": "v1.9"}
# Versions without a shipped copy map to the nearest later one: the core context only grows.
_NEAREST = {
    "v1.1": "v1.3",
    "v1.2": "v1.3",
    "v1.5": "v1.9",
    "v1.6": "v1.9",
    "v1.7": "v1.9",
    "v1.8": "v1.9",
}
DEFAULT_CORE_VERSION = "v1.9"
HOSTED_PATH = "/ngsi-ld/v1/jsonldContexts/"
_MAX_DEPTH = 8
_MAX_DOCUMENT = 4 * 1024 * 1024


class ContextRepository(Protocol):
    def get_context(self, url: str) -> dict[str, Any] | None: ...

    def get_hosted_context(self, local_id: str) -> dict[str, Any] | None: ...

    def put_context(
        self, url: str, body: dict[str, Any], kind: str, owner: str | None = None
    ) -> str: ...

    def list_contexts(self, kind: str | None = None) -> list[StoredContext]: ...

    def get_context_record(self, ref: str) -> StoredContext | None: ...

    def delete_context(self, local_id: str) -> bool: ...

    def add_usage(self, url: str, hits: int, last_used: str) -> None: ...


def core_file_for(url: str) -> str | None:
    """The shipped file name for a published core-context URL, or None."""
    base = url.split("#", 1)[0]
    if base in (CORE_CONTEXT_URL, "https://uri.etsi.org/ngsi-ld/ngsi-ld-core-context.jsonld"):
        return f"ngsi-ld-core-context-{DEFAULT_CORE_VERSION}.jsonld"
    if base.startswith(_CORE_PREFIX + "-v") and base.endswith(".jsonld"):
        version = base[len(_CORE_PREFIX) + 1 : -len(".jsonld")]
        version = _SHIPPED.get(version) or _NEAREST.get(version) or ""
        if version:
            return f"ngsi-ld-core-context-{version}.jsonld"
    return None


def load_core_document(filename: str) -> dict[str, Any]:
    text = resources.files("cityhub.jsonld").joinpath("contexts", filename).read_bytes()
    doc = orjson.loads(text)
    assert isinstance(doc, dict)
    return doc


class ContextResolver:
    """Turns @context values into TermMaps; thread-safe, with an LRU of compiled maps."""

    def __init__(self, settings: Settings, repo: ContextRepository, cache_size: int = 512) -> None:
        self._settings = settings
        self._repo = repo
        self._lock = threading.Lock()
        self._compiled: OrderedDict[bytes, TermMap] = OrderedDict()
        # uses of held @contexts by requests since they were last written to the store:
        # stored URL -> (hits, last use)
        self._uses: dict[str, tuple[int, str]] = {}
        self._documents: dict[str, dict[str, Any]] = {}
        self._cache_size = cache_size
        core_doc = load_core_document(f"ngsi-ld-core-context-{DEFAULT_CORE_VERSION}.jsonld")
        self.core = TermMap()
        self.core.add_definitions(core_doc["@context"])
        self._core_terms = set(self.core.terms)
        # the platform's own entities: each type in its Smart Data Models domain's terms
        self.vocabulary = Vocabulary(self.core, core_doc["@context"])

    def cached(self, context: Any) -> TermMap | None:
        """The compiled map if it is already known (no I/O), else None."""
        if context is None or context == [] or context == CORE_CONTEXT_URL:
            return self.core
        key = orjson.dumps(context, option=orjson.OPT_SORT_KEYS)
        with self._lock:
            return self._compiled.get(key)

    def resolve(self, context: Any) -> TermMap:
        """The TermMap for a request's @context (None means the core context alone)."""
        if context is None or context == [] or context == CORE_CONTEXT_URL:
            return self.core
        key = orjson.dumps(context, option=orjson.OPT_SORT_KEYS)
        with self._lock:
            cached = self._compiled.get(key)
            if cached is not None:
                self._compiled.move_to_end(key)
                return cached
        termmap = TermMap()
        self._merge(termmap, context, depth=0)
        # The core context is protected: its terms cannot be redefined by user contexts.
        termmap.add_definitions(self._core_context_object())
        if termmap.vocab is None:
            termmap.vocab = self.core.vocab
        with self._lock:
            self._compiled[key] = termmap
            while len(self._compiled) > self._cache_size:
                self._compiled.popitem(last=False)
        return termmap

    def _core_context_object(self) -> dict[str, Any]:
        doc = self.document(CORE_CONTEXT_URL)
        ctx = doc["@context"]
        assert isinstance(ctx, dict)
        return ctx

    def _merge(self, termmap: TermMap, context: Any, depth: int) -> None:
        if depth > _MAX_DEPTH:
            raise InvalidContext("@context nests remote contexts too deeply")
        if context is None:
            return
        if isinstance(context, list):
            for item in context:
                self._merge(termmap, item, depth + 1)
        elif isinstance(context, str):
            if core_file_for(context) is not None:
                return  # the core context is always applied last
            doc = self.document(context)
            self._merge(termmap, doc.get("@context"), depth + 1)
        elif isinstance(context, dict):
            termmap.add_definitions(context)
        else:
            raise InvalidContext("@context must be a URL, an object or an array of them")

    def document(self, url: str) -> dict[str, Any]:
        """The JSON-LD document behind a context URL, from wherever it may be had offline."""
        core = core_file_for(url)
        if core is not None:
            return self._cached_document(core, lambda: load_core_document(core))
        if not _looks_like_url(url):
            raise InvalidContext(f"'{url}' is not a valid @context URL")
        path = urlsplit(url).path
        if HOSTED_PATH in path:
            local_id = path.rsplit("/", 1)[-1]
            hosted = self._repo.get_hosted_context(local_id)
            if hosted is not None:
                return hosted
        stored = self._repo.get_context(url)
        if stored is not None:
            return stored
        domain = smart_data_models.domain_for(url)
        if domain is not None:  # a copy ships with cityhub; an operator's preload wins above
            return self._cached_document(f"sdm:{domain}", lambda: smart_data_models.load(domain))
        doc = self._fetch(url)
        self._repo.put_context(url, doc, "Cached")
        return doc

    def _cached_document(self, key: str, load: Any) -> dict[str, Any]:
        doc = self._documents.get(key)
        if doc is None:
            doc = load()
            assert isinstance(doc, dict)
            self._documents[key] = doc
        return doc

    def _fetch(self, url: str) -> dict[str, Any]:
        parts = urlsplit(url)
        host = parts.hostname or ""
        destinations = self._settings.context_destinations
        try:
            if parts.scheme not in ("http", "https"):
                raise OutboundRefused("only http and https @contexts can be fetched")
            destinations.check_host(host)
        except OutboundRefused as exc:
            raise LdContextNotAvailable(
                f"@context {url} is not available offline and fetching it is not allowed "
                f"({exc.detail}; preload it with 'cityhub contexts add')"
            ) from exc
        try:
            raw = fetch(url, destinations, self._settings.context_fetch_timeout, _MAX_DOCUMENT)
            doc = orjson.loads(raw)
        except OutboundRefused as exc:
            raise LdContextNotAvailable(f"@context {url}: {exc.detail}") from exc
        except (OSError, ValueError) as exc:
            raise LdContextNotAvailable(f"could not retrieve @context {url}: {exc}") from exc
        if not isinstance(doc, dict) or "@context" not in doc:
            raise LdContextNotAvailable(f"{url} is not a JSON-LD context document")
        return doc

    def invalidate(self) -> None:
        with self._lock:
            self._compiled.clear()

    # -- hosted @contexts (/jsonldContexts) ---------------------------------------------------
    def host(self, body: dict[str, Any], owner: str | None) -> str:
        """Keep a context document to serve; returns its local id."""
        return self._repo.put_context("", body, "Hosted", owner)

    def count_use(self, context: Any) -> None:
        """A request was written in `context`: each held @context it names was used once
        (numberOfHits, lastUsage). Kept in memory; written to the store when listed."""
        urls = [
            c for c in (context if isinstance(context, list) else [context]) if isinstance(c, str)
        ]
        if not urls:
            return
        now = now_iso()
        with self._lock:
            for url in urls:
                if core_file_for(url):
                    continue
                path = urlsplit(url).path
                key = path if HOSTED_PATH in path else url  # hosted ones are held by path
                hits = self._uses.get(key, (0, now))[0]
                self._uses[key] = (hits + 1, now)

    def held(self, kind: str | None = None) -> list[StoredContext]:
        with self._lock:
            uses, self._uses = self._uses, {}
        for url, (hits, last) in uses.items():  # uses of contexts not held change nothing
            self._repo.add_usage(url, hits, last)
        return self._repo.list_contexts(kind)

    def held_document(self, ref: str) -> dict[str, Any] | None:
        """A hosted (by local id) or cached (by URL) document, or a core context's."""
        if core_file_for(ref):
            return self.document(ref)
        local_id = ref.removeprefix("urn:ngsi-ld:")
        return self._repo.get_hosted_context(local_id) or self._repo.get_context(ref)

    def remove(self, ref: str, may_remove: Callable[[StoredContext], None]) -> StoredContext:
        """Delete a held context after `may_remove` (which raises when not allowed); returns
        what was deleted. The core is always held."""
        if core_file_for(ref):
            raise BadRequestData("the core @context cannot be deleted")
        record = self._record(ref)
        if record is None:
            raise ResourceNotFound(f"no @context {ref} is held here")
        may_remove(record)
        if not self._repo.delete_context(record.local_id):
            raise ResourceNotFound(f"no @context {ref} is held here")
        self.invalidate()
        return record

    def reload(self, ref: str, may_remove: Callable[[StoredContext], None]) -> None:
        """Fetch a Cached context again and keep the new document; when it cannot be had
        (LdContextNotAvailable), the one held stays. Reloading the core does nothing."""
        if core_file_for(ref):
            return
        record = self._record(ref)
        if record is None or record.kind != "Cached":
            what = f"a {record.kind} @context" if record else f"{ref}, not a cached @context,"
            raise BadRequestData(f"{what} cannot be reloaded, only a Cached one")
        may_remove(record)
        doc = self._fetch(record.url)  # before anything changes
        self._repo.put_context(record.url, doc, "Cached")
        self.invalidate()

    def _record(self, ref: str) -> StoredContext | None:
        path = urlsplit(ref).path
        key = path.rsplit("/", 1)[-1] if HOSTED_PATH in path else ref.removeprefix("urn:ngsi-ld:")
        return self._repo.get_context_record(key)  # a local id, or a cached one's URL


def _looks_like_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https", "urn") and bool(parts.netloc or parts.path)
