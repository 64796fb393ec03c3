"""Parsed policy data that remembers where it came from, so every problem can say `file:line`."""

from __future__ import annotations

from typing import Any


class LineDict(dict[str, Any]):
    line: int | None = None
    key_lines: dict[str, int]


class LineList(list[Any]):
    line: int | None = None
    item_lines: list[int | None]


def line_of(value: Any, key: str | None = None) -> int | None:
    if key is not None and isinstance(value, LineDict):
        found = getattr(value, "key_lines", {}).get(key)
        if found is not None:
            return int(found)
    return getattr(value, "line", None)
