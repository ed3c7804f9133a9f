"""scopeQ (NGSI-LD 4.19): entities by the scopes they are in.

A scope is a path such as /Madrid/Gardens/ParkNorte; an entity may be in several. A scope
query names paths, where `+` stands for one level and a trailing `#` for a scope and everything
below it (`/#`: any scope); `,` is or, `;` is and, with parentheses."""

from __future__ import annotations

import re
from collections.abc import Callable

from cityhub.errors import BadRequestData
from cityhub.store.records import Entity

Predicate = Callable[[Entity], bool]
_TOKENS = re.compile(r"[(),;]|[^(),;]+")


def _fail(text: str, message: str) -> BadRequestData:
    return BadRequestData(f"invalid scopeQ {text!r}: {message}")


def _path_matcher(text: str, path: str) -> Callable[[str], bool]:
    if not path.startswith("/"):
        raise _fail(text, f"a scope starts with '/': {path!r}")
    parts = path.split("/")[1:]
    if any(not p for p in parts) and path != "/":
        raise _fail(text, f"a scope has no empty level: {path!r}")
    if "#" in parts[:-1] or any(("#" in p or "+" in p) and len(p) > 1 for p in parts):
        raise _fail(text, f"'#' ends a scope and '+' stands alone: {path!r}")
    below = parts[-1:] == ["#"]
    fixed = parts[:-1] if below else parts

    def matches(scope: str) -> bool:
        levels = scope.split("/")[1:]
        if len(levels) < len(fixed) or (not below and len(levels) != len(fixed)):
            return False
        return all(want in ("+", got) for want, got in zip(fixed, levels, strict=False))

    return matches


def compile_scope_query(text: str) -> Predicate:
    """An entity predicate for a scopeQ expression; BadRequestData when it cannot be read."""
    tokens = [t.strip() for t in _TOKENS.findall(text.replace(" ", "")) if t.strip()]
    if not tokens:
        raise _fail(text, "it is empty")
    pos = 0

    def parse_or() -> Predicate:
        nonlocal pos
        parts = [parse_and()]
        while pos < len(tokens) and tokens[pos] == ",":
            pos += 1
            parts.append(parse_and())
        return parts[0] if len(parts) == 1 else (lambda e: any(p(e) for p in parts))

    def parse_and() -> Predicate:
        nonlocal pos
        parts = [parse_atom()]
        while pos < len(tokens) and tokens[pos] == ";":
            pos += 1
            parts.append(parse_atom())
        return parts[0] if len(parts) == 1 else (lambda e: all(p(e) for p in parts))

    def parse_atom() -> Predicate:
        nonlocal pos
        if pos >= len(tokens):
            raise _fail(text, "it ends too early")
        token = tokens[pos]
        pos += 1
        if token == "(":
            inner = parse_or()
            if pos >= len(tokens) or tokens[pos] != ")":
                raise _fail(text, "a parenthesis is not closed")
            pos += 1
            return inner
        if token in (")", ",", ";"):
            raise _fail(text, f"unexpected {token!r}")
        matches = _path_matcher(text, token)
        return lambda e: any(matches(s) for s in (e.scope or []))

    predicate = parse_or()
    if pos != len(tokens):
        raise _fail(text, f"unexpected {tokens[pos]!r}")
    return predicate
