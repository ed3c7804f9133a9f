"""The Solomon (1987) VRPTW benchmark text format: a name line, VEHICLE with NUMBER and
CAPACITY, CUSTOMER with one line per node (number, x, y, demand, ready time, due date, service
time); node 0 is the depot."""

from __future__ import annotations

from pathlib import Path

from cityhub.care.routing import Carer, Problem, Stop
from cityhub.errors import BadRequestData


def read_solomon(path: Path) -> Problem:
    try:
        lines = [line.split() for line in path.read_text(encoding="utf-8").splitlines()]
    except (OSError, UnicodeDecodeError) as exc:
        raise BadRequestData(f"cannot read {path}: {exc}") from None
    rows = [r for r in lines if r]
    if not rows:
        raise BadRequestData(f"{path.name} is empty")
    name = rows[0][0]
    numbers = [r for r in rows if all(_number(v) for v in r)]
    if len(numbers) < 2 or len(numbers[0]) != 2:
        raise BadRequestData(f"{path.name}: no VEHICLE NUMBER and CAPACITY line")
    count, capacity = int(float(numbers[0][0])), float(numbers[0][1])
    nodes = numbers[1:]
    bad = next((i for i, r in enumerate(nodes) if len(r) != 7), None)
    if bad is not None:
        raise BadRequestData(
            f"{path.name}: customer line {bad + 1} has {len(nodes[bad])} numbers, not 7"
        )
    stops = [
        Stop(str(int(float(r[0]))), float(r[1]), float(r[2]), float(r[3]), float(r[4]),
             float(r[5]), float(r[6]))
        for r in nodes
    ]  # fmt: skip
    if not stops or stops[0].id != "0":
        raise BadRequestData(f"{path.name}: the first customer line must be the depot, 0")
    carers = [Carer(f"v{i + 1}", capacity) for i in range(count)]
    return Problem(name, stops[0], stops[1:], carers)


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
