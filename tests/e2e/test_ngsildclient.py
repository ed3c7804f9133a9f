"""An independent NGSI-LD client (ngsildclient, from PyPI) against a real uvicorn server."""

from __future__ import annotations

import pytest
from ngsildclient import Client, Entity

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
