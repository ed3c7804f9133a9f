"""Compiled JSON-LD contexts: term -> IRI for expansion, IRI -> term for compaction.

NGSI-LD only needs term expansion for entity types, attribute names and vocabulary values, so a
context is compiled once into two dictionaries and cached; requests only do dictionary look-ups.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from cityhub.errors import InvalidContext

CORE_CONTEXT_URL = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld"
DEFAULT_VOCAB = "https://uri.etsi.org/ngsi-ld/default-context/"
_ABSOLUTE_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")
_KEYWORD_ALIASES = {"id", "type"}


@dataclass
class TermMap:
    """A merged, compiled context."""

    terms: dict[str, str] = field(default_factory=dict)
    vocab_terms: set[str] = field(default_factory=set)  # terms whose values are @vocab
    vocab: str | None = DEFAULT_VOCAB
    _reverse: dict[str, str] | None = None
    _prefixes: list[tuple[str, str]] | None = None

    # -- building -----------------------------------------------------------------------------
    def add_definitions(self, ctx: dict[str, Any], protected: set[str] | None = None) -> None:
        """Merge one context object's term definitions (later definitions win unless protected)."""
        if "@vocab" in ctx:
            vocab = ctx["@vocab"]
            if vocab is not None and not isinstance(vocab, str):
                raise InvalidContext("@vocab must be a string or null")
            self.vocab = self._resolve(vocab, ctx) if isinstance(vocab, str) else None
        for term, definition in ctx.items():
            if term.startswith("@") or term in _KEYWORD_ALIASES:
                continue
            if protected is not None and term in protected:
                continue
            iri: str | None
            if isinstance(definition, str):
                iri = definition
            elif isinstance(definition, dict):
                raw = definition.get("@id", term)
                iri = raw if isinstance(raw, str) else None
                if definition.get("@type") == "@vocab":
                    self.vocab_terms.add(term)
            elif definition is None:
                self.terms.pop(term, None)
                continue
            else:
                raise InvalidContext(f"term definition for '{term}' must be a string or object")
            if iri is None or iri.startswith("@"):
                continue
            self.terms[term] = self._resolve(iri, ctx)
        self._reverse = None
        self._prefixes = None

    def _resolve(self, iri: str, ctx: dict[str, Any]) -> str:
        """Resolve a compact IRI (prefix:suffix) inside a definition."""
        if ":" in iri:
            prefix, _, suffix = iri.partition(":")
            if not suffix.startswith("//"):
                target = self.terms.get(prefix)
                if target is None and isinstance(ctx.get(prefix), str):
                    target = ctx[prefix]
                if target is not None:
                    return target + suffix
            return iri
        if iri in self.terms:
            return self.terms[iri]
        return (self.vocab or DEFAULT_VOCAB) + iri

    # -- expansion ----------------------------------------------------------------------------
    def expand(self, term: str) -> str:
        """Expand a term (entity type, attribute name) to an absolute IRI."""
        iri = self.terms.get(term)
        if iri is not None:
            return iri
        if ":" in term:
            prefix, _, suffix = term.partition(":")
            target = self.terms.get(prefix)
            if target is not None and not suffix.startswith("//"):
                return target + suffix
            if _ABSOLUTE_IRI.match(term):
                return term
        return (self.vocab or DEFAULT_VOCAB) + term

    def is_vocab_valued(self, term_or_iri: str) -> bool:
        return term_or_iri in self.vocab_terms

    # -- compaction ---------------------------------------------------------------------------
    def compact(self, iri: str) -> str:
        """Compact an absolute IRI to the shortest term of this context, else a compact IRI."""
        reverse = self._reverse_map()
        term = reverse.get(iri)
        if term is not None:
            return term
        if self.vocab and iri.startswith(self.vocab):
            rest = iri[len(self.vocab) :]
            if rest and rest not in self.terms and ":" not in rest:
                return rest
        for prefix, base in self._prefix_list():
            if iri.startswith(base) and len(iri) > len(base):
                return f"{prefix}:{iri[len(base) :]}"
        return iri

    def _reverse_map(self) -> dict[str, str]:
        if self._reverse is None:
            reverse: dict[str, str] = {}
            for term, iri in self.terms.items():
                best = reverse.get(iri)
                if best is None or (len(term), term) < (len(best), best):
                    reverse[iri] = term
            self._reverse = reverse
        return self._reverse

    def _prefix_list(self) -> list[tuple[str, str]]:
        if self._prefixes is None:
            pairs = [
                (term, iri)
                for term, iri in self.terms.items()
                if iri.endswith(("/", "#", ":")) and ":" not in term
            ]
            pairs.sort(key=lambda p: -len(p[1]))
            self._prefixes = pairs
        return self._prefixes

    def copy(self) -> TermMap:
        return TermMap(dict(self.terms), set(self.vocab_terms), self.vocab)
