"""A small catalogue for the API tests: three departments, keys for every role, and datasets of
each share type, one of them full of personal data."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from cityhub.auth.keys import create_key
from cityhub.catalog.policy import OPERATOR
from cityhub.config import Settings
from cityhub.hub import Hub
from tests.conftest import Server, _store_url

# Raw personal values in the residents file; no unauthorised reader may ever see one.
SECRETS = {
    "id_card": "440305199003071236",
    "mobile": "13912345678",
    "bank_card": "6222021234567890128",
    "name": "欧阳明",
    "landline": "0755-83211234",
    "email": "ouyang.ming@example.cn",
}
RESIDENTS = [
    ["姓名", "身份证号", "手机", "银行卡", "街道", "备注"],
    *[
        [
            SECRETS["name"] if i == 0 else f"张{'伟芳敏静丽强磊军洋勇'[i % 10]}",
            SECRETS["id_card"] if i == 0 else "11010519491231002X",
            SECRETS["mobile"] if i == 0 else f"1381234{i:04d}",
            SECRETS["bank_card"] if i == 0 else "4111111111111111",
            "南头街道" if i % 2 else "粤海街道",
            f"联系电话{SECRETS['landline']}，邮箱{SECRETS['email']}" if i == 0 else "已核实",
        ]
        for i in range(40)
    ],
]
AIR = [
    ["station", "district", "pm25", "day", "contact"],
    ["荔园", "南山区", "23.5", "2026-11-01", f"值班电话{SECRETS['landline']}"],
    ["洪湖", "罗湖区", "31", "2026-11-01", "值班电话"],
    ["华侨城", "南山区", "18.25", "2026-11-02", "值班电话"],
]
PLATES = [
    ["plate", "seen"],
    ["粤B12345", "2026-11-01T08:00:00"],
    ["粤B67890", "2026-11-01T09:00:00"],
]


@dataclass
class City:
    server: Server
    keys: dict[str, tuple[str, str]]  # role name -> (key id, secret)

    @property
    def base(self) -> str:
        return self.server.base

    def headers(self, who: str) -> dict[str, str]:
        if who == "anonymous":
            return {}
        return {"Authorization": f"Bearer {self.keys[who][1]}"}


def _csv(path: Path, rows: list[list[str]]) -> Path:
    path.write_text("\n".join(",".join(r) for r in rows) + "\n", encoding="utf-8")
    return path


def load(hub: Hub, folder: Path) -> dict[str, tuple[str, str]]:
    hub.store.migrate()
    keys = {
        "admin": create_key(hub.store, "city", "admin"),
        "civil_staff": create_key(hub.store, "civil", "staff"),
        "civil_steward": create_key(hub.store, "civil", "steward"),
        "transport_staff": create_key(hub.store, "transport", "staff"),
        "transport_steward": create_key(hub.store, "transport", "steward"),
        "public": create_key(hub.store, "citizens", "public"),
    }
    c = hub.catalog
    c.create(
        OPERATOR,
        {
            "name": "residents",
            "org": "civil",
            "org_title": "深圳市民政局",
            "org_title_en": "Civil Affairs Bureau",
            "title": "低保对象名单",
            "title_en": "Recipients of minimum living allowance",
            "description": "社会救助对象身份与联系方式",
            "themes": ["民政"],
            "keywords": ["社会救助"],
            "frequency": "monthly",
            "license": "gov-restricted",
        },
    )
    c.add_file(OPERATOR, "residents", _csv(folder / "residents.csv", RESIDENTS))
    c.classify(OPERATOR, "residents", {"share_conditions": "仅限社会救助核对", "level": 4})
    c.create(
        OPERATOR,
        {
            "name": "air-quality",
            "org": "szeb",
            "org_title": "深圳市生态环境局",
            "title": "空气质量日均值",
            "title_en": "Daily air quality",
            "description": "各监测站PM2.5日均值",
            "themes": ["环境"],
            "keywords": ["空气", "PM2.5"],
            "frequency": "daily",
            "license": "cc-by-4.0",
            "temporal": {"start": "2026-11-01", "end": "2026-11-02"},
            "spatial": [113.75, 22.4, 114.65, 22.86],
            "share_type": "unconditional",
            "open_type": "open",
        },
    )
    c.add_file(OPERATOR, "air-quality", _csv(folder / "air.csv", AIR))
    # the duty phone made the suggestion conditional; the steward confirms it as open data
    c.classify(
        OPERATOR, "air-quality", {"share_type": "unconditional", "open_type": "open", "level": 1}
    )
    c.create(
        OPERATOR,
        {
            "name": "plate-sightings",
            "org": "police",
            "org_title": "深圳市公安局交通警察局",
            "title": "卡口过车记录",
            "share_type": "not_shared",
            "open_type": "prohibited",
        },
    )
    c.add_file(OPERATOR, "plate-sightings", _csv(folder / "plates.csv", PLATES))
    return keys


@pytest.fixture(scope="module")
def city(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[City]:
    folder = tmp_path_factory.mktemp(f"catalog-{backend}")
    for url in _store_url(backend, folder):
        hub = Hub.open(Settings(database_url=url, max_body_bytes=256 * 1024))
        keys = load(hub, folder)
        srv = Server(hub)
        srv.start()
        try:
            yield City(srv, keys)
        finally:
            srv.stop()
            hub.close()
