"""`guardian bundle export|verify` and `guardian ledger replay` on a real database, as subprocesses."""

import json
import subprocess
import sys
from pathlib import Path

from guardian import Guardian

POLICY = [
    {"id": "read", "action": "read", "effect": "ALLOW"},
    {"id": "rm", "action": "rm", "effect": "DENY"},
]


def guardian(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "guardian", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=60, check=False)  # fmt: skip


def make_ledger(cwd: Path) -> str:
    url = f"sqlite:///{cwd}/.guardian/guardian.db"
    with Guardian(POLICY, ledger=url, signing_key=cwd / ".guardian" / "signing.key") as g:
        first = g.decide("a", "read", "x", session_id="s1")
        g.record_receipt(first.decision_id, output="ok")
        g.decide("a", "rm", "x", session_id="s1")
        g.decide("b", "read", "y", session_id="s2")
    return url


def test_export_then_verify_offline_and_detect_tampering(tmp_path: Path) -> None:
    url = make_ledger(tmp_path)
    out = tmp_path / "s1.json"
    result = guardian("bundle", "export", "s1", "--database", url, "--out", str(out), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    bundle = json.loads(out.read_text())
    assert len(bundle["decisions"]) == 2 and len(bundle["outcomes"]) == 1
    key = tmp_path / ".guardian" / "signing.pub"
    ok = guardian("bundle", "verify", str(out), "--key", str(key), "--format", "json", cwd=tmp_path)
    assert ok.returncode == 0 and json.loads(ok.stdout)["ok"] is True
    bundle["decisions"][1]["payload"]["decision"] = "ALLOW"
    out.write_text(json.dumps(bundle))
    bad = guardian("bundle", "verify", str(out), "--key", str(key), cwd=tmp_path)
    assert bad.returncode == 6 and "INVALID" in bad.stdout and "Traceback" not in bad.stderr


def test_export_of_unknown_session_is_a_clear_error(tmp_path: Path) -> None:
    url = make_ledger(tmp_path)
    result = guardian("bundle", "export", "nope", "--database", url, cwd=tmp_path)
    assert result.returncode == 2 and "no decisions of session 'nope'" in result.stderr


def test_verify_with_a_bad_key_file(tmp_path: Path) -> None:
    (tmp_path / "b.json").write_text("{}")
    (tmp_path / "k.pub").write_text("not a key")
    result = guardian(
        "bundle", "verify", str(tmp_path / "b.json"), "--key", str(tmp_path / "k.pub"), cwd=tmp_path
    )
    assert result.returncode == 2 and "k.pub" in result.stderr


def test_replay_database_and_what_if(tmp_path: Path) -> None:
    url = make_ledger(tmp_path)
    result = guardian("ledger", "replay", "--database", url, "--format", "json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"result": "PASS", "decisions": 3, "mismatches": []}
    new = tmp_path / "new.yaml"
    new.write_text("rules:\n  - {id: all, effect: ALLOW}\n")
    what_if = guardian("ledger", "replay", "--database", url, "--policy", str(new), cwd=tmp_path)
    assert what_if.returncode == 1 and "3 differ under the new policy" in what_if.stdout


def test_replay_jsonl_file(tmp_path: Path) -> None:
    make_ledger(tmp_path)
    result = guardian(
        "ledger", "replay", "--file", str(tmp_path / ".guardian" / "ledger.jsonl"), cwd=tmp_path
    )
    assert result.returncode == 0 and "PASS: 3 decisions replayed" in result.stdout


def test_replay_jsonl_file_with_a_bad_line_names_it(tmp_path: Path) -> None:
    make_ledger(tmp_path)
    mirror = tmp_path / ".guardian" / "ledger.jsonl"
    lines = mirror.read_bytes().splitlines(keepends=True)
    broken = tmp_path / "broken.jsonl"
    broken.write_bytes(b"".join([*lines[:2], b'{"seq": 3, "kind": "decision"}\n', *lines[3:]]))
    result = guardian("ledger", "replay", "--file", str(broken), cwd=tmp_path)
    assert result.returncode == 6, (result.stdout, result.stderr)  # LEDGER_INVALID
    assert "line 3" in result.stderr and "Traceback" not in result.stderr
