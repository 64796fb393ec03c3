"""Replay straight from a JSONL file gives the answer replay over parsed entries gives."""

from pathlib import Path

import pytest

from guardian.core.clock import parse_iso_utc
from guardian.core.intent import Intent
from guardian.governance.replay import ReplayError, replay, replay_jsonl
from guardian.governance.replay_inputs import AnalyzerMemo, EpochCache, intent_of
from guardian.ledger.entry import parse_line

from .test_replay import busy_guardian


def export(tmp_path: Path, lines: list[bytes]) -> Path:
    path = tmp_path / "ledger.jsonl"
    path.write_bytes(b"".join(lines))
    return path


def test_the_file_replays_like_the_entries(tmp_path: Path) -> None:
    g = busy_guardian()
    lines = [e.line() for e in g.ledger.entries()]
    report = replay_jsonl(export(tmp_path, [*lines[:3], b"\n", *lines[3:]]))
    assert report.to_dict() == replay(parse_line(line) for line in lines).to_dict()
    assert report.verdict == "PASS" and report.decisions == 13


def test_a_changed_outcome_in_the_file_is_a_mismatch(tmp_path: Path) -> None:
    g = busy_guardian()
    lines = [e.line() for e in g.ledger.entries()]
    i = next(i for i, line in enumerate(lines) if b'"decision":"DENY"' in line)
    lines[i] = lines[i].replace(b'"decision":"DENY"', b'"decision":"ALLOW"')
    report = replay_jsonl(export(tmp_path, lines))
    [mismatch] = report.mismatches
    assert mismatch.recorded["decision"] == "ALLOW" and mismatch.replayed["decision"] == "DENY"


def test_an_unreadable_recorded_outcome_is_a_mismatch_not_a_crash(tmp_path: Path) -> None:
    g = busy_guardian()
    lines = [e.line() for e in g.ledger.entries()]
    i = next(i for i, line in enumerate(lines) if b'"kind":"decision"' in line)
    lines[i] = lines[i].replace(b'"reasons":[', b'"reasons":[7,', 1)
    [mismatch] = replay_jsonl(export(tmp_path, lines)).mismatches
    assert "unreadable" in mismatch.recorded["error"]


@pytest.mark.parametrize(
    ("line", "message"),
    [(b"{not json\n", "line 2: not JSON"), (b'{"seq":1}\n', "line 2: missing field")],
)
def test_a_line_that_is_not_an_entry_names_the_line(
    tmp_path: Path, line: bytes, message: str
) -> None:
    g = busy_guardian()
    lines = [e.line() for e in g.ledger.entries()]
    with pytest.raises(ReplayError, match=message):
        replay_jsonl(export(tmp_path, [lines[0], line, *lines[1:]]))


def test_timestamps_convert_exactly_as_the_clock_parses_them() -> None:
    cache = EpochCache()
    for ts in ("2026-11-21T08:22:21.198935Z", "1969-12-31T23:59:59.999999Z",
               "2000-02-29T00:00:00.000001Z", "2026-11-21T08:22:21.000000Z"):  # fmt: skip
        assert cache.seconds(ts) == parse_iso_utc(ts).timestamp()


def test_intents_are_rebuilt_as_create_builds_them() -> None:
    for raw in (
        {"actor": "a", "action": "x", "target": "t", "params": {"n": 1, "s": "v", "b": True},
         "metadata": {}, "session_id": None, "task_id": "k"},
        {"actor": "a", "action": "x", "target": "", "params": {"f": 1.5, "l": [1]},
         "metadata": {"m": {"x": None}}, "session_id": "s", "task_id": None},
    ):  # fmt: skip
        expected = Intent.create(*raw.values())
        assert intent_of(raw) == expected
    with pytest.raises(Exception, match="actor"):
        intent_of({"actor": 3, "action": "x", "target": "", "params": {}, "metadata": {},
                   "session_id": None, "task_id": None})  # fmt: skip


def test_analyzer_verdicts_are_remembered_per_input() -> None:
    memo, options = AnalyzerMemo(), {"sensitive": {"users": ["email"]}}
    first = memo.run("sql", options, {"query": "SELECT email FROM users"})
    assert memo.run("sql", options, {"query": "SELECT email FROM users"}) is first
    assert memo.run("sql", options, {"query": "SELECT 1"}) is not first
