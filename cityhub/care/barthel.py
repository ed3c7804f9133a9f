"""The Barthel index of activities of daily living (Mahoney & Barthel, 1965): ten items scored
in steps of 5, 0 (fully dependent) to 100 (independent), and the dependency grading commonly
used in Chinese elderly-care practice: 100 自理, 61–99 轻度依赖, 41–60 中度依赖, 0–40 重度依赖.
A care-needs assessment scores every item; an item left out or a score the item does not have
is refused, naming the item."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cityhub.errors import BadRequestData

ITEMS: dict[str, tuple[tuple[int, ...], str, str]] = {
    "feeding": ((0, 5, 10), "进食", "Feeding"),
    "bathing": ((0, 5), "洗澡", "Bathing"),
    "grooming": ((0, 5), "修饰", "Grooming"),
    "dressing": ((0, 5, 10), "穿衣", "Dressing"),
    "bowels": ((0, 5, 10), "控制大便", "Bowels"),
    "bladder": ((0, 5, 10), "控制小便", "Bladder"),
    "toilet": ((0, 5, 10), "如厕", "Toilet use"),
    "transfers": ((0, 5, 10, 15), "床椅转移", "Transfers (bed to chair and back)"),
    "mobility": ((0, 5, 10, 15), "平地行走", "Mobility on level surfaces"),
    "stairs": ((0, 5, 10), "上下楼梯", "Stairs"),
}
LEVELS = (  # (lowest score, key, zh, en)
    (100, "independent", "自理", "independent"),
    (61, "mild", "轻度依赖", "mildly dependent"),
    (41, "moderate", "中度依赖", "moderately dependent"),
    (0, "severe", "重度依赖", "severely dependent"),
)


@dataclass(frozen=True)
class Barthel:
    items: dict[str, int]
    score: int
    level: str
    level_name: dict[str, str]

    def as_dict(self) -> dict[str, Any]:
        return {"items": self.items, "score": self.score, "level": self.level,
                "level_name": self.level_name}  # fmt: skip


def assess(answers: Any) -> Barthel:
    if not isinstance(answers, dict):
        raise BadRequestData(f"send each item's score: {', '.join(ITEMS)}")
    unknown = sorted(set(answers) - set(ITEMS))
    if unknown:
        raise BadRequestData(f"{unknown[0]!r} is not a Barthel item ({', '.join(ITEMS)})")
    items: dict[str, int] = {}
    for name, (allowed, zh, en) in ITEMS.items():
        value = answers.get(name)
        if isinstance(value, str) and value.strip().isdecimal():
            value = int(value)
        if isinstance(value, bool) or value not in allowed:
            shown = "/".join(str(a) for a in allowed)
            raise BadRequestData(f"{name} ({zh}, {en}) is scored {shown}, not {value!r}")
        items[name] = int(value)
    score = sum(items.values())
    _, level, zh, en = next(x for x in LEVELS if score >= x[0])
    return Barthel(items, score, level, {"zh": zh, "en": en})
