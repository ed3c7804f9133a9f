"""Profiling a table's columns for personal data and suggesting how the dataset is shared.

Vocabulary: share type 无条件共享 / 有条件共享 / 不予共享 (unconditional / conditional / not
shared), open type open / restricted / prohibited, and the GB/T 43697-2024 grade core /
important / general with a finer level 1-4 for general data. The suggestion is only that: a data
steward confirms it, and domain rules (core and important data catalogues) come from the steward,
not from the values.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from cityhub.catalog.sensitive import NAME_HEADERS, find, looks_like_name

SHARE_TYPES = {"unconditional": "无条件共享", "conditional": "有条件共享", "not_shared": "不予共享"}
OPEN_TYPES = ("open", "restricted", "prohibited")
GRADES = ("core", "important", "general")
HOLDS_SHARE = 0.2  # a column holds a kind when this share of its values contain it
LEVEL_OF = {
    "id_card": 4,
    "bank_card": 4,
    "mobile": 3,
    "landline": 3,
    "email": 3,
    "person_name": 3,
    "address": 3,
    "plate": 3,
    "coordinates": 2,  # only with personal data in the same table (see suggest)
}
KIND_TEXT = {
    "id_card": "居民身份证号码",
    "bank_card": "银行卡号",
    "mobile": "手机号码",
    "landline": "固定电话",
    "email": "电子邮箱",
    "person_name": "姓名",
    "address": "详细地址",
    "plate": "机动车号牌",
    "coordinates": "精确坐标",
}
LARGE_SCALE_ROWS = 1_000_000  # sensitive personal data of this many people may be important data


@dataclass
class ColumnProfile:
    name: str
    values: int = 0
    hits: Counter[str] = field(default_factory=Counter)

    def add(self, value: Any) -> None:
        if value is None or value == "":
            return
        self.values += 1
        text = str(value)
        kinds = {f.kind for f in find(text)}
        if any(h in self.name.lower() for h in NAME_HEADERS) and looks_like_name(text.strip()):
            kinds.add("person_name")
        self.hits.update(kinds)

    @property
    def kinds(self) -> list[str]:
        """Kinds this column holds (most frequent first)."""
        if not self.values:
            return []
        return [k for k, n in self.hits.most_common() if n / self.values >= HOLDS_SHARE]

    def as_dict(self) -> dict[str, Any]:
        return {
            "column": self.name,
            "values": self.values,
            "kinds": self.kinds,
            "hits": dict(self.hits),
        }


@dataclass(frozen=True)
class Suggestion:
    grade: str
    level: int | None
    share_type: str
    open_type: str
    reasons: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {
            "grade": self.grade,
            "level": self.level,
            "shareType": self.share_type,
            "shareTypeText": SHARE_TYPES[self.share_type],
            "openType": self.open_type,
            "reasons": self.reasons,
        }


def profile(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> list[ColumnProfile]:
    profiles = [ColumnProfile(str(h)) for h in header]
    for row in rows:
        for p, value in zip(profiles, row, strict=False):
            p.add(value)
    return profiles


def suggest(profiles: Sequence[ColumnProfile], rows: int) -> Suggestion:
    """Grade, share type and open type from what the columns hold. Precise coordinates raise
    the level only next to personal data (where a person is); alone they locate things."""
    reasons = []
    level = 1
    located = False
    for p in profiles:
        for kind in p.kinds:
            if kind == "coordinates":
                located = True
            else:
                level = max(level, LEVEL_OF[kind])
            reasons.append(f"{p.name}: {KIND_TEXT[kind]} ({p.hits[kind]}/{p.values})")
    if level >= 4 and rows >= LARGE_SCALE_ROWS:
        reasons.append(f"敏感个人信息 {rows:,} 行：可能属于重要数据，请数据管理员确认")
        return Suggestion("important", None, "conditional", "prohibited", reasons)
    if level >= 3:
        if located:
            level = 4
            reasons.append("个人信息与精确坐标同表：可定位到人")
        return Suggestion("general", level, "conditional", "restricted", reasons)
    if located:
        reasons.append("精确坐标未与个人信息同表")
    return Suggestion("general", 1, "unconditional", "open", reasons or ["未发现个人信息"])
