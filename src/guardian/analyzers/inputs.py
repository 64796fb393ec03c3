"""Shared checks on raw text handed to an analyzer, before any parsing.

Agents pass whatever they produced; a governance check must answer every input with a
verdict, so wrong types, oversized values, binary garbage and undecodable text become an
early DENY instead of an exception or, worse, a silent ALLOW.
"""

from __future__ import annotations

import re

from guardian.analyzers.verdict import Finding

__all__ = ["INPUT_INVALID", "INPUT_TOO_LARGE", "text_problem"]

INPUT_INVALID = "input_invalid"
INPUT_TOO_LARGE = "input_too_large"

# C0 controls except tab, LF, FF, CR; DEL; and lone surrogates (undecodable bytes that
# reached us through surrogateescape). Real text has none of these; binary garbage does.
_BAD_CHAR = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f\ud800-\udfff]")
_LINE_BREAK = re.compile(r"[\r\n\x0c\x85\u2028\u2029]")


def text_problem(
    value: object, *, field: str, limit: int, single_line: bool = False
) -> Finding | None:
    """A DENY finding if `value` is not acceptable text for `field`, else None."""
    if not isinstance(value, str):
        if isinstance(value, (bytes, bytearray, memoryview)):
            return Finding.deny(INPUT_INVALID, f"{field}: got bytes; pass decoded text (str)")
        return Finding.deny(INPUT_INVALID, f"{field}: expected str, got {type(value).__name__}")
    if len(value) > limit:
        return Finding.deny(
            INPUT_TOO_LARGE, f"{field}: {len(value)} characters exceeds the limit of {limit}"
        )
    bad = _BAD_CHAR.search(value)
    if bad is not None:
        char = bad.group()
        what = (
            "an undecodable byte (lone surrogate)"
            if "\ud800" <= char <= "\udfff"
            else (f"control character U+{ord(char):04X}")
        )
        return Finding.deny(INPUT_INVALID, f"{field}: holds {what} at offset {bad.start()}")
    if single_line:
        brk = _LINE_BREAK.search(value)
        if brk is not None:
            return Finding.deny(
                INPUT_INVALID, f"{field}: holds a line break at offset {brk.start()}"
            )
    return None
