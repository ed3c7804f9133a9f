"""The demo city's catalogue: the shipped open files published by their departments, and a
synthetic 12345 caller list that shows masking and access requests at work."""

from __future__ import annotations

import random
import tempfile
from importlib import resources
from pathlib import Path
from typing import Any

from cityhub.catalog.policy import OPERATOR
from cityhub.hub import Hub

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚"
STREETS = ("南头街道", "粤海街道", "福田街道", "华富街道", "东门街道", "新安街道", "龙城街道")
OPEN_DATASETS: list[tuple[str, dict[str, Any]]] = [
    (
        "shenzhen_districts_wgs84.geojson",
        {
            "name": "shenzhen-districts",
            "org": "planning",
            "org_title": "深圳市规划和自然资源局",
            "org_title_en": "Planning and Natural Resources Bureau",
            "title": "深圳市行政区划边界",
            "title_en": "Shenzhen district boundaries",
            "description": "各区行政边界（WGS-84）",
            "themes": ["城市"],
            "keywords": ["行政区划", "边界"],
            "frequency": "annual",
            "license": "cc-by-4.0",
            "spatial": [113.75, 22.4, 114.65, 22.86],
        },
    ),
    (
        "prd_daily_pm25_2014_2016_cnemc_SpTe2M.csv",
        {
            "name": "prd-daily-pm25",
            "org": "szeb",
            "org_title": "深圳市生态环境局",
            "org_title_en": "Ecology and Environment Bureau",
            "title": "珠三角城市PM2.5日均值",
            "title_en": "Daily PM2.5 of Pearl River Delta cities",
            "description": "2014-2016年珠三角各城市PM2.5日均浓度",
            "themes": ["环境"],
            "keywords": ["空气质量", "PM2.5"],
            "frequency": "daily",
            "license": "cc-by-4.0",
            "temporal": {"start": "2014-01-01", "end": "2016-12-31"},
            "indexes": ["city"],
        },
    ),
    (
        "shenzhen_bus_stops.csv",
        {
            "name": "bus-stops",
            "org": "transport",
            "org_title": "深圳市交通运输局",
            "org_title_en": "Transport Bureau",
            "title": "公交站点",
            "title_en": "Bus stops",
            "description": "全市公交站点名称与位置",
            "themes": ["交通"],
            "keywords": ["公交"],
            "frequency": "monthly",
            "license": "cc-by-4.0",
        },
    ),
]


def _callers(path: Path, rows: int = 500) -> Path:
    """A synthetic caller list: made-up names, numbers that pass the checks, nothing real."""
    rng = random.Random(12345)
    lines = ["来电人,联系电话,身份证号,街道,诉求"]
    for i in range(rows):
        name = rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if i % 3 else "")
        phone = f"13{rng.randrange(5, 10)}{rng.randrange(10**8):08d}"
        base = f"440305{1960 + i % 40}{1 + i % 12:02d}{1 + i % 28:02d}{i % 1000:03d}"
        weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
        check = "10X98765432"[sum(int(c) * w for c, w in zip(base, weights, strict=True)) % 11]
        topic = rng.choice(("噪音扰民", "路灯不亮", "垃圾清运不及时", "占道经营", "井盖破损"))
        lines.append(f"{name},{phone},{base}{check},{rng.choice(STREETS)},{topic}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def publish_demo_datasets(hub: Hub) -> int:
    """Publish the demo datasets that are not in the catalogue yet; returns how many."""
    published = 0
    folder = resources.files("cityhub.demo").joinpath("data")
    for file_name, meta in OPEN_DATASETS:
        if hub.store.catalog.find_dataset(meta["name"]) is not None:
            continue
        hub.catalog.create(OPERATOR, meta)
        with resources.as_file(folder.joinpath(file_name)) as path:
            hub.catalog.add_file(OPERATOR, meta["name"], path)
        hub.catalog.classify(
            OPERATOR, meta["name"], {"share_type": "unconditional", "open_type": "open", "level": 1}
        )
        published += 1
    if hub.store.catalog.find_dataset("hotline-callers") is None:
        hub.catalog.create(
            OPERATOR,
            {
                "name": "hotline-callers",
                "org": "hotline",
                "org_title": "深圳市12345热线管理中心",
                "org_title_en": "12345 Hotline Centre",
                "title": "12345热线来电人信息（模拟）",
                "title_en": "12345 hotline callers (synthetic)",
                "description": "演示用模拟数据：来电人、联系电话、身份证号与诉求",
                "themes": ["政务"],
                "keywords": ["12345", "诉求"],
                "frequency": "daily",
                "license": "gov-restricted",
            },
        )
        with tempfile.TemporaryDirectory() as tmp:
            hub.catalog.add_file(OPERATOR, "hotline-callers", _callers(Path(tmp) / "callers.csv"))
        hub.catalog.classify(
            OPERATOR,
            "hotline-callers",
            {
                "share_conditions": "仅用于诉求办理与回访",
                "column_kinds": {"来电人": ["person_name"]},
            },
        )
        published += 1
    return published
