"""A recorded decision's inputs, rebuilt for replay: its intent, its time and its analyzer
verdicts, cheaply.

The live path validated the intent before deciding on it, and a ledger is verified on its own
(`guardian ledger verify`), so replay rebuilds what it can without repeating the deep checks;
anything unusual (nested params, floats, a wrong type) still goes through `Intent.create`, which
names what is wrong.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

import orjson

from guardian.core.clock import parse_iso_utc
from guardian.core.intent import MAX_SAFE_INTEGER, Intent
from guardian.governance.analysis import analyze, run_analyzer
from guardian.governance.guard import NamedCheck

if TYPE_CHECKING:
    from guardian.analyzers import Verdict

#: Cached second-resolution timestamps kept at most (one per second of the ledger replayed so far).
_SECONDS_HELD = 4096
#: Analyzer verdicts kept at most (cleared whole when full).
_VERDICTS_HELD = 65_536


def intent_of(raw: dict[str, Any]) -> Intent:
    """The Intent a record's `intent` field describes; as `Intent.create` would build it."""
    actor, action, target = raw["actor"], raw["action"], raw["target"]
    params, metadata = raw["params"], raw["metadata"]
    session_id, task_id = raw["session_id"], raw["task_id"]
    if (
        type(actor) is str
        and actor
        and type(action) is str
        and action
        and type(target) is str
        and (session_id is None or type(session_id) is str)
        and (task_id is None or type(task_id) is str)
        and type(params) is dict
        and type(metadata) is dict
        and _flat(params)
        and (not metadata or _flat(metadata))
    ):
        return Intent(actor, action, target, params, metadata, session_id, task_id, False)
    return Intent.create(actor, action, target, params, metadata, session_id, task_id)


def _flat(value: dict[str, Any]) -> bool:
    """String, bool, null and exact-integer values only (keys of parsed JSON are strings)."""
    for item in value.values():
        kind = type(item)
        if not (
            kind is str
            or item is None
            or kind is bool
            or (kind is int and -MAX_SAFE_INTEGER <= item <= MAX_SAFE_INTEGER)
        ):
            return False
    return True


class EpochCache:
    """Seconds since the epoch of timestamps in the form `Entry` checks
    (`YYYY-MM-DDTHH:MM:SS.ffffffZ`), equal to `parse_iso_utc(ts).timestamp()`: the whole seconds
    are looked up once per second of ledger, the microseconds added as an exact division."""

    def __init__(self) -> None:
        self._seconds: dict[str, int] = {}

    def seconds(self, ts: str) -> float:
        whole = self._seconds.get(ts[:19])
        if whole is None:
            if len(self._seconds) >= _SECONDS_HELD:
                self._seconds.clear()
            whole = self._seconds[ts[:19]] = int(parse_iso_utc(ts[:19] + "Z").timestamp())
        return (whole * 1_000_000 + int(ts[20:26])) / 1_000_000


class AnalyzerMemo:
    """Analyzer verdicts remembered per (analyzer, options, params): the SQL and email analyzers
    are pure functions of those, and a ledger repeats its queries. The path analyzer reads the
    file system, so it always runs."""

    def __init__(self) -> None:
        self._verdicts: dict[tuple[str, int, bytes], Verdict] = {}
        self._options: list[dict[str, Any]] = []  # keeps each id() taken below alive and unique

    def run(self, name: str, options: dict[str, Any], params: dict[str, Any]) -> Verdict:
        if name == "path":
            return run_analyzer(name, options, params)
        try:
            key = (name, id(options), orjson.dumps(params, option=orjson.OPT_SORT_KEYS))
        except TypeError:
            return run_analyzer(name, options, params)
        found = self._verdicts.get(key)
        if found is None:
            found = run_analyzer(name, options, params)
            if len(self._verdicts) >= _VERDICTS_HELD:
                self._verdicts.clear()
            if not any(o is options for o in self._options):
                self._options.append(options)
            self._verdicts[key] = found
        return found

    def check(self) -> NamedCheck:
        """The analyzer check of the live path, running analyzers through this memo."""
        return NamedCheck("analyzers", partial(analyze, run=self.run), error_code="analyzer_error")
