"""Citizen requests for the demo city: filed at random places inside the districts over the
last ten days, some already dispatched, answered, resolved and rated."""

from __future__ import annotations

import datetime as dt
import random

from cityhub.citizen.service import NewRequest, RequestService
from cityhub.demo.city import random_point
from cityhub.store.citizen_sql import RequestFilter

TEMPLATES = {
    "noise": [
        "工地深夜施工，噪音扰民到凌晨",
        "楼下酒吧音乐声太大，晚上无法休息",
        "装修电钻声每天从早上七点开始",
    ],
    "road": ["人行道地砖松动，雨天溅水", "路面出现大坑，电动车容易摔倒", "井盖缺失，存在安全隐患"],
    "streetlight": ["路灯不亮已经一周，夜间很黑", "路灯白天也一直亮着，浪费电"],
    "garbage": ["垃圾桶满溢无人清理，气味很大", "路边有人乱倒建筑垃圾"],
    "parking": ["车辆长期占用消防通道", "人行道上停满了车，行人只能走机动车道"],
    "hotline": [
        "小区电梯经常故障，老人出行不便",
        "公交站台遮阳棚损坏，希望尽快维修",
        "建议增加社区健身设施",
    ],
}
REPLIES = [
    "经现场核实，已安排施工单位整改，并将加强巡查。如有问题请拨打0755-12345。",
    "已派人维修完毕，感谢您的反映。",
]


def file_demo_requests(requests: RequestService, count: int = 40, seed: int = 12345) -> int:
    """File `count` requests unless the store already has some; returns how many were filed."""
    if requests.store.requests.count_requests(RequestFilter()) > 0:
        return 0
    rng = random.Random(seed)
    boundaries = requests.locator.districts
    now = dt.datetime.now(dt.UTC)
    filed = 0
    for number in range(count):
        code = rng.choice(sorted(TEMPLATES))
        index = rng.randrange(len(boundaries.names))
        lon, lat = random_point(boundaries.geometry(index), rng)
        attributes = {"source": rng.choice(["construction", "venue"])} if code == "noise" else {}
        row = requests.create(
            NewRequest(
                code,
                description=rng.choice(TEMPLATES[code]),
                lat=lat,
                lon=lon,
                attributes=attributes,
                reporter={"email": f"resident{number}@example.cn"},
                requested_at=now - dt.timedelta(hours=rng.uniform(1, 240)),
            ),
            actor="demo",
        )
        filed += 1
        if row.status != "dispatched" or rng.random() < 0.4:
            continue
        requests.act(row.id, "accept", "demo")
        if rng.random() < 0.6:
            requests.act(row.id, "resolve", "demo", note=rng.choice(REPLIES))
            if rng.random() < 0.7:
                requests.follow_up(row.id, rng.choice([3, 4, 5, 5, 2]), "demo")
    return filed
