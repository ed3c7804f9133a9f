"""API keys: once a key exists every write needs one; private tenants need one to read."""

from __future__ import annotations

import httpx

from cityhub.auth.keys import create_key
from cityhub.hub import Hub
from tests.conftest import Server

ENTITY = {
    "id": "urn:ngsi-ld:Streetlight:1",
    "type": "Streetlight",
    "powerState": {"type": "Property", "value": "on"},
}


def test_writes_need_a_key_once_keys_exist(hub: Hub) -> None:
    server = Server(hub)
    server.start()
    try:
        with httpx.Client(base_url=server.base + "/ngsi-ld/v1", timeout=20) as http:
            assert http.post("/entities", json=ENTITY).status_code == 201  # no keys yet: open
            _, secret = create_key(hub.store, "城管局", "staff")
            _, reader = create_key(hub.store, "公众", "public")
            hub.auth.forget()
            second = {**ENTITY, "id": "urn:ngsi-ld:Streetlight:2"}
            denied = http.post("/entities", json=second)
            assert denied.status_code == 401
            assert denied.headers["www-authenticate"].startswith("Bearer")
            # NGSI-LD has no error type for it; clients map types to errors, so it is
            # InvalidRequest with its own status and title.
            problem = denied.json()
            assert problem["type"] == "https://uri.etsi.org/ngsi-ld/errors/InvalidRequest"
            assert problem["title"] == "Unauthorized" and problem["status"] == 401
            own = httpx.get(server.base + "/iot/deadletters")  # cityhub's own API: its own type
            assert own.status_code == 401 and own.json()["type"].endswith("/Unauthorized")
            assert own.headers["www-authenticate"].startswith("Bearer")
            wrong = http.post("/entities", json=second, headers={"X-Api-Key": "chk_wrong"})
            assert wrong.status_code == 401
            public = http.post(
                "/entities", json=second, headers={"Authorization": f"Bearer {reader}"}
            )
            assert public.status_code == 403 and "www-authenticate" not in public.headers
            assert public.json()["type"].endswith("/InvalidRequest")
            ok = http.post("/entities", json=second, headers={"Authorization": f"Bearer {secret}"})
            assert ok.status_code == 201
            header_ok = http.delete(
                "/entities/urn:ngsi-ld:Streetlight:2", headers={"X-Api-Key": secret}
            )
            assert header_ok.status_code == 204
            assert http.get("/entities/urn:ngsi-ld:Streetlight:1").status_code == 200
    finally:
        server.stop()


def test_private_tenant_reads_need_a_key(hub: Hub) -> None:
    server = Server(hub)
    server.start()
    try:
        _, secret = create_key(hub.store, "统计局", "staff", tenants=("stats",))
        hub.store.set_tenant_private("stats", True)
        headers = {"NGSILD-Tenant": "stats", "X-Api-Key": secret}
        with httpx.Client(base_url=server.base + "/ngsi-ld/v1", timeout=20) as http:
            assert http.post("/entities", json=ENTITY, headers=headers).status_code == 201
            anon = http.get(f"/entities/{ENTITY['id']}", headers={"NGSILD-Tenant": "stats"})
            assert anon.status_code == 401
            assert http.get(f"/entities/{ENTITY['id']}", headers=headers).status_code == 200
    finally:
        server.stop()
