"""Regular expressions from clients (idPattern, q's ~=) in a linear-time engine.

RE2 runs in time linear in the text whatever the pattern, so no pattern can stall a request
(Python's `re` backtracks: `^(.*){8}Z` would take hours). Patterns RE2 cannot compile
(back-references, look-around) are refused with a clear 400.
"""

from __future__ import annotations

from typing import Protocol

import re2

from cityhub.errors import BadRequestData

MAX_PATTERN = 1_000  # characters
_OPTIONS = re2.Options()
_OPTIONS.log_errors = False
_OPTIONS.max_mem = 8 << 20  # a pattern whose program needs more is refused


class Pattern(Protocol):
    def search(self, text: str) -> object: ...


def compile_pattern(text: object, what: str = "pattern") -> Pattern:
    """A compiled pattern, or BadRequestData naming what is wrong with it."""
    if not isinstance(text, str):
        raise BadRequestData(f"{what} must be text")
    if len(text) > MAX_PATTERN:
        raise BadRequestData(f"{what} may be at most {MAX_PATTERN} characters")
    try:
        compiled: Pattern = re2.compile(text, _OPTIONS)
    except re2.error as exc:
        reason = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else exc
        raise BadRequestData(
            f"invalid {what} (regular expressions without back-references or look-around): {reason}"
        ) from exc
    return compiled
