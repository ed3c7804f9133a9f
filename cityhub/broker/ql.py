"""The NGSI-LD query language (`q`): parse once into a predicate over stored entities.

q        := and ('|' and)*            ';' binds tighter than '|'
and      := term (';' term)*
term     := '(' q ')' | '!' path | path [op value]
path     := name ('.' name)* ('[' key ']')*
op       := == != > >= < <= ~= !~=
value    := "string" | number | true | false | date-time | URI | v1,v2,... | lo..hi
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cityhub.errors import BadRequestData
from cityhub.jsonld import TermMap
from cityhub.limits import check_parentheses
from cityhub.patterns import compile_pattern
from cityhub.store.records import Entity, Instance
from cityhub.timeutil import parse_datetime

Predicate = Callable[[Entity], bool]
_OPS = ("!~=", "==", "!=", ">=", "<=", "~=", ">", "<")
_NAME_STOP = set(";|()[]=!<>~.")
_NUMBER = re.compile(r"^-?\d+(\.\d+)?([eE][-+]?\d+)?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$")
_METADATA = {"observedAt", "unitCode", "datasetId", "createdAt", "modifiedAt", "objectType"}
_MISSING = object()


class QueryError(BadRequestData):
    title = "Invalid query"


@dataclass(frozen=True)
class Path:
    attr: str  # expanded attribute IRI
    sub: tuple[str, ...]  # sub-attribute IRIs or metadata names
    keys: tuple[str, ...]  # compound value keys


class _Parser:
    def __init__(self, text: str, tm: TermMap) -> None:
        self.text = text
        self.pos = 0
        self.tm = tm
        self.attrs: set[str] = set()

    def fail(self, message: str) -> QueryError:
        return QueryError(f"invalid q at position {self.pos}: {message} (q={self.text!r})")

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def parse(self) -> Predicate:
        if not self.text.strip():
            raise self.fail("empty query")
        pred = self.parse_or()
        if self.pos != len(self.text):
            raise self.fail(f"unexpected {self.peek()!r}")
        return pred

    def parse_or(self) -> Predicate:
        parts = [self.parse_and()]
        while self.peek() == "|":
            self.pos += 1
            parts.append(self.parse_and())
        if len(parts) == 1:
            return parts[0]
        return lambda e: any(p(e) for p in parts)

    def parse_and(self) -> Predicate:
        parts = [self.parse_term()]
        while self.peek() == ";":
            self.pos += 1
            parts.append(self.parse_term())
        if len(parts) == 1:
            return parts[0]
        return lambda e: all(p(e) for p in parts)

    def parse_term(self) -> Predicate:
        if self.peek() == "(":
            self.pos += 1
            inner = self.parse_or()
            if self.peek() != ")":
                raise self.fail("missing ')'")
            self.pos += 1
            return inner
        if self.peek() == "!" and not self.text.startswith("!=", self.pos):
            self.pos += 1
            path = self.parse_path()
            return lambda e: not _exists(e, path)
        path = self.parse_path()
        op = next((o for o in _OPS if self.text.startswith(o, self.pos)), None)
        if op is None:
            return lambda e: _exists(e, path)
        self.pos += len(op)
        raw = self.read_value(regex=op in ("~=", "!~="))
        return _comparison(path, op, raw, self)

    def read_name(self) -> str:
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] not in _NAME_STOP:
            self.pos += 1
        name = self.text[start : self.pos]
        if not name or any(c.isspace() for c in name):
            raise self.fail("expected an attribute name")
        if "%" in name and ":" not in name:  # a term has no '%'; an IRI may escape with it
            raise self.fail(f"'{name}' is no attribute name: is the query URL-encoded twice?")
        return name

    def parse_path(self) -> Path:
        attr = self.tm.expand(self.read_name())
        sub: list[str] = []
        keys: list[str] = []
        while self.peek() == ".":
            self.pos += 1
            name = self.read_name()
            sub.append(name if name in _METADATA else self.tm.expand(name))
        while self.peek() == "[":
            self.pos += 1
            end = self.text.find("]", self.pos)
            if end < 0:
                raise self.fail("missing ']'")
            keys.extend(k for k in self.text[self.pos : end].split(".") if k)
            self.pos = end + 1
            while self.peek() == ".":  # a[b].c is a[b][c]
                self.pos += 1
                keys.append(self.read_name())
        self.attrs.add(attr)
        return Path(attr, tuple(sub), tuple(keys))

    def read_value(self, regex: bool) -> str:
        start, depth, quoted = self.pos, 0, False
        while self.pos < len(self.text):
            c = self.text[self.pos]
            if c == '"':
                quoted = not quoted
            elif not quoted:
                if c == "(":
                    depth += 1
                elif c == ")":
                    if depth == 0:
                        break
                    depth -= 1
                elif c in ";|" and depth == 0:
                    break
            self.pos += 1
        if quoted:
            raise self.fail("unterminated string")
        raw = self.text[start : self.pos]
        if raw == "":
            raise self.fail("expected a value")
        if not regex and depth:
            raise self.fail("unbalanced parentheses in value")
        return raw


def _atom(text: str, parser: _Parser) -> Any:
    if not text:
        raise parser.fail("expected a value (an empty item in a list or range)")
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        return text[1:-1]
    if text in ("true", "false"):
        return text == "true"
    if _NUMBER.match(text):
        return float(text) if any(c in text for c in ".eE") else int(text)
    if _DATE.match(text):
        try:
            return parse_datetime(text if "T" in text else text + "T00:00:00Z")
        except ValueError as exc:
            raise parser.fail(str(exc)) from exc
    if any(c in text for c in '"[]') or text[0] in "<>=!~":
        raise parser.fail(f"invalid value {text!r}")
    return text


def _split_outside_quotes(text: str, sep: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    quoted, i = False, 0
    while i < len(text):
        if text[i] == '"':
            quoted = not quoted
        if not quoted and text.startswith(sep, i):
            parts.append("".join(current))
            current = []
            i += len(sep)
            continue
        current.append(text[i])
        i += 1
    parts.append("".join(current))
    return parts


def _comparison(path: Path, op: str, raw: str, parser: _Parser) -> Predicate:
    if op in ("~=", "!~="):
        pattern = raw[1:-1] if len(raw) >= 2 and raw[0] == raw[-1] == '"' else raw
        try:
            regex = compile_pattern(pattern, "regular expression")
        except BadRequestData as exc:
            raise parser.fail(exc.detail) from exc
        if op == "~=":
            return lambda e: any(isinstance(v, str) and regex.search(v) for v in _values(e, path))

        def not_match(e: Entity) -> bool:
            vals = _values(e, path)
            return bool(vals) and not any(isinstance(v, str) and regex.search(v) for v in vals)

        return not_match
    ranges = _split_outside_quotes(raw, "..")
    if len(ranges) == 2 and op in ("==", "!="):
        lo, hi = _atom(ranges[0], parser), _atom(ranges[1], parser)

        def in_range(e: Entity) -> bool:
            return any(_cmp(v, lo, ">=") and _cmp(v, hi, "<=") for v in _values(e, path))

        if op == "==":
            return in_range
        return lambda e: bool(_values(e, path)) and not in_range(e)
    items = _split_outside_quotes(raw, ",")
    if len(items) > 1 and op in ("==", "!="):
        wanted = [_atom(i, parser) for i in items]

        def in_list(e: Entity) -> bool:
            return any(_cmp(v, w, "==") for v in _values(e, path) for w in wanted)

        if op == "==":
            return in_list
        return lambda e: bool(_values(e, path)) and not in_list(e)
    target = _atom(raw, parser)
    if op == "!=":
        return lambda e: (
            bool(_values(e, path)) and not any(_cmp(v, target, "==") for v in _values(e, path))
        )
    return lambda e: any(_cmp(v, target, op) for v in _values(e, path))


def _instance_content(inst: Instance) -> Any:
    kind = inst.get("type", "Property")
    if kind == "Relationship":
        return inst.get("object")
    if kind == "LanguageProperty":
        values: list[Any] = []
        for text in inst.get("languageMap", {}).values():
            values.extend(text if isinstance(text, list) else [text])
        return values
    if kind == "VocabProperty":
        return inst.get("vocab")
    if kind == "ListProperty":
        return inst.get("valueList")
    if kind == "ListRelationship":
        return [i.get("object") if isinstance(i, dict) else i for i in inst.get("objectList", [])]
    if kind == "JsonProperty":
        return inst.get("json")
    return inst.get("value")


def _resolve(inst: Instance, path: Path) -> Any:
    node: Any = inst
    for name in path.sub:
        if not isinstance(node, dict) or name not in node:
            return _MISSING
        node = node[name]
    content = node if path.sub and path.sub[-1] in _METADATA else _instance_content(node)
    for key in path.keys:
        if isinstance(content, dict) and key in content:
            content = content[key]
        else:
            return _MISSING
    return content


def _values(entity: Entity, path: Path) -> list[Any]:
    found: list[Any] = []
    for inst in entity.attrs.get(path.attr, ()):
        value = _resolve(inst, path)
        if value is _MISSING:
            continue
        if isinstance(value, dict) and "@value" in value:
            value = value["@value"]
        if isinstance(value, list):
            found.extend(value)
        else:
            found.append(value)
    return found


def _exists(entity: Entity, path: Path) -> bool:
    return any(_resolve(i, path) is not _MISSING for i in entity.attrs.get(path.attr, ()))


def _coerce(value: Any, target: Any) -> Any:
    """Make a stored value comparable with a query value, or return _MISSING."""
    if isinstance(target, bool):
        return value if isinstance(value, bool) else _MISSING
    if isinstance(target, int | float):
        if isinstance(value, int | float) and not isinstance(value, bool):
            return value
        return _MISSING
    if isinstance(target, datetime):
        if isinstance(value, str):
            try:
                return parse_datetime(value if "T" in value else value + "T00:00:00Z")
            except ValueError:
                return _MISSING
        return _MISSING
    return value if isinstance(value, str) else _MISSING


def _cmp(value: Any, target: Any, op: str) -> bool:
    value = _coerce(value, target)
    if value is _MISSING:
        return False
    if op == "==":
        return bool(value == target)
    if op == ">":
        return bool(value > target)
    if op == ">=":
        return bool(value >= target)
    if op == "<":
        return bool(value < target)
    if op == "<=":
        return bool(value <= target)
    return False


def compile_q(text: str, tm: TermMap) -> tuple[Predicate, set[str]]:
    """Parse a q expression; returns the predicate and the attribute IRIs it mentions."""
    check_parentheses(text, "q")
    parser = _Parser(text, tm)
    predicate = parser.parse()
    return predicate, parser.attrs
