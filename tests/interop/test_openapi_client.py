"""The published OpenAPI is valid under a strict validator, and a client generated from it by
openapi-python-client (from PyPI, run as its docs show) creates, queries and subscribes
against a real server."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from openapi_spec_validator import validate

from cityhub.auth.keys import create_key
from tests.conftest import Server

PACKAGE = "cityhub_client"


def test_the_document_validates_under_a_strict_validator(server: Server) -> None:
    spec = httpx.get(server.base + "/openapi.json").json()
    validate(spec)  # raises on any schema error (e.g. an array without items)
    ids = [
        op["operationId"]
        for item in spec["paths"].values()
        for method, op in item.items()
        if method in ("get", "post", "put", "patch", "delete")
    ]
    assert len(ids) == len(set(ids))
    assert {t["name"] for t in spec["tags"]} >= {"Entities", "Subscriptions", "Temporal"}


@pytest.fixture(scope="module")
def generated(server: Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    folder = tmp_path_factory.mktemp("generated")
    spec = folder / "openapi.json"
    spec.write_text(json.dumps(httpx.get(server.base + "/openapi.json").json()))
    tool = Path(sys.executable).with_name("openapi-python-client")
    target = str(folder / PACKAGE)
    env = {**os.environ, "PATH": f"{tool.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run(
        [str(tool), "generate", "--path", str(spec), "--meta", "none", "--output-path", target],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(folder))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def _module(name: str) -> Any:
    return importlib.import_module(f"{PACKAGE}.{name}")


def test_a_generated_client_creates_queries_and_subscribes(server: Server, generated: Any) -> None:
    tenant = "gen" + uuid.uuid4().hex[:6]
    _, secret = create_key(server.hub.store, "交通局", "staff", tenants=(tenant,))
    server.hub.auth.forget()
    with generated.AuthenticatedClient(base_url=server.base, token=secret) as client:
        entity_input = _module("models.entity_input").EntityInput
        create = _module("api.entities.create_an_entity")
        query = _module("api.entities.query_entities")
        made = create.sync_detailed(
            client=client,
            ngsild_tenant=tenant,
            body=entity_input.from_dict(
                {
                    "id": "urn:ngsi-ld:ParkingSpot:gen-1",
                    "type": "ParkingSpot",
                    "status": {"type": "Property", "value": "free"},
                    "name": "车位 1",  # concise: a bare value
                }
            ),
        )
        assert made.status_code == 201, made.content
        found = query.sync(client=client, type_="ParkingSpot", ngsild_tenant=tenant)
        assert isinstance(found, list) and len(found) == 1
        spot = found[0].to_dict()
        assert spot["id"] == "urn:ngsi-ld:ParkingSpot:gen-1"
        assert spot["status"]["value"] == "free" and spot["name"]["value"] == "车位 1"

        subscribe = _module("api.subscriptions.create_a_subscription")
        listed = _module("api.subscriptions.list_subscriptions")
        body = _module("models.subscription").Subscription.from_dict(
            {
                "type": "Subscription",
                "entities": [{"type": "ParkingSpot"}],
                "notification": {"endpoint": {"uri": "http://127.0.0.1:9/notify"}},
            }
        )
        answer = subscribe.sync_detailed(client=client, body=body, ngsild_tenant=tenant)
        assert answer.status_code == 201, answer.content
        subscriptions = listed.sync(client=client, ngsild_tenant=tenant)
        assert isinstance(subscriptions, list) and len(subscriptions) == 1
        assert subscriptions[0].entities[0].type_ == "ParkingSpot"  # a typed model
