"""What an agent proposes to do, checked once on the way in so that nothing later sees bad data."""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import orjson

from guardian.core.canonical import canonical_json, sha256_hex
from guardian.core.errors import IntentError

#: Largest canonical size of one intent (params and metadata included). Documented in docs/policy.md.
MAX_INTENT_BYTES = 4 * 1024 * 1024
#: Integers beyond this are not exact in JSON numbers (IEEE doubles), so they are refused, not rounded.
MAX_SAFE_INTEGER = 2**53 - 1
_MAX_DEPTH = 64


class Intent(NamedTuple):
    """One proposed action. Build with `Intent.create`, which validates and normalises.

    A NamedTuple rather than a frozen dataclass: immutable all the same, and built on every
    decision, where a frozen dataclass's per-field cost was measurable.
    """

    actor: str
    action: str
    target: str = ""
    params: dict[str, Any] = {}  # noqa: RUF012 - never mutated; `create` always passes a fresh dict
    metadata: dict[str, Any] = {}  # noqa: RUF012
    session_id: str | None = None
    task_id: str | None = None
    has_float: bool = False

    @classmethod
    def create(
        cls,
        actor: str,
        action: str,
        target: str | None = "",
        params: Any = None,
        metadata: Any = None,
        session_id: str | None = None,
        task_id: str | None = None,
    ) -> Intent:
        """Validate every field; raise IntentError naming the field (and the path inside it)."""
        # Each test is the cheap exact-type case first; anything else takes the full check, which
        # raises (in field order) or accepts just as before.
        if type(actor) is not str or not actor:
            _require_name("actor", actor)
        if type(action) is not str or not action:
            _require_name("action", action)
        if target is None:
            target = ""
        elif not isinstance(target, str):
            raise IntentError(f"target: expected a string, got {type(target).__name__}")
        if session_id is not None and not isinstance(session_id, str):
            raise IntentError(
                f"session_id: expected a string or null, got {type(session_id).__name__}"
            )
        if task_id is not None and not isinstance(task_id, str):
            raise IntentError(f"task_id: expected a string or null, got {type(task_id).__name__}")
        # The common shapes, built without the NamedTuple's own (Python-level) __new__.
        if params is None and metadata is None:
            return _new(cls, (actor, action, target, {}, {}, session_id, task_id, False))
        if type(params) is dict and metadata is None and _is_flat_json(params):
            return _new(cls, (actor, action, target, dict(params), {}, session_id, task_id, False))
        floats: list[bool] = []
        clean_params = _json_object("params", params, floats)
        clean_metadata = _json_object("metadata", metadata, floats)
        return cls(
            actor, action, target, clean_params, clean_metadata, session_id, task_id, bool(floats)
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "actor": self.actor,
            "action": self.action,
            "target": self.target,
            "params": self.params,
            "metadata": self.metadata,
            "session_id": self.session_id,
            "task_id": self.task_id,
        }

    def canonical(self) -> bytes:
        return canonical_json(self.to_dict(), has_float=self.has_float)

    @property
    def intent_hash(self) -> str:
        """Binds approvals and receipts to exactly this intent, params included."""
        return "sha256:" + sha256_hex(check_size(self))


_new = tuple.__new__


def _require_name(name: str, value: object) -> None:
    if not isinstance(value, str):
        raise IntentError(f"{name}: expected a string, got {type(value).__name__}")
    if not value:
        raise IntentError(f"{name}: must not be empty")


def _json_object(name: str, value: Any, floats: list[bool]) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise IntentError(f"{name}: expected an object (dict), got {type(value).__name__}")
    if _is_flat_json(value):
        return dict(value)
    clean = _json_value(value, name, 0, floats)
    assert isinstance(clean, dict)
    return clean


def _is_flat_json(value: dict[Any, Any]) -> bool:
    """The common case, checked cheaply: string keys, and str / bool / None / small int values."""
    for key, item in value.items():
        kind = type(item)
        if type(key) is not str or not (
            kind is str or kind is bool or item is None
            or (kind is int and -MAX_SAFE_INTEGER <= item <= MAX_SAFE_INTEGER)
        ):  # fmt: skip
            return False
    return True


def _json_value(value: Any, path: str, depth: int, floats: list[bool]) -> Any:
    """Return a JSON-safe copy (tuples become lists) or raise naming the offending path."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            raise IntentError(
                f"{path}: integer {value} is outside ±(2**53-1) and not exact in JSON"
            )
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise IntentError(f"{path}: {value} is not a JSON number")
        floats.append(True)
        return value
    if depth >= _MAX_DEPTH:
        raise IntentError(f"{path}: nested deeper than {_MAX_DEPTH} levels")
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise IntentError(f"{path}: key {key!r} is not a string")
            out[key] = _json_value(item, f"{path}.{key}", depth + 1, floats)
        return out
    if isinstance(value, (list, tuple)):
        return [
            _json_value(item, f"{path}[{i}]", depth + 1, floats) for i, item in enumerate(value)
        ]
    raise IntentError(f"{path}: {type(value).__name__} is not a JSON value")


def check_size(intent: Intent) -> bytes:
    """The intent's canonical bytes, refusing anything over MAX_INTENT_BYTES."""
    return sized_canonical(intent)[1]


def sized_canonical(intent: Intent) -> tuple[dict[str, Any], bytes]:
    """`intent.to_dict()` and `check_size(intent)` at once: the decision path needs both, and the
    bytes are encoded from that very dict rather than from a second copy."""
    as_dict = intent.to_dict()
    data = None
    if not intent.has_float:  # canonical_json's own first step, without two calls
        data = orjson.dumps(as_dict, option=orjson.OPT_SORT_KEYS)
        if not data.isascii():
            data = None
    if data is None:
        data = canonical_json(as_dict, has_float=intent.has_float)
    if len(data) > MAX_INTENT_BYTES:
        raise IntentError(
            f"intent is {len(data)} bytes in canonical JSON; the limit is {MAX_INTENT_BYTES}"
        )
    return as_dict, data
