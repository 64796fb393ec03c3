"""Policy text in YAML, JSON or TOML, read into plain data that remembers its line numbers.

Mappings and lists come back as `LineDict` / `LineList` (subclasses of dict and list) carrying the
line they start on, so every later problem can say `file:line`. YAML goes through libyaml when the
wheel has it; duplicate keys are an error in every format, never "last one wins".
"""

from __future__ import annotations

import json
import json.decoder
import json.scanner
import re
import tomllib
from bisect import bisect_right
from pathlib import Path
from typing import Any

import yaml

from guardian.core.errors import PolicyProblem
from guardian.policy.lines import LineDict, LineList, line_of
from guardian.policy.yaml_lines import load_yaml

__all__ = ["FORMATS", "LineDict", "LineList", "SourceError", "line_of", "parse_text", "read_file"]

FORMATS = {".yaml": "yaml", ".yml": "yaml", ".json": "json", ".toml": "toml"}


class SourceError(Exception):
    def __init__(self, problem: PolicyProblem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def read_file(path: Path) -> tuple[Any, str]:
    """Read and parse a policy file; the format follows the suffix. Returns (data, format)."""
    name = str(path)
    if path.is_dir():
        raise SourceError(PolicyProblem("is a directory, not a policy file", name))
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        expected = ", ".join(sorted(FORMATS))
        raise SourceError(
            PolicyProblem(f"unknown policy file type; expected one of {expected}", name)
        )
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise SourceError(PolicyProblem("policy file not found", name)) from None
    except IsADirectoryError:
        raise SourceError(PolicyProblem("is a directory, not a policy file", name)) from None
    except OSError as exc:
        raise SourceError(PolicyProblem(f"cannot read: {exc.strerror}", name)) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SourceError(PolicyProblem(f"not UTF-8 (byte {exc.start})", name)) from None
    return parse_text(text, fmt, name), fmt


def parse_text(text: str, fmt: str, name: str) -> Any:
    if not text.strip():
        raise SourceError(PolicyProblem("policy file is empty", name))
    if fmt == "yaml":
        return _parse_yaml(text, name)
    if fmt == "json":
        return _parse_json(text, name)
    if fmt == "toml":
        return _parse_toml(text, name)
    raise SourceError(PolicyProblem(f"unknown format {fmt!r}", name))


# --- YAML -------------------------------------------------------------------------------------


def _parse_yaml(text: str, name: str) -> Any:
    try:
        return load_yaml(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        what = exc.problem or exc.context or "invalid YAML"
        raise SourceError(PolicyProblem(f"YAML syntax error: {what}", name, line)) from None
    except yaml.YAMLError as exc:
        raise SourceError(PolicyProblem(f"YAML error: {exc}", name)) from None


# --- JSON -------------------------------------------------------------------------------------


# The pure-Python scanner's object and array parsers, wrapped below to record where each starts.
_JSON_OBJECT: Any = getattr(json.decoder, "JSONObject")  # noqa: B009
_JSON_ARRAY: Any = getattr(json.decoder, "JSONArray")  # noqa: B009


def _parse_json(text: str, name: str) -> Any:
    newlines = [i for i, ch in enumerate(text) if ch == "\n"]

    def line_at(index: int) -> int:
        return bisect_right(newlines, index - 1) + 1

    decoder = json.JSONDecoder()

    def parse_object(s_and_end: tuple[str, int], *args: Any) -> tuple[Any, int]:
        start = s_and_end[1] - 1
        pairs, end = _JSON_OBJECT(
            s_and_end, *args[:2], object_hook=None, object_pairs_hook=list, memo=args[-1]
        )
        data = LineDict()
        data.line = line_at(start)
        data.key_lines = {}
        for key, value in pairs:
            if key in data:
                raise ValueError(
                    f"duplicate key {key!r} in the object starting on line {data.line}"
                )
            data[key] = value
            data.key_lines[key] = data.line
        return data, end

    def parse_array(s_and_end: tuple[str, int], scan_once: Any) -> tuple[Any, int]:
        start = s_and_end[1] - 1
        items, end = _JSON_ARRAY(s_and_end, scan_once)
        data = LineList(items)
        data.line = line_at(start)
        data.item_lines = [getattr(item, "line", data.line) for item in items]
        return data, end

    decoder.parse_object = parse_object  # type: ignore[attr-defined]
    decoder.parse_array = parse_array  # type: ignore[attr-defined]
    decoder.scan_once = json.scanner.py_make_scanner(decoder)  # type: ignore[attr-defined]
    try:
        return decoder.decode(text)
    except json.JSONDecodeError as exc:
        raise SourceError(
            PolicyProblem(f"JSON syntax error: {exc.msg}", name, exc.lineno)
        ) from None
    except (ValueError, RecursionError) as exc:
        raise SourceError(PolicyProblem(f"JSON error: {exc}", name)) from None


# --- TOML -------------------------------------------------------------------------------------

_TABLE_ARRAY = re.compile(r"^[ \t]*\[\[[ \t]*([A-Za-z0-9_.\"' -]+?)\s*\]\]", re.MULTILINE)


def _parse_toml(text: str, name: str) -> Any:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        line = int(match.group(1)) if match else None
        raise SourceError(PolicyProblem(f"TOML syntax error: {exc}", name, line)) from None
    # tomllib keeps no positions: give each [[array]] item the line of its header.
    headers: dict[str, list[int]] = {}
    for match in _TABLE_ARRAY.finditer(text):
        headers.setdefault(match.group(1).strip(), []).append(
            text.count("\n", 0, match.start()) + 1
        )
    return _with_toml_lines(data, "", headers)


def _with_toml_lines(value: Any, path: str, headers: dict[str, list[int]]) -> Any:
    if isinstance(value, dict):
        out = LineDict()
        out.key_lines = {}
        for key, item in value.items():
            out[key] = _with_toml_lines(item, f"{path}.{key}" if path else key, headers)
        return out
    if isinstance(value, list):
        lines = headers.get(path, [])
        out_list = LineList(_with_toml_lines(item, path, headers) for item in value)
        out_list.item_lines = [lines[i] if i < len(lines) else None for i in range(len(value))]
        for item, line in zip(out_list, out_list.item_lines, strict=True):
            if isinstance(item, LineDict) and line is not None:
                item.line = line
        return out_list
    return value
