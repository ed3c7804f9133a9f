"""M3: keys are bound to tenants; M2: a subscription's receiverInfo is its creator's; L7: a
private tenant and a missing one answer alike; hosted @contexts belong to their department."""

from __future__ import annotations

import httpx

from tests.security.conftest import City

SECRET = {
    "id": "urn:ngsi-ld:Secret:1",
    "type": "Secret",
    "pin": {"type": "Property", "value": "A-secret-4711"},
}


def test_keys_work_only_in_their_tenants(city: City) -> None:
    with city.client("a_staff", "rtA") as owner:
        assert owner.post("/ngsi-ld/v1/entities", json=SECRET).status_code in (201, 409)
    for who in ("public", "tr_staff", "b_staff"):
        with city.client(who, "rtA") as stranger:
            r = stranger.get("/ngsi-ld/v1/entities", params={"type": "Secret"})
            assert r.status_code == 403 and "A-secret-4711" not in r.text, who
            w = stranger.patch(
                f"/ngsi-ld/v1/entities/{SECRET['id']}/attrs", json={"pin": "overwritten"}
            )
            assert w.status_code == 403, who
    with city.client("a_public", "rtA") as reader:  # a public key bound to rtA may read it
        assert "A-secret-4711" in reader.get("/ngsi-ld/v1/entities", params={"type": "Secret"}).text
    with city.client("tr_staff") as default_only:
        r = default_only.post(
            "/ngsi-ld/v1/entities", json=SECRET, headers={"NGSILD-Tenant": "brand-new-tenant"}
        )
        assert r.status_code == 403


def test_a_private_tenant_looks_like_a_missing_one(city: City) -> None:
    private = httpx.get(
        f"{city.base}/ngsi-ld/v1/entities?type=Secret", headers={"NGSILD-Tenant": "rtA"}
    )
    missing = httpx.get(
        f"{city.base}/ngsi-ld/v1/entities?type=Secret", headers={"NGSILD-Tenant": "no-such-tenant"}
    )
    assert private.status_code == missing.status_code == 401
    assert private.json()["type"] == missing.json()["type"]


def test_receiver_info_is_shown_only_to_the_creating_department(city: City, tenant: str) -> None:
    sub = {
        "id": "urn:ngsi-ld:Subscription:rt-secret",
        "type": "Subscription",
        "entities": [{"type": "Probe"}],
        "notification": {
            "endpoint": {
                "uri": "http://127.0.0.1:9/hook",
                "receiverInfo": [{"key": "Authorization", "value": "Bearer receiver-secret-123"}],
            }
        },
    }
    with city.client("tr_staff") as owner:
        assert owner.post("/ngsi-ld/v1/subscriptions", json=sub).status_code == 201
        mine = owner.get(f"/ngsi-ld/v1/subscriptions/{sub['id']}").text
        assert "receiver-secret-123" in mine
    for headers in ({}, city.headers("env_staff"), city.headers("public")):
        for path in (f"/ngsi-ld/v1/subscriptions/{sub['id']}", "/ngsi-ld/v1/subscriptions"):
            body = httpx.get(city.base + path, headers=headers).text
            assert "receiver-secret-123" not in body, (headers, path)
    with city.client("env_staff") as other:
        assert other.delete(f"/ngsi-ld/v1/subscriptions/{sub['id']}").status_code == 403
        assert (
            other.patch(
                f"/ngsi-ld/v1/subscriptions/{sub['id']}", json={"isActive": False}
            ).status_code
            == 403
        )
    with city.client("tr_staff") as owner:
        assert owner.delete(f"/ngsi-ld/v1/subscriptions/{sub['id']}").status_code == 204


def test_hosted_contexts_belong_to_their_department(city: City) -> None:
    with city.client("hot_staff") as owner:
        r = owner.post("/ngsi-ld/v1/jsonldContexts", json={"@context": {"x": "urn:x"}})
        assert r.status_code == 201
        local = r.headers["location"].rsplit("/", 1)[-1]
    with city.client("tr_staff") as other:
        assert other.delete(f"/ngsi-ld/v1/jsonldContexts/{local}").status_code == 403
    with city.client("hot_staff") as owner:
        assert owner.delete(f"/ngsi-ld/v1/jsonldContexts/{local}").status_code == 204


def test_a_sources_credentials_are_shown_only_to_the_registering_department(
    city: City, tenant: str
) -> None:
    reg = {
        "id": "urn:ngsi-ld:ContextSourceRegistration:rt-secret",
        "type": "ContextSourceRegistration",
        "information": [{"entities": [{"type": "Probe"}]}],
        "endpoint": "http://127.0.0.1:9",
        "contextSourceInfo": [{"key": "Authorization", "value": "Bearer source-secret-456"}],
    }
    path = f"/ngsi-ld/v1/csourceRegistrations/{reg['id']}"
    with city.client("tr_staff") as owner:
        assert owner.post("/ngsi-ld/v1/csourceRegistrations", json=reg).status_code == 201
        assert "source-secret-456" in owner.get(path).text
    for headers in ({}, city.headers("env_staff"), city.headers("public")):
        for url in (path, "/ngsi-ld/v1/csourceRegistrations?type=Probe"):
            answer = httpx.get(city.base + url, headers=headers)
            assert answer.status_code == 200 and "source-secret-456" not in answer.text
    with city.client("env_staff") as other:
        assert other.delete(path).status_code == 403
        assert other.patch(path, json={"endpoint": "http://127.0.0.1:10"}).status_code == 403
    with city.client("tr_staff") as owner:
        assert owner.delete(path).status_code == 204
