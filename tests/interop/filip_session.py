"""A FiLiP session against a cityhub, written as FiLiP's own examples use its NGSI-LD client.

FiLiP cannot share a virtual environment with the suite (its python-keycloak needs an aiofiles
that ngsildclient refuses), so the suite runs this file with build/filip-venv's interpreter:

    python filip_session.py BASE_URL TENANT NOTIFY_URI

and reads one JSON object of what each call gave from standard output."""

from __future__ import annotations

import json
import sys

from filip.clients.ngsi_ld.cb import ContextBrokerLDClient
from filip.models.base import FiwareLDHeader
from filip.models.ngsi_ld.context import ActionTypeLD, ContextLDEntity, NamedContextProperty
from filip.models.ngsi_ld.subscriptions import SubscriptionLD
from filip.utils.cleanup import clear_context_broker_ld


def station(n: int, pm25: float) -> ContextLDEntity:
    return ContextLDEntity(
        id=f"urn:ngsi-ld:AirQualityObserved:filip-{n}",
        type="AirQualityObserved",
        pm25={"type": "Property", "value": pm25},
        name={"type": "Property", "value": f"监测站{n}"},
    )


def main(base: str, tenant: str, notify: str) -> dict[str, object]:
    header = FiwareLDHeader(ngsild_tenant=tenant)
    client = ContextBrokerLDClient(url=base, fiware_header=header)
    seen: dict[str, object] = {"version": client.get_version()}
    client.post_entity(station(1, 30.0))
    seen["retrieved"] = client.get_entity(entity_id=station(1, 0).id).model_dump()["pm25"]
    client.entity_batch_operation(
        entities=[station(n, 10.0 * n) for n in range(2, 7)], action_type=ActionTypeLD.CREATE
    )
    client.entity_batch_operation(
        entities=[station(n, 99.0) for n in (2, 3)], action_type=ActionTypeLD.UPSERT
    )
    listed = client.get_entity_list(entity_type="AirQualityObserved", limit=100)
    seen["listed"] = sorted(e.id.rsplit("-", 1)[-1] for e in listed)
    seen["high"] = sorted(
        e.id.rsplit("-", 1)[-1]
        for e in client.get_entity_list(entity_type="AirQualityObserved", q="pm25>=60")
    )
    client.update_entity_attribute(
        entity_id=station(4, 0).id,
        attr=NamedContextProperty(name="pm25", value=12.5),
        attr_name="pm25",
    )
    seen["updated"] = client.get_entity(entity_id=station(4, 0).id).model_dump()["pm25"]
    client.delete_entity_by_id(entity_id=station(6, 0).id)
    subscription = SubscriptionLD(
        id="urn:ngsi-ld:Subscription:filip-1",
        type="Subscription",
        entities=[{"type": "AirQualityObserved"}],
        notification={"endpoint": {"uri": notify}},
    )
    client.post_subscription(subscription)
    seen["subscriptions"] = [s.id for s in client.get_subscription_list()]
    clear_context_broker_ld(cb_ld_client=client)
    seen["after_clear"] = {
        "entities": len(client.get_entity_list(limit=100)),
        "subscriptions": len(client.get_subscription_list()),
    }
    return seen


if __name__ == "__main__":
    print(json.dumps(main(*sys.argv[1:4]), ensure_ascii=False, default=str))
