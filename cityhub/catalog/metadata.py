"""Dataset metadata as a department fills it in, checked field by field.

Titles and descriptions come in Chinese and English; governance fields use the vocabulary of
`classify` (share type, open type, GB/T 43697 grade and level). Errors name every bad field.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from cityhub.catalog.classify import GRADES, OPEN_TYPES, SHARE_TYPES
from cityhub.errors import BadRequestData

NAME = re.compile(r"[a-z0-9][a-z0-9_\-]{1,99}")
FREQUENCIES = (
    "realtime",
    "hourly",
    "daily",
    "weekly",
    "monthly",
    "quarterly",
    "annual",
    "irregular",
    "never",
)
LICENSES = {
    "cc-by-4.0": "https://creativecommons.org/licenses/by/4.0/",
    "cc0-1.0": "https://creativecommons.org/publicdomain/zero/1.0/",
    "odc-by": "https://opendatacommons.org/licenses/by/1-0/",
    "odc-odbl": "https://opendatacommons.org/licenses/odbl/1-0/",
    # 政务数据共享协议: shared under the platform's terms, not an open licence
    "gov-restricted": "",
}
LICENSE_TITLES = {
    "cc-by-4.0": "Creative Commons Attribution 4.0",
    "cc0-1.0": "Creative Commons CCZero 1.0",
    "odc-by": "Open Data Commons Attribution License 1.0",
    "odc-odbl": "Open Data Commons Open Database License 1.0",
    "gov-restricted": "政务数据共享 (shared under the platform's terms, not an open licence)",
}
TEXT_FIELDS = ("title", "title_en", "description", "description_en", "share_conditions", "contact")
LIST_FIELDS = ("themes", "keywords")
GOVERNANCE = ("share_type", "open_type", "grade", "level")


class MetadataError(BadRequestData):
    """Metadata with bad fields; `fields` maps each field to what is wrong with it."""

    def __init__(self, fields: dict[str, list[str]] | str) -> None:
        if isinstance(fields, str):
            self.fields: dict[str, list[str]] = {}
            super().__init__(fields)
            return
        self.fields = fields
        super().__init__(
            "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in sorted(fields.items()))
        )


def _date(value: Any) -> str:
    return dt.date.fromisoformat(str(value)).isoformat()


def check(meta: dict[str, Any], partial: bool = False) -> dict[str, Any]:
    """The accepted metadata (known fields only); raises MetadataError naming every bad field."""
    errors: dict[str, list[str]] = {}
    out: dict[str, Any] = {}

    def bad(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    for name in meta:
        if name not in (
            *TEXT_FIELDS, *LIST_FIELDS, *GOVERNANCE, "name", "org", "org_title", "org_title_en",
            "frequency", "license", "temporal", "spatial", "indexes",
        ):  # fmt: skip
            bad(name, "unknown field")
    if "name" in meta or not partial:
        slug = meta.get("name")
        if not isinstance(slug, str) or not NAME.fullmatch(slug):
            bad("name", "2-100 lowercase letters, digits, '-' or '_' (used in URLs)")
        else:
            out["name"] = slug
    if "org" in meta or not partial:
        org = meta.get("org")
        if not isinstance(org, str) or not NAME.fullmatch(org):
            bad("org", "the publishing department's short name (lowercase letters, digits, -, _)")
        else:
            out["org"] = org
    if not partial and not meta.get("title"):
        bad("title", "a dataset needs a title (中文标题)")
    for name in (*TEXT_FIELDS, "org_title", "org_title_en"):
        if name in meta:
            value = meta[name]
            if not isinstance(value, str) or len(value) > 4000:
                bad(name, "must be text of at most 4000 characters")
            else:
                out[name] = value.strip()
    for name in LIST_FIELDS:
        if name in meta:
            value = meta[name]
            if isinstance(value, str):
                value = [v.strip() for v in re.split(r"[,，;；]", value) if v.strip()]
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                bad(name, "must be a list of words")
            else:
                out[name] = value
    if "indexes" in meta:
        value = meta["indexes"]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            bad("indexes", "must be a list of column names")
        else:
            out["indexes"] = value
    if "frequency" in meta:
        if meta["frequency"] not in FREQUENCIES:
            bad("frequency", f"one of {', '.join(FREQUENCIES)}")
        else:
            out["frequency"] = meta["frequency"]
    if "license" in meta:
        if meta["license"] not in LICENSES:
            bad("license", f"one of {', '.join(LICENSES)}")
        else:
            out["license"] = meta["license"]
    if "temporal" in meta:
        span = meta["temporal"]
        try:
            if not isinstance(span, dict):
                raise ValueError
            out["temporal"] = {k: _date(span[k]) for k in ("start", "end") if span.get(k)}
        except (ValueError, TypeError):
            bad("temporal", "{start, end} as YYYY-MM-DD dates")
    if "spatial" in meta:
        box = meta["spatial"]
        ok = (
            isinstance(box, list)
            and len(box) == 4
            and all(isinstance(v, int | float) and not isinstance(v, bool) for v in box)
            and -180 <= box[0] < box[2] <= 180
            and -90 <= box[1] < box[3] <= 90
        )
        if not ok:
            bad("spatial", "a bounding box [west, south, east, north] in WGS-84 degrees")
        else:
            out["spatial"] = [float(v) for v in box]
    _governance(meta, out, bad)
    if errors:
        raise MetadataError(errors)
    return out


def _governance(meta: dict[str, Any], out: dict[str, Any], bad: Any) -> None:
    if "share_type" in meta:
        value = meta["share_type"]
        by_text = {v: k for k, v in SHARE_TYPES.items()}
        value = by_text.get(value, value)
        if value not in SHARE_TYPES:
            bad("share_type", f"one of {', '.join(SHARE_TYPES)} (无条件共享/有条件共享/不予共享)")
        else:
            out["share_type"] = value
    if "open_type" in meta:
        if meta["open_type"] not in OPEN_TYPES:
            bad("open_type", f"one of {', '.join(OPEN_TYPES)}")
        else:
            out["open_type"] = meta["open_type"]
    if "grade" in meta:
        if meta["grade"] not in GRADES:
            bad("grade", f"one of {', '.join(GRADES)} (GB/T 43697-2024)")
        else:
            out["grade"] = meta["grade"]
    if "level" in meta:
        level = meta["level"]
        if level is not None and (isinstance(level, bool) or level not in (1, 2, 3, 4)):
            bad("level", "1-4 (general data only) or null")
        else:
            out["level"] = level
