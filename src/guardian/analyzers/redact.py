"""Redaction: replace secrets and PII with `[REDACTED:<code>]` anywhere in a value.

Tool results and arguments are logged and shown to people; this strips what the shared
detectors find from strings (and bytes) inside nested dicts, lists, tuples and sets, and
reports which fields were touched and why, as JSON-pointer paths and codes, never values.
Redaction fails closed: text too large to scan, structures too deep to walk, and internal
errors replace the affected value with a marker instead of passing it through.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from guardian.analyzers import detectors
from guardian.analyzers.verdict import ANALYZER_ERROR

__all__ = [
    "INPUT_TOO_DEEP",
    "MAX_REDACT_CHARS",
    "MAX_REDACT_DEPTH",
    "Redaction",
    "RedactionResult",
    "redact",
]

#: Strings (or bytes) longer than this are replaced whole with `[REDACTED:input_too_large]`.
MAX_REDACT_CHARS = 1 << 20
#: Containers nested deeper than this (or cyclic) are replaced with `[REDACTED:input_too_deep]`.
MAX_REDACT_DEPTH = 64
INPUT_TOO_LARGE = "input_too_large"
INPUT_TOO_DEEP = "input_too_deep"

_SCALARS = (int, float, complex, bool, type(None))


class Redaction(NamedTuple):
    """One redacted field: its JSON-pointer path ("" is the value itself) and the code."""

    path: str
    code: str


class RedactionResult(NamedTuple):
    """The redacted copy of the value and which fields were redacted, in walk order."""

    value: Any
    redactions: list[Redaction]

    @property
    def changed(self) -> bool:
        return bool(self.redactions)

    def to_dict(self) -> dict[str, Any]:
        """The report without the value (which may not be JSON-serialisable)."""
        return {"redactions": [{"path": r.path, "code": r.code} for r in self.redactions]}


def marker(code: str) -> str:
    return f"[REDACTED:{code}]"


def redact(value: object) -> RedactionResult:
    """Redact `value`; the input is not modified. Any internal failure redacts everything."""
    found: list[Redaction] = []
    try:
        return RedactionResult(_walk(value, "", 0, found), found)
    except Exception:  # an unredacted value must never leak out of a crash
        return RedactionResult(marker(ANALYZER_ERROR), [Redaction("", ANALYZER_ERROR)])


def _escape(segment: str) -> str:
    return segment.replace("~", "~0").replace("/", "~1")


def _walk(value: object, path: str, depth: int, found: list[Redaction]) -> object:
    if isinstance(value, str):
        return _text(value, path, found)
    if isinstance(value, _SCALARS):
        return value
    if isinstance(value, (bytes, bytearray)):
        # latin-1 maps bytes 1:1 to characters, so ASCII secrets inside binary are found.
        text = value.decode("latin-1")
        out = _text(text, path, found)
        return value if out is text else type(value)(out.encode("latin-1"))
    if not isinstance(value, (Mapping, list, tuple, set, frozenset)):
        return value  # opaque objects pass unchanged
    if depth >= MAX_REDACT_DEPTH:
        found.append(Redaction(path, INPUT_TOO_DEEP))
        return marker(INPUT_TOO_DEEP)
    if isinstance(value, Mapping):
        return _mapping(value, path, depth, found)
    if isinstance(value, (set, frozenset)):
        items = [_walk(v, f"{path}/*", depth + 1, found) for v in value]
        return type(value)(items) if type(value) in (set, frozenset) else set(items)
    items = [_walk(v, f"{path}/{i}", depth + 1, found) for i, v in enumerate(value)]
    if isinstance(value, tuple):
        make = getattr(type(value), "_make", None)
        if make is not None and hasattr(value, "_fields"):
            return make(items)  # a NamedTuple keeps its type
        return tuple(items)
    return items


def _mapping(value: Mapping[Any, Any], path: str, depth: int, found: list[Redaction]) -> object:
    out: dict[Any, Any] = {}
    for key, item in value.items():
        key_found: list[Redaction] = []
        if isinstance(key, (str, bytes, tuple)):
            # Keys can hold secrets too, and paths are built from keys: redact them first.
            key = _walk(key, "", depth + 1, key_found)
        while key in out:  # two keys redacted to the same marker must not overwrite each other
            key = f"{key}#" if isinstance(key, str) else (key, "#")
        segment = f"{path}/{_segment(key)}"
        found.extend(Redaction(segment, code) for code in dict.fromkeys(r.code for r in key_found))
        out[key] = _walk(item, segment, depth + 1, found)
    return out


def _segment(key: object) -> str:
    if isinstance(key, str):
        return _escape(key)
    if isinstance(key, _SCALARS):
        return str(key)
    return f"<{type(key).__name__}>"


def _text(text: str, path: str, found: list[Redaction]) -> str:
    if len(text) > MAX_REDACT_CHARS:
        found.append(Redaction(path, INPUT_TOO_LARGE))
        return marker(INPUT_TOO_LARGE)
    text, hits = detectors.scan_visible(text)  # may drop zero-width characters hiding a key
    if not hits:
        return text
    pieces: list[str] = []
    codes: list[str] = []
    pos = 0
    i = 0
    while i < len(hits):
        start, end, code = hits[i].start, hits[i].end, hits[i].code
        i += 1
        while i < len(hits) and hits[i].start < end:  # merge overlaps; a secret wins
            end = max(end, hits[i].end)
            if hits[i].code == detectors.SECRET:
                code = detectors.SECRET
            i += 1
        pieces.append(text[pos:start])
        pieces.append(marker(code))
        if code not in codes:
            codes.append(code)
        pos = end
    pieces.append(text[pos:])
    found.extend(Redaction(path, code) for code in codes)
    return "".join(pieces)
