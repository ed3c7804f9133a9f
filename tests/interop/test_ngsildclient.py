"""An independent NGSI-LD client (ngsildclient, from PyPI) against a real uvicorn server."""

from __future__ import annotations

import pytest
from ngsildclient import Client, Entity

from cityhub.auth.keys import create_key
from cityhub.hub import Hub
from tests.conftest import Server

pytestmark = pytest.mark.e2e


def shenzhen_station(n: int, lon: float, lat: float, pm25: float) -> Entity:
    e = Entity("AirQualityObserved", f"SZ-{n:03d}")
    e.prop("pm25", pm25, unitcode="GQ")
    e.prop("name", f"深圳监测站{n}")
    e.loc(lat, lon)
    return e


def test_create_batch_upsert_and_geo_query(server: Server, tenant: str) -> None:
    with Client(hostname="127.0.0.1", port=server.port, tenant=tenant, verbose=False) as client:
        first = shenzhen_station(1, 114.05, 22.54, 30.0)
        assert client.create(first)
        got = client.get(first.id)
        assert got["name"]["value"] == "深圳监测站1"
        batch = [shenzhen_station(n, 114.05 + n * 0.01, 22.54, 10.0 * n) for n in range(2, 12)]
        result = client.upsert(batch)
        assert result.ok if hasattr(result, "ok") else result
        assert client.count(type="AirQualityObserved") == 11
        high = client.query(type="AirQualityObserved", q="pm25>=80")
        assert sorted(e["name"]["value"] for e in high) == [
            f"深圳监测站{n}" for n in (10, 11, 8, 9)
        ]
        query = {
            "type": "Query",
            "entities": [{"type": "AirQualityObserved"}],
            "geoQ": {
                "georel": "near;maxDistance==2500",
                "geometry": "Point",
                "coordinates": [114.05, 22.54],
            },
        }
        near = client.alt.query(query)
        assert sorted(e.id for e in near) == [
            "urn:ngsi-ld:AirQualityObserved:SZ-001",
            "urn:ngsi-ld:AirQualityObserved:SZ-002",
        ]
        first["pm25"]["value"] = 99.0
        assert client.upsert(first)
        assert client.get(first.id)["pm25"]["value"] == 99.0
        client.delete(first)
        assert not client.exists(first.id)


def test_cleanup_calls_delete_in_batches(server: Server, tenant: str) -> None:
    """delete_where, drop and purge send batch deletes as application/ld+json (a list of ids,
    where no @context can go)."""
    with Client(hostname="127.0.0.1", port=server.port, tenant=tenant, verbose=False) as client:
        client.upsert([shenzhen_station(n, 114.0 + n * 0.01, 22.5, 10.0 * n) for n in range(1, 9)])
        bins = [Entity("WasteContainer", f"bin-{n}") for n in range(3)]
        for b in bins:
            b.prop("fillingLevel", 0.5)
        client.upsert(bins)
        client.delete_where(type="AirQualityObserved", q="pm25>=50")
        assert client.count(type="AirQualityObserved") == 4
        client.drop("WasteContainer")
        assert client.count(type="WasteContainer") == 0
        client.purge()
        assert client.count(type="AirQualityObserved") == 0


def test_temporal_query_and_dataframe(server: Server, tenant: str) -> None:
    with Client(
        hostname="127.0.0.1", port=server.port, port_temporal=server.port, tenant=tenant
    ) as client:
        station = Entity("AirQualityObserved", "SZ-T1")
        station.prop("pm25", 20.5, observedat="2026-11-30T10:00:00Z")
        client.create(station)
        later = Entity("AirQualityObserved", "SZ-T1")
        later.prop("pm25", 22.5, observedat="2026-11-30T11:00:00Z")
        client.update(later)
        # temporal.query asks with options=count, as older NGSI-LD brokers take it
        found = client.temporal.query(type="AirQualityObserved")
        assert len(found) == 1 and [v[0] for v in found[0]["pm25"]["values"]] == [20.5, 22.5]
        frame = client.temporal.get(station, as_dataframe=True)
        assert list(frame["pm25"]) == [20.5, 22.5]
        queried = client.temporal.query(eid=station.id, as_dataframe=True)
        assert list(queried["pm25"]) == [20.5, 22.5]


def test_a_refused_write_is_a_typed_client_error(hub: Hub) -> None:
    """Once keys exist, a write without one is 401; ngsildclient maps the problem's type to
    its own error (an unknown type made it fail with a TypeError)."""
    from ngsildclient.api.exceptions import NgsiInvalidRequestError

    server = Server(hub)
    server.start()
    try:
        create_key(hub.store, "环境局", "staff")
        hub.auth.forget()
        with Client(hostname="127.0.0.1", port=server.port, verbose=False) as client:
            with pytest.raises(NgsiInvalidRequestError) as refused:
                client.create(shenzhen_station(1, 114.05, 22.54, 30.0))
            assert refused.value.problemdetails.status == 401
    finally:
        server.stop()
