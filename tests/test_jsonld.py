"""Context handling: term maps, core versions offline, remote fetch only when allowed."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from cityhub.config import Settings
from cityhub.errors import LdContextNotAvailable
from cityhub.jsonld.resolver import ContextResolver
from cityhub.store import open_store
from cityhub.store.base import Store

CORE = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld"


@pytest.fixture
def local_store(tmp_path: Path) -> Iterator[Store]:
    store = open_store(f"sqlite:///{tmp_path / 'ctx.db'}")
    yield store
    store.close()


class _ContextHandler(http.server.BaseHTTPRequestHandler):
    hits = 0

    def do_GET(self) -> None:
        type(self).hits += 1
        body = b'{"@context": {"pm25": "https://smart.example/pm25", "sz": "https://sz.example/"}}'
        self.send_response(200)
        self.send_header("Content-Type", "application/ld+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def context_server() -> Iterator[str]:
    httpd = http.server.HTTPServer(("127.0.0.1", 0), _ContextHandler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/ctx.jsonld"
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def test_core_terms_expand_and_compact(local_store: Store) -> None:
    core = ContextResolver(Settings(), local_store.contexts).core
    assert core.expand("location") == "https://uri.etsi.org/ngsi-ld/location"
    assert core.expand("温度") == "https://uri.etsi.org/ngsi-ld/default-context/温度"
    assert core.compact("https://uri.etsi.org/ngsi-ld/default-context/温度") == "温度"
    assert core.expand("https://schema.org/name") == "https://schema.org/name"
    assert core.expand("geojson:Point") == "https://purl.org/geojson/vocab#Point"


def test_user_terms_prefixes_and_protected_core(local_store: Store) -> None:
    resolver = ContextResolver(Settings(), local_store.contexts)
    tm = resolver.resolve(
        [
            {
                "schema": "https://schema.org/",
                "name": "schema:name",
                "location": "https://evil.example/loc",
            },
            CORE,
        ]
    )
    assert tm.expand("name") == "https://schema.org/name"
    assert tm.compact("https://schema.org/name") == "name"
    assert tm.compact("https://schema.org/address") == "schema:address"
    assert tm.expand("location") == "https://uri.etsi.org/ngsi-ld/location"  # core is protected
    assert resolver.resolve([{"schema": "https://schema.org/"}]) is resolver.resolve(
        [{"schema": "https://schema.org/"}]
    )  # compiled once


def test_remote_context_needs_permission(local_store: Store, context_server: str) -> None:
    denied = ContextResolver(Settings(context_fetch="deny"), local_store.contexts)
    with pytest.raises(LdContextNotAvailable):
        denied.resolve(context_server)
    listed = ContextResolver(Settings(context_fetch="127.0.0.1"), local_store.contexts)
    tm = listed.resolve(context_server)
    assert tm.expand("pm25") == "https://smart.example/pm25"
    hits = _ContextHandler.hits
    again = ContextResolver(Settings(context_fetch="127.0.0.1"), local_store.contexts)
    assert again.resolve(context_server).expand("pm25") == "https://smart.example/pm25"
    assert _ContextHandler.hits == hits, "a fetched context is kept in the store"


def test_a_failed_reload_keeps_the_cached_context(local_store: Store) -> None:
    import socket

    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{closed.getsockname()[1]}/gone.jsonld"  # nothing listens there
    closed.close()
    local_store.contexts.put_context(
        url, {"@context": {"pm25": "https://a.example/pm25"}}, "Cached"
    )
    resolver = ContextResolver(Settings(context_fetch="127.0.0.1"), local_store.contexts)
    with pytest.raises(LdContextNotAvailable):
        resolver.reload(url, lambda record: None)
    assert resolver.resolve(url).expand("pm25") == "https://a.example/pm25"  # still held
    resolver.remove(url, lambda record: None)  # a cached one is named by its URL
    assert local_store.contexts.get_context(url) is None


def test_fetch_timeout_gives_ld_context_not_available(local_store: Store) -> None:
    import socket

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)
    try:
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/slow.jsonld"
        settings = replace(Settings(context_fetch="allow"), context_fetch_timeout=0.3)
        with pytest.raises(LdContextNotAvailable):
            ContextResolver(settings, local_store.contexts).resolve(url)
    finally:
        silent.close()


def test_preloaded_context_resolves_without_network(local_store: Store) -> None:
    url = "https://smartdatamodels.org/context.jsonld"
    local_store.contexts.put_context(
        url, {"@context": {"fillingLevel": "https://sdm.example/fill"}}, "Cached"
    )
    tm = ContextResolver(Settings(context_fetch="deny"), local_store.contexts).resolve(url)
    assert tm.expand("fillingLevel") == "https://sdm.example/fill"
