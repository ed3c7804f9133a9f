"""H3: a masked reader cannot recover hidden digits by substring search; L1: nor their order by
sorting; L6: a granted column can be filtered by its grantee. Catalog rows API and CKAN."""

from __future__ import annotations

import uuid

import httpx

from tests.security.conftest import City

PHONE, ID_CARD = "13812345678", "440305198807150015"


def _probe_csv() -> bytes:
    rows = ["编号,备注"]
    for i in range(1, 41):
        note = f"普通留言{i}号 道路维修"
        if i == 7:
            note = f"路灯坏了请回电{PHONE}谢谢"
        if i == 8:
            note = "路灯坏了请回电13899995678谢谢"  # masked exactly like row 9
        if i == 9:
            note = "路灯坏了请回电13800005678谢谢"
        if i == 23:
            note = f"噪音扰民 身份证{ID_CARD} 王小明"
        rows.append(f"{i},{note}")
    return ("\n".join(rows) + "\n").encode()


def _publish(city: City) -> str:
    name = "probe-" + uuid.uuid4().hex[:8]
    with city.client("tr_staff") as staff:
        meta = {
            "name": name,
            "org": "transport",
            "title": "探测测试",
            "share_type": "unconditional",
            "open_type": "open",
        }
        assert staff.post("/catalog/v1/datasets", json=meta).status_code == 201
        r = staff.post(
            f"/catalog/v1/datasets/{name}/versions",
            content=_probe_csv(),
            headers={"Content-Type": "text/csv"},
        )
        assert r.status_code == 201, r.text
    return name


def _total(city: City, name: str, text: str) -> object:
    r = httpx.get(f"{city.base}/catalog/v1/datasets/{name}/rows", params={"limit": 1, "q": text})
    return r.json()["total"] if r.status_code == 200 else r.status_code


def _recover(city: City, name: str, known: str, hidden: int) -> str:
    for _ in range(hidden):
        hits = [d for d in "0123456789" if _total(city, name, known + d) == 1]
        if len(hits) != 1:
            return known
        known += hits[0]
    return known


def test_substring_probing_recovers_no_hidden_digit(city: City) -> None:
    name = _publish(city)
    assert _total(city, name, "回电138") == 3  # what the reader sees can be searched
    assert _recover(city, name, "回电138", 4) == "回电138", "no hidden phone digit is found"
    assert _recover(city, name, "身份证440305", 8) == "身份证440305", "nor an ID digit"
    package = httpx.get(f"{city.base}/api/3/action/package_show", params={"id": name}).json()
    resource = package["result"]["resources"][0]["id"]
    ckan = httpx.get(
        f"{city.base}/api/3/action/datastore_search",
        params={"resource_id": resource, "q": "回电1381"},
    ).json()
    assert ckan["success"] and ckan["result"]["total"] == 0
    assert _total(city, name, PHONE) == 403  # a whole number in the search text is refused


def test_sorting_by_a_masked_text_column_reveals_no_order(city: City) -> None:
    name = _publish(city)
    url = f"{city.base}/catalog/v1/datasets/{name}/rows"
    orders = []
    for direction in ("asc", "desc"):
        r = httpx.get(url, params={"q": "回电1380", "sort": f"备注 {direction}"})
        assert r.status_code == 200 and r.json()["total"] == 0
        r = httpx.get(url, params={"q": "路灯坏了请回电138", "sort": f"备注 {direction}"})
        records = r.json()["records"]
        assert {rec["备注"] for rec in records} == {"路灯坏了请回电138****5678谢谢"}
        orders.append([rec["_id"] for rec in records])
    # Rows 8 and 9 look the same to this reader: their hidden digits must not decide the order.
    assert orders[0] == orders[1] == [7, 8, 9]


def test_a_granted_column_can_be_filtered_by_its_grantee(city: City) -> None:
    name = "callers-" + uuid.uuid4().hex[:6]
    csv = (
        "姓名,电话,街道\n"
        + "\n".join(f"张{'伟芳敏静丽'[i % 5]},1381234{i:04d},南头街道" for i in range(30))
        + "\n"
    )
    with city.client("tr_stew") as steward:
        meta = {
            "name": name,
            "org": "transport",
            "title": "来电人",
            "share_type": "conditional",
            "open_type": "restricted",
        }
        assert steward.post("/catalog/v1/datasets", json=meta).status_code == 201
        r = steward.post(
            f"/catalog/v1/datasets/{name}/versions",
            content=csv.encode(),
            headers={"Content-Type": "text/csv"},
        )
        assert r.status_code == 201, r.text
    with city.client("env_staff") as asker:
        asked = asker.post(
            f"/catalog/v1/datasets/{name}/access-requests",
            json={"purpose": "核对", "fields": ["电话"], "days": 30},
        )
        assert asked.status_code == 201, asked.text
        denied = asker.get(
            f"/catalog/v1/datasets/{name}/rows", params={"filters": '{"电话": "13812340007"}'}
        )
        assert denied.status_code == 403
    with city.client("tr_stew") as steward:
        decided = steward.post(
            f"/catalog/v1/access-requests/{asked.json()['id']}/decision",
            json={"decision": "approve"},
        )
        assert decided.status_code == 200, decided.text
    with city.client("env_staff") as asker:
        found = asker.get(
            f"/catalog/v1/datasets/{name}/rows", params={"filters": '{"电话": "13812340007"}'}
        )
        assert found.status_code == 200, found.text
        assert [r["电话"] for r in found.json()["records"]] == ["13812340007"]
        assert found.json()["records"][0]["姓名"].endswith("*")  # not granted: still masked
