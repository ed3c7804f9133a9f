"""Bounds on what one request may ask for: nesting depth, whole numbers, list sizes.

Every parser and route checks its input against these before doing work, so an overlong,
overdeep or overflowing value is a clear 400, never a 500 from deep inside a driver.
"""

from __future__ import annotations

from typing import Any

from cityhub.errors import BadRequestData

MAX_DEPTH = 64  # nesting of JSON values a client sends (objects and arrays)
INT64_MAX = 2**63 - 1


def check_depth(value: Any, limit: int = MAX_DEPTH) -> None:
    """Refuse values nested deeper than `limit` (later steps recurse over them). Walks one
    level at a time, keeping only containers: every write's body passes through here."""
    level, depth = [value], 1
    while level:
        if depth > limit:
            raise BadRequestData(f"values may be nested at most {limit} levels deep")
        deeper = []
        for item in level:
            if isinstance(item, dict):
                members: Any = item.values()
            elif isinstance(item, list):
                members = item
            else:
                continue
            for member in members:
                if isinstance(member, dict | list):
                    deeper.append(member)
        level, depth = deeper, depth + 1


def whole_number(
    value: Any, what: str, low: int = 0, high: int = INT64_MAX, default: int | None = None
) -> int:
    """A whole number from text or JSON within [low, high], or a 400 naming the range."""
    if value is None or value == "":
        if default is None:
            raise BadRequestData(f"{what} is required")
        return default
    if isinstance(value, bool):
        raise BadRequestData(f"{what} must be a whole number from {low} to {high}")
    if isinstance(value, str):
        text = value.strip()
        digits = text[1:] if text[:1] in "+-" else text
        if not digits.isdecimal() or len(digits) > 19:
            raise BadRequestData(f"{what} must be a whole number from {low} to {high}")
        number = int(text)
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer() and abs(value) < 2**63:
        number = int(value)
    else:
        raise BadRequestData(f"{what} must be a whole number from {low} to {high}")
    if not low <= number <= high:
        raise BadRequestData(f"{what} must be a whole number from {low} to {high}")
    return number


MAX_NESTING = 32  # parentheses in a q or type expression


def check_parentheses(text: str, what: str, limit: int = MAX_NESTING) -> None:
    """Refuse expressions nested deeper than `limit` (their parsers recurse per level)."""
    depth = deepest = 0
    for ch in text:
        if ch == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif ch == ")":
            depth -= 1
    if deepest > limit:
        raise BadRequestData(f"{what} may nest parentheses at most {limit} deep")
