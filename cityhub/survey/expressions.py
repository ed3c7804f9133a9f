"""XLSForm expressions (`relevant`, `constraint`, `required`): the XPath subset forms use,
parsed once into a tree and evaluated against a response without `eval`.

Supported: numbers, 'strings', `${question}`, `.` (the answer being checked), `or`, `and`,
`=`, `!=`, `<`, `<=`, `>`, `>=`, `+`, `-`, `*`, `div`, `mod`, unary minus, parentheses and
the functions `selected`, `count-selected`, `string-length`, `regex`, `not`, `if`, `number`,
`int`, `string`, `concat`, `contains`, `starts-with`, `ends-with`, `true`, `false`, `today`.
Comparisons are numeric when both sides read as numbers, text otherwise; an empty answer is
the empty string (so `${age} >= 16` is false while age is unanswered)."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from cityhub.errors import BadRequestData

_TOKEN = re.compile(
    r"\s*(?:(?P<number>\d+(?:\.\d+)?|\.\d+)|(?P<ref>\$\{[A-Za-z_][\w.-]*\})|"
    r"(?P<string>'[^']*'|\"[^\"]*\")|(?P<op><=|>=|!=|[=<>+\-*(),])|(?P<dot>\.(?![\d]))|"
    r"(?P<name>[A-Za-z_][\w-]*))"
)
_BINARY = {
    "or": 1, "and": 2, "=": 3, "!=": 3, "<": 4, "<=": 4, ">": 4, ">=": 4,
    "+": 5, "-": 5, "*": 6, "div": 6, "mod": 6,
}  # fmt: skip
MAX_LENGTH = 2000  # characters in one expression
MAX_DEPTH = 40  # nested parentheses, calls and unary minus


@dataclass(frozen=True)
class Node:
    kind: str  # number, string, ref, dot, call, binary, negate
    value: Any = None
    args: tuple[Node, ...] = ()


def _tokens(text: str) -> list[tuple[str, str]]:
    out, at = [], 0
    text = text.rstrip()
    while at < len(text):
        match = _TOKEN.match(text, at)
        if match is None or match.end() == at:
            raise BadRequestData(f"cannot read the expression at {text[at : at + 12]!r}")
        kind = match.lastgroup or ""
        out.append((kind, match.group(kind)))
        at = match.end()
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        if len(text) > MAX_LENGTH:
            raise BadRequestData(f"an expression is longer than {MAX_LENGTH} characters")
        self.tokens = _tokens(text)
        self.at = 0
        self.depth = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None or (value is not None and token[1] != value):
            raise BadRequestData(f"expected {value or 'more'} in the expression")
        self.at += 1
        return token

    def expression(self, level: int = 0) -> Node:
        left = self.unary()
        while True:
            token = self.peek()
            if token is None or token[1] not in _BINARY or _BINARY[token[1]] <= level:
                return left
            op = self.take()[1]
            left = Node("binary", op, (left, self.expression(_BINARY[op])))

    def unary(self) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise BadRequestData(f"the expression nests more than {MAX_DEPTH} levels deep")
        try:
            return self._unary()
        finally:
            self.depth -= 1

    def _unary(self) -> Node:
        token = self.peek()
        if token is not None and token[1] == "-":
            self.take()
            return Node("negate", None, (self.unary(),))
        return self.atom()

    def atom(self) -> Node:
        kind, text = self.take()
        if kind == "number":
            return Node("number", float(text))
        if kind == "string":
            return Node("string", text[1:-1])
        if kind == "ref":
            return Node("ref", text[2:-1])
        if kind == "dot":
            return Node("dot")
        if text == "(":
            inner = self.expression()
            self.take(")")
            return inner
        if kind == "name":
            if text not in FUNCTIONS:
                raise BadRequestData(f"unknown function or word {text!r} in the expression")
            self.take("(")
            args: list[Node] = []
            if self.peek() is not None and self.peek() != ("op", ")"):
                args.append(self.expression())
                while self.peek() == ("op", ","):
                    self.take()
                    args.append(self.expression())
            self.take(")")
            return Node("call", text, tuple(args))
        raise BadRequestData(f"unexpected {text!r} in the expression")


def parse(text: str) -> Node:
    """The expression's tree; BadRequestData says what is wrong with it."""
    parser = _Parser(text)
    if not parser.tokens:
        raise BadRequestData("the expression is empty")
    tree = parser.expression()
    if parser.peek() is not None:
        raise BadRequestData(f"unexpected {parser.peek()[1]!r} in the expression")  # type: ignore[index]
    return tree


def references(node: Node) -> set[str]:
    """The questions an expression reads."""
    found = {node.value} if node.kind == "ref" else set()
    for arg in node.args:
        found |= references(arg)
    return found


def _number(value: Any) -> float:
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value).strip())
    except ValueError:
        return math.nan


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    return str(value)


def _truth(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0 and not math.isnan(value)
    return bool(value != "")


def _compare(op: str, a: Any, b: Any) -> bool:
    x, y = _number(a), _number(b)
    if not (math.isnan(x) or math.isnan(y)):
        pair: tuple[Any, Any] = (x, y)
    elif op in ("=", "!="):
        pair = (_text(a), _text(b))
    else:
        return False  # an order between text and a number (an unanswered question) is false
    return bool({
        "=": pair[0] == pair[1], "!=": pair[0] != pair[1], "<": pair[0] < pair[1],
        "<=": pair[0] <= pair[1], ">": pair[0] > pair[1], ">=": pair[0] >= pair[1],
    }[op])  # fmt: skip


def _arith(op: str, a: Any, b: Any) -> float:
    x, y = _number(a), _number(b)
    if op == "+":
        return x + y
    if op == "-":
        return x - y
    if op == "*":
        return x * y
    if y == 0:
        return math.nan
    return x / y if op == "div" else math.fmod(x, y)


def _regex(value: Any, pattern: Any) -> bool:
    """A form's own pattern, run by RE2 (linear time: no pattern can stall the server)."""
    from cityhub.patterns import compile_pattern

    compiled = compile_pattern(f"^(?:{_text(pattern)})$", "the form's regex()")
    return compiled.search(_text(value)) is not None


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "selected": lambda a, b: _text(b) in _text(a).split(),
    "count-selected": lambda a: float(len(_text(a).split())),
    "string-length": lambda a: float(len(_text(a))),
    "regex": _regex,
    "not": lambda a: not _truth(a),
    "if": lambda c, a, b: a if _truth(c) else b,
    "number": _number,
    "int": lambda a: float(math.trunc(_number(a))) if not math.isnan(_number(a)) else math.nan,
    "string": _text,
    "concat": lambda *xs: "".join(_text(x) for x in xs),
    "contains": lambda a, b: _text(b) in _text(a),
    "starts-with": lambda a, b: _text(a).startswith(_text(b)),
    "ends-with": lambda a, b: _text(a).endswith(_text(b)),
    "true": lambda: True,
    "false": lambda: False,
    "today": lambda: dt.date.today().isoformat(),
}


def evaluate(node: Node, answers: Mapping[str, str], current: str = "") -> Any:
    """The expression's value for a response (`current` is `.`)."""
    if node.kind in ("number", "string"):
        return node.value
    if node.kind == "ref":
        return answers.get(node.value, "")
    if node.kind == "dot":
        return current
    if node.kind == "negate":
        return -_number(evaluate(node.args[0], answers, current))
    if node.kind == "call":
        values = [evaluate(arg, answers, current) for arg in node.args]
        try:
            return FUNCTIONS[node.value](*values)
        except TypeError:
            raise BadRequestData(f"{node.value}() got {len(values)} arguments") from None
    op = node.value
    if op == "or":
        return _truth(evaluate(node.args[0], answers, current)) or _truth(
            evaluate(node.args[1], answers, current)
        )
    if op == "and":
        return _truth(evaluate(node.args[0], answers, current)) and _truth(
            evaluate(node.args[1], answers, current)
        )
    a = evaluate(node.args[0], answers, current)
    b = evaluate(node.args[1], answers, current)
    if op in ("=", "!=", "<", "<=", ">", ">="):
        return _compare(op, a, b)
    return _arith(op, a, b)


def holds(node: Node, answers: Mapping[str, str], current: str = "") -> bool:
    return _truth(evaluate(node, answers, current))
