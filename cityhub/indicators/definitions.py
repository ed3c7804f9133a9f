"""Indicator definitions: one TOML file per indicator, validated when loaded.

The shipped starter library lives in ``cityhub/indicators/library``; a city adds or overrides
definitions with its own folder (``CITYHUB_INDICATORS_DIR``). A definition says what the number
means (names, unit, theme, the standard clause it follows, which direction is better), how
often it is reported, for which places, and how it is computed (``[compute]``). It may carry
default targets (``[[targets]]``) and its own tests (``[[tests]]``, run by the test suite).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from cityhub.errors import BadRequestData, ResourceNotFound
from cityhub.indicators.periods import GRAINS

KINDS = ("history", "requests", "entities", "series", "derived", "sql")
PLACES = ("city", "district", "department")
DIRECTIONS = ("higher", "lower")


@dataclass(frozen=True)
class Definition:
    id: str
    name: dict[str, str]
    unit: str
    theme: str
    standard: list[dict[str, str]]
    direction: str
    periodicity: str
    places: tuple[str, ...]
    compute: dict[str, Any]
    description: dict[str, str] = field(default_factory=dict)
    decimals: int = 2
    limit: float | None = None  # a natural bound (100 for a percentage), for progress scaling
    targets: list[dict[str, Any]] = field(default_factory=list)
    tests: list[dict[str, Any]] = field(default_factory=list)
    source: str = ""

    @property
    def kind(self) -> str:
        return str(self.compute["kind"])

    @property
    def depends_on(self) -> list[str]:
        if self.kind != "derived":
            return []
        return [
            str(self.compute[key])
            for key in ("of", "numerator", "denominator")
            if key in self.compute
        ]

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "unit": self.unit,
            "theme": self.theme,
            "standard": self.standard,
            "direction": self.direction,
            "periodicity": self.periodicity,
            "places": list(self.places),
            "kind": self.kind,
            "decimals": self.decimals,
            "limit": self.limit,
        }

    def document(self) -> dict[str, Any]:
        return {**self.summary(), "compute": self.compute, "targets": self.targets}


def _texts(raw: Any, what: str, where: str) -> dict[str, str]:
    if isinstance(raw, str):
        return {"zh": raw, "en": raw}
    if not isinstance(raw, dict) or not raw or not all(isinstance(v, str) for v in raw.values()):
        raise BadRequestData(f"{where}: '{what}' must be a text or a table of texts by language")
    return {str(k): str(v) for k, v in raw.items()}


def parse_definition(doc: dict[str, Any], where: str) -> Definition:
    """A definition from a parsed TOML document; any mistake is one clear error."""
    missing = [
        k for k in ("id", "name", "unit", "direction", "periodicity", "compute") if k not in doc
    ]
    if missing:
        raise BadRequestData(f"{where}: missing {', '.join(missing)}")
    ident = str(doc["id"])
    if not ident.replace("_", "").isalnum() or not ident.isascii():
        raise BadRequestData(f"{where}: id '{ident}' must be ASCII letters, digits and '_'")
    if doc["direction"] not in DIRECTIONS:
        raise BadRequestData(f"{where}: direction must be 'higher' or 'lower'")
    if doc["periodicity"] not in GRAINS:
        raise BadRequestData(f"{where}: periodicity must be one of {', '.join(GRAINS)}")
    places = doc.get("places", ["city"])
    if isinstance(places, str):
        places = [places]
    if not places or any(p not in PLACES for p in places):
        raise BadRequestData(f"{where}: places must be among {', '.join(PLACES)}")
    compute = doc["compute"]
    if not isinstance(compute, dict) or compute.get("kind") not in KINDS:
        raise BadRequestData(f"{where}: [compute] needs kind = one of {', '.join(KINDS)}")
    standard = doc.get("standard", [{"scheme": "local", "ref": ""}])
    if isinstance(standard, dict):
        standard = [standard]
    limit = doc.get("limit")
    return Definition(
        id=ident,
        name=_texts(doc["name"], "name", where),
        description=_texts(doc.get("description", doc["name"]), "description", where),
        unit=str(doc["unit"]),
        theme=str(doc.get("theme", "")),
        standard=[{str(k): str(v) for k, v in s.items()} for s in standard],
        direction=str(doc["direction"]),
        periodicity=str(doc["periodicity"]),
        places=tuple(str(p) for p in places),
        compute=dict(compute),
        decimals=int(doc.get("decimals", 2)),
        limit=float(limit) if limit is not None else None,
        targets=list(doc.get("targets", [])),
        tests=list(doc.get("tests", [])),
        source=where,
    )


def read_definition(path: Path) -> Definition:
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise BadRequestData(f"cannot read indicator definition {path}: {exc}") from exc
    return parse_definition(doc, str(path))


class Library:
    """Every definition the platform knows, by id (the city's files override shipped ones)."""

    def __init__(self, definitions: dict[str, Definition]) -> None:
        self._defs = definitions

    @classmethod
    def load(cls, city_dir: Path | None = None) -> Library:
        defs: dict[str, Definition] = {}
        shipped = resources.files("cityhub.indicators").joinpath("library")
        for item in sorted(shipped.iterdir(), key=lambda i: i.name):
            if item.name.endswith(".toml"):
                text = item.read_text(encoding="utf-8")
                d = parse_definition(tomllib.loads(text), f"library/{item.name}")
                defs[d.id] = d
        if city_dir is not None:
            if not city_dir.is_dir():
                raise BadRequestData(f"indicator folder {city_dir} does not exist")
            for path in sorted(city_dir.glob("*.toml")):
                d = read_definition(path)
                defs[d.id] = d
        for d in defs.values():
            unknown = [dep for dep in d.depends_on if dep not in defs]
            if unknown:
                raise BadRequestData(f"{d.source}: depends on unknown indicator {unknown[0]}")
        return cls(defs)

    def __len__(self) -> int:
        return len(self._defs)

    def get(self, ident: str) -> Definition:
        if ident not in self._defs:
            raise ResourceNotFound(f"no indicator '{ident}' (see 'cityhub indicators list')")
        return self._defs[ident]

    def all(self, theme: str | None = None) -> list[Definition]:
        return [d for d in self._defs.values() if theme is None or d.theme == theme]

    def in_order(self, ids: list[str] | None = None) -> list[Definition]:
        """The chosen definitions plus what they depend on, dependencies first."""
        wanted = [self.get(i) for i in ids] if ids else list(self._defs.values())
        out: list[Definition] = []
        seen: set[str] = set()

        def visit(d: Definition, path: tuple[str, ...]) -> None:
            if d.id in seen:
                return
            if d.id in path:
                raise BadRequestData(f"indicator {d.id} depends on itself")
            for dep in d.depends_on:
                visit(self.get(dep), (*path, d.id))
            seen.add(d.id)
            out.append(d)

        for d in wanted:
            visit(d, ())
        return out
