"""Glob patterns over names (`*` any run, `?` one character), compiled to the cheapest matcher.

Most patterns are exact names or `prefix*`; only the rest pay for a regular expression, which keeps
loading 10,000 rules well under a second. Brackets and braces are refused rather than silently taken
literally, because users coming from shells expect them to mean character classes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_FORBIDDEN = set("[]{}")


class PatternError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Pattern:
    """A compiled glob. `exact` is set when there is no wildcard; `prefix` is the literal lead."""

    source: str
    exact: str | None
    prefix: str
    suffix: str | None
    regex: re.Pattern[str] | None

    def matches(self, value: str) -> bool:
        if self.exact is not None:
            return value == self.exact
        if self.regex is not None:
            return self.regex.fullmatch(value) is not None
        if self.suffix is None:
            return value.startswith(self.prefix)
        return (
            len(value) >= len(self.prefix) + len(self.suffix)
            and value.startswith(self.prefix)
            and value.endswith(self.suffix)
        )


ANY = Pattern("*", None, "", None, None)
_CACHE: dict[str, Pattern] = {"*": ANY}


def compile_pattern(source: object) -> Pattern:
    """Compile one glob or raise PatternError saying what is wrong with it."""
    if not isinstance(source, str):
        raise PatternError(f"expected a string pattern, got {type(source).__name__}")
    cached = _CACHE.get(source)
    if cached is not None:
        return cached
    if not source:
        raise PatternError("empty pattern (leave the field out, or use '*', to match anything)")
    bad = sorted(_FORBIDDEN.intersection(source))
    if bad:
        raise PatternError(f"pattern {source!r} uses {' '.join(bad)}; only * and ? are wildcards")
    if any(ord(ch) < 0x20 for ch in source):
        raise PatternError(f"pattern {source!r} holds a control character")
    pattern = _build(source)
    if len(_CACHE) < 100_000:
        _CACHE[source] = pattern
    return pattern


def _build(source: str) -> Pattern:
    first = min((i for i in (source.find("*"), source.find("?")) if i >= 0), default=-1)
    if first < 0:
        return Pattern(source, source, source, None, None)
    prefix = source[:first]
    rest = source[first:]
    if rest == "*":
        return Pattern(source, None, prefix, None, None)
    if rest.startswith("*") and "*" not in rest[1:] and "?" not in rest:
        return Pattern(source, None, prefix, rest[1:], None)
    parts = [".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in source]
    return Pattern(source, None, prefix, None, re.compile("".join(parts), re.DOTALL))
