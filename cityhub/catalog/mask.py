"""Masking personal data in values: 440305********1234, 138****5678, 张*, 6222***********1234.

`mask_text` masks every finding of `sensitive.find` in place and keeps the rest of the text;
`mask_cell` also masks a bare name in a column that holds names. Coordinates are rounded to two
decimals (about a kilometre).
"""

from __future__ import annotations

import re
from typing import Any

from cityhub.catalog.sensitive import Finding, find, looks_like_name, surname_of

_ROAD = re.compile(r"^.*?(?:路|街|大道|巷|道|里|村|小区|花园|苑|城|大厦|广场)")


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def mask_finding(f: Finding) -> str:
    text = f.text
    if f.kind == "id_card":
        return text[:6] + "*" * 8 + text[-4:]
    if f.kind == "mobile":
        national = _digits(text)[-11:]
        return national[:3] + "****" + national[-4:]
    if f.kind == "landline":
        digits = _digits(text)
        area = ""
        if digits.startswith("0"):
            area = digits[:3] if digits[1] in "12" else digits[:4]
            digits = digits[len(area) :]
            area += "-"
        return area + "*" * (len(digits) - 4) + digits[-4:]
    if f.kind == "bank_card":
        digits = _digits(text)
        return digits[:4] + "*" * (len(digits) - 8) + digits[-4:]
    if f.kind == "email":
        local, _, domain = text.partition("@")
        return local[:1] + "***@" + domain
    if f.kind == "plate":
        return text[:2] + "***" + text[-2:]
    if f.kind == "address":
        road = _ROAD.match(text)
        return (road.group() if road else text[:2]) + "***"
    if f.kind == "person_name":
        surname = surname_of(text) or text[:1]
        return surname + "*" * (len(text) - len(surname))
    if f.kind == "coordinates":
        return f"{float(text):.2f}"
    return "***"


def mask_text(text: str) -> str:
    findings = find(text)
    if not findings:
        return text
    out, at = [], 0
    for f in findings:
        out.append(text[at : f.start])
        out.append(mask_finding(f))
        at = f.end
    out.append(text[at:])
    return "".join(out)


def mask_cell(value: Any, kinds: frozenset[str] = frozenset()) -> Any:
    """A cell as an unauthorised reader may see it. `kinds` are what the column was found to
    hold: a column of names masks bare names, a column of coordinates rounds numbers."""
    if isinstance(value, str):
        if "person_name" in kinds and looks_like_name(value.strip()):
            name = value.strip()
            surname = surname_of(name) or name[:1]
            return surname + "*" * (len(name) - len(surname))
        return mask_text(value)
    if isinstance(value, float) and "coordinates" in kinds:
        return round(value, 2)
    if isinstance(value, int) and not isinstance(value, bool) and len(str(value)) >= 11:
        return mask_text(str(value))  # a phone or ID number stored as a number
    return value
