"""The `guardian` command as a user runs it: a real subprocess, real files, exit codes, no tracebacks."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
EXAMPLE = ROOT / "examples" / "policy.yaml"


def guardian(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "guardian", *args],
        capture_output=True, text=True, cwd=cwd, timeout=60, check=False,
    )  # fmt: skip


def no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout


def test_version() -> None:
    result = guardian("--version")
    assert result.returncode == 0 and result.stdout.startswith("guardian ")


@pytest.mark.parametrize(
    ("args", "code", "decision"),
    [
        (
            [
                "--actor",
                "notification_agent",
                "--action",
                "send_email",
                "--target",
                "internal_list",
            ],
            0,
            "ALLOW",
        ),
        (["--actor", "billing_agent", "--action", "drop_table", "--target", "t"], 3, "DENY"),
        (
            [
                "--actor",
                "billing_agent",
                "--action",
                "pay",
                "--target",
                "acme",
                "--param",
                "amount=250",
            ],
            5,
            "ASK",
        ),
        (
            [
                "--actor",
                "billing_agent",
                "--action",
                "pay",
                "--target",
                "acme",
                "--param",
                "amount=25",
            ],
            0,
            "ALLOW",
        ),
        (["--actor", "ops", "--action", "restart_service", "--authority", "4"], 0, "ALLOW"),
    ],
)
def test_decide_exit_codes(args: list[str], code: int, decision: str) -> None:
    result = guardian("decide", "--policy", str(EXAMPLE), *args, "--format", "json")
    assert result.returncode == code, result.stderr
    assert json.loads(result.stdout)["decision"] == decision


def test_decide_text_output() -> None:
    result = guardian("decide", "--policy", str(EXAMPLE), "--actor", "a", "--action", "delete_x")
    assert result.returncode == 3 and "DENY" in result.stdout and "no-deletes" in result.stdout


def test_decide_with_invalid_policy_exits_4_without_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules:\n  - id: r\n    effect: maybe\n")
    result = guardian("decide", "--policy", str(bad), "--actor", "a", "--action", "x")
    assert result.returncode == 4 and f"{bad}:3" in result.stderr
    no_traceback(result)


def test_decide_with_bad_param_exits_2() -> None:
    result = guardian(
        "decide", "--policy", str(EXAMPLE), "--actor", "a", "--action", "x", "--param", "novalue"
    )
    assert result.returncode == 2 and "KEY=VALUE" in result.stderr
    no_traceback(result)


def test_policy_check_ok_and_warnings(tmp_path: Path) -> None:
    result = guardian("policy", "check", str(EXAMPLE))
    assert result.returncode == 0 and "ok: 7 rule(s)" in result.stdout
    shadowed = tmp_path / "p.yaml"
    shadowed.write_text(
        "rules:\n  - {id: all, effect: DENY}\n  - {id: late, action: x, effect: ALLOW}\n"
    )
    result = guardian("policy", "check", str(shadowed), "--format", "json")
    data = json.loads(result.stdout)
    assert result.returncode == 0 and data["warnings"][0]["code"] == "unreachable"
    assert data["warnings"][0]["line"] == 3


def test_policy_check_lists_every_problem_and_exits_4(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "rules:\n  - id: a\n    acton: x\n    effect: ALLOW\n  - id: b\n    effect: maybe\n"
    )
    result = guardian("policy", "check", str(bad), "--format", "json")
    assert result.returncode == 4
    problems = json.loads(result.stdout)["problems"]
    assert [(p["rule_id"], p["line"]) for p in problems] == [("a", 3), ("b", 6)]
    text = guardian("policy", "check", str(bad))
    assert text.returncode == 4 and "2 problem(s)" in text.stdout
    no_traceback(text)


def test_policy_check_missing_file_exits_4() -> None:
    result = guardian("policy", "check", "/nonexistent/policy.yaml")
    assert result.returncode == 4 and "not found" in result.stdout
    no_traceback(result)


def test_policy_test_passes_on_the_example_cases() -> None:
    result = guardian("policy", "test", str(ROOT / "tests" / "cases" / "example_policy_cases.yaml"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "12 passed, 0 failed" in result.stdout


def test_policy_test_reports_failures_and_exits_1(tmp_path: Path) -> None:
    cases = tmp_path / "cases.yaml"
    cases.write_text(
        f"policy: {EXAMPLE}\ncases:\n"
        "  - name: wrong on purpose\n    intent: {actor: a, action: delete_x}\n    expect: {decision: ALLOW}\n"
        "  - name: right\n    intent: {actor: a, action: delete_x}\n    expect: {decision: DENY, rule: no-deletes}\n"
    )
    result = guardian("policy", "test", str(cases), "--format", "json")
    assert result.returncode == 1
    data = json.loads(result.stdout)
    assert data["passed"] == 1 and data["failed"] == 1
    assert data["failures"][0]["case"] == "wrong on purpose"


def test_demo_runs() -> None:
    result = guardian("demo", "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    decisions = [e["payload"]["decision"] for e in data["ledger"] if e["kind"] == "decision"]
    assert {"ALLOW", "DENY", "ASK"} <= set(decisions)
    assert data["verify"]["ok"] and data["replay"]["result"] == "PASS" and data["receipts"]["ok"]
    kinds = {e["kind"] for e in data["ledger"]}
    assert {"approval", "receipt", "watchdog", "pause"} <= kinds
    assert guardian("demo", "--format", "json").stdout == result.stdout  # deterministic


def test_unknown_command_is_a_usage_error() -> None:
    result = guardian("frobnicate")
    assert result.returncode == 2
    no_traceback(result)
