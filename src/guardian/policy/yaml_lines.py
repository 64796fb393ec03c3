"""YAML policy text into `LineDict` / `LineList` data, fast enough for 10,000-rule files.

libyaml (PyYAML's C parser) produces the event stream; the data is built straight from the events,
recording line numbers on the way. PyYAML's own composer and constructor are skipped because they
dominated the load of a big policy (a Python call per node to resolve its tag, a Node and two Marks
per value, then a generic constructor pass): here a plain scalar that no YAML 1.1 implicit type can
match is a string at once (decided by its first character), the rest are resolved by PyYAML's
resolver, memoised per text, and every non-string scalar (ints, bools, nulls, floats, timestamps,
explicit tags) is still built or refused by PyYAML's SafeConstructor.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.events import (
    AliasEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.nodes import ScalarNode

from guardian.policy.lines import LineDict, LineList

_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

STR_TAG = "tag:yaml.org,2002:str"
_COLLECTION_TAGS = (None, "!", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")
_IMPLICIT_FIRST = frozenset(k for k in _BaseLoader.yaml_implicit_resolvers if k)
MAX_DEPTH = 200


def load_yaml(text: str) -> Any:
    """Parse one YAML document; raises yaml.YAMLError (marked where PyYAML can tell)."""
    loader = _BaseLoader(text)
    try:
        return _Builder(loader).document()
    finally:
        loader.dispose()


class _Builder:
    def __init__(self, loader: Any) -> None:
        self._loader = loader
        self._next = loader.get_event
        self._anchors: dict[str, Any] = {}
        self._tags: dict[str, str] = {}

    def document(self) -> Any:
        self._next()  # StreamStartEvent
        event = self._next()
        if isinstance(event, StreamEndEvent):
            return None
        assert isinstance(event, DocumentStartEvent)
        data = self._value(self._next(), 0)
        self._next()  # DocumentEndEvent
        extra = self._next()
        if not isinstance(extra, StreamEndEvent):
            raise yaml.composer.ComposerError(
                None, None, "expected a single document, but found another", extra.start_mark
            )
        return data

    def _value(self, event: Any, depth: int) -> Any:
        kind = type(event)
        if kind is ScalarEvent:
            value = self._scalar(event)
        elif kind is MappingStartEvent:
            value = self._mapping(event, depth)
        elif kind is SequenceStartEvent:
            value = self._sequence(event, depth)
        elif kind is AliasEvent:
            if event.anchor not in self._anchors:
                raise yaml.composer.ComposerError(
                    None, None, f"found undefined alias {event.anchor!r}", event.start_mark
                )
            return self._anchors[event.anchor]
        else:  # the parser never yields anything else here
            raise ConstructorError(None, None, f"unexpected {kind.__name__}", event.start_mark)
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            self._anchors[anchor] = value  # registered once built: an alias cannot recurse
        return value

    def _scalar(self, event: Any) -> Any:
        text: str = event.value
        tag = event.tag
        if tag is None or tag == "!":
            if not event.implicit[0] or (text and text[0] not in _IMPLICIT_FIRST):
                return text  # quoted, or no implicit type starts with this character
            tag = self._tags.get(text)
            if tag is None:
                tag = self._tags[text] = self._loader.resolve(ScalarNode, text, event.implicit)
        if tag == STR_TAG:
            return text
        node = ScalarNode(tag, text, event.start_mark, event.end_mark, event.style)
        return self._loader.construct_object(node, deep=True)

    def _check(self, event: Any, depth: int) -> None:
        if event.tag not in _COLLECTION_TAGS:
            raise ConstructorError(
                None, None, f"the tag {event.tag!r} is not supported in policies", event.start_mark
            )
        if depth >= MAX_DEPTH:
            raise ConstructorError(
                None, None, f"nested deeper than {MAX_DEPTH} levels", event.start_mark
            )

    def _mapping(self, start: Any, depth: int) -> LineDict:
        self._check(start, depth)
        data = LineDict()
        data.line = start.start_mark.line + 1
        data.key_lines = {}
        while True:
            event = self._next()
            if type(event) is MappingEndEvent:
                return data
            key = self._value(event, depth + 1)
            if not isinstance(key, str):
                raise ConstructorError(None, None, f"key {key!r} is not a string", event.start_mark)
            if key in data:
                raise ConstructorError(None, None, f"duplicate key {key!r}", event.start_mark)
            data[key] = self._value(self._next(), depth + 1)
            data.key_lines[key] = event.start_mark.line + 1

    def _sequence(self, start: Any, depth: int) -> LineList:
        self._check(start, depth)
        data = LineList()
        data.line = start.start_mark.line + 1
        lines: list[int | None] = []
        data.item_lines = lines
        while True:
            event = self._next()
            if type(event) is SequenceEndEvent:
                return data
            lines.append(event.start_mark.line + 1)
            data.append(self._value(event, depth + 1))
