"""`guardian demo`: the whole governance loop in a few seconds, in process, deterministic.

No server, no network, no files: an agent proposes an external action, the gate asks, the agent's
attempt to approve itself is refused, a human approves, the action executes with a receipt, a
looping agent is caught by the watchdog and paused, and the audit chain is printed and verified.
Ids, times and the signing key are fixed, so every run prints the same hashes.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from rich.markup import escape
from rich.table import Table

from guardian.cli.output import FORMAT_OPTION, OutputFormat, print_json, stdout
from guardian.core import ids
from guardian.core.principal import Authority, Principal
from guardian.facade import Guardian
from guardian.governance.approvals import ApprovalForbidden
from guardian.governance.runs import Heartbeats, RunStore
from guardian.governance.watchdog import Watchdog, WatchdogSettings
from guardian.testing import FakeClock

ALICE = Principal("alice", "approver", Authority.MONITOR)
COLOURS = {"ALLOW": "green", "DENY": "red", "ASK": "yellow"}


def example_policy_path() -> Path:
    return Path(str(resources.files("guardian.policy") / "data" / "example_policy.yaml"))


def demo_policy() -> dict[str, Any]:
    import yaml

    policy: dict[str, Any] = yaml.safe_load(example_policy_path().read_text(encoding="utf-8"))
    policy["rules"].insert(0, {"id": "status-polls", "actor": "poller", "action": "fetch_status",
                               "effect": "ALLOW", "reason": "status polls are cheap"})  # fmt: skip
    return policy


def run_story(g: Guardian, clock: FakeClock) -> list[tuple[str, str]]:
    """The story, step by step: (what happened, outcome) pairs."""
    steps: list[tuple[str, str]] = []
    payment: dict[str, Any] = {
        "actor": "billing_agent",
        "action": "pay",
        "target": "acme",
        "params": {"amount": 4000},
    }
    asked = g.decide(**payment)
    steps.append(
        ("billing_agent proposes to pay acme 4000", f"{asked.decision}: {asked.reasons[0].message}")
    )
    try:
        g.approve(str(asked.proposal_id), Principal("billing_agent", "agent", Authority.WORKER))
    except ApprovalForbidden as exc:
        steps.append(("billing_agent tries to approve its own proposal", f"refused: {exc.flag}"))
    clock.advance(42)
    g.approve(str(asked.proposal_id), ALICE, "invoice 2026-117 checked")
    steps.append(("alice (approver) approves it", "approved, for exactly this intent, once"))
    allowed = g.decide(**payment)
    clock.advance(0.4)
    g.record_receipt(
        allowed.decision_id, "success", output={"payment": "pmt_0001", "status": "sent"}
    )
    steps.append(
        (
            "billing_agent retries the same payment",
            f"{allowed.decision} ({allowed.reason_codes[-1]}); executed, receipt recorded",
        )
    )
    again = g.decide(**payment)
    steps.append(
        (
            "billing_agent tries to pay a second time",
            f"{again.decision}: the approval was for one call",
        )
    )
    engine = g.approvals.store.engine
    dog = Watchdog(g.ledger, RunStore(engine, g.ledger, clock), g.pauses, Heartbeats(engine, clock), clock,
                   WatchdogSettings(loop_repeats=5), engine=engine)  # fmt: skip
    for _ in range(6):
        clock.advance(1)
        g.decide("poller", "fetch_status", "orders-api")
    [finding] = dog.run_pass()
    steps.append(
        (
            "poller asks for the same status 6 times in 6 s",
            f"watchdog: {finding.kind}, agent paused",
        )
    )
    stuck = g.decide("poller", "fetch_status", "orders-api")
    steps.append(("poller asks again", f"{stuck.decision}: {stuck.reasons[0].message}"))
    return steps


def demo(fmt: OutputFormat = FORMAT_OPTION) -> None:
    """The governance loop, end to end, in process: ask, approve, execute, receipt, loop caught, chain verified."""
    ids.seed("demo0000")
    clock = FakeClock()
    g = Guardian(
        demo_policy(),
        clock=clock,
        signing_key=Ed25519PrivateKey.from_private_bytes(bytes(range(32))),
    )
    steps = run_story(g, clock)
    entries = list(g.ledger.entries())
    verified, replayed, receipts = g.verify_ledger(), g.replay(), g.verify_receipts()
    if fmt is OutputFormat.json:
        print_json({"steps": [{"what": w, "outcome": o} for w, o in steps],
                    "ledger": [e.to_dict() for e in entries], "verify": verified.to_dict(),
                    "replay": replayed.to_dict(), "receipts": receipts.to_dict()})  # fmt: skip
        return
    stdout.print("[bold]Guardian demo[/]: one decision point in front of every action\n")
    for number, (what, outcome) in enumerate(steps, 1):
        stdout.print(f" {number}. {escape(what)}\n    → {escape(outcome)}", highlight=False)
    table = Table(
        "seq", "kind", "what", "hash", title="\nthe audit chain (each entry hashes the one before)"
    )
    for entry in entries:
        table.add_row(
            str(entry.seq), entry.kind, escape(_summary(entry.kind, entry.payload)), entry.hash[:16]
        )
    stdout.print(table)
    stdout.print(f"ledger: {'VALID' if verified.ok else 'INVALID'} ({verified.entries} entries, hash chain intact)"
                 f"; replay: {replayed.verdict} ({replayed.decisions} decisions re-decided identically)"
                 f"; receipts: {'all match their decisions' if receipts.ok else 'VIOLATIONS'}", highlight=False)  # fmt: skip


def _summary(kind: str, payload: dict[str, Any]) -> str:
    if kind == "decision":
        intent = payload["intent"]
        return f"{payload['decision']:5} {intent['actor']} {intent['action']} {intent['target']} [{payload['reasons'][-1]['code']}]"
    if kind == "approval":
        return f"{payload['outcome']} by {(payload.get('by') or {}).get('id')}" + (
            f" ({payload['flag']})" if payload.get("flag") else ""
        )
    if kind == "receipt":
        return f"{payload['status']} for decision {payload['decision_id'][-6:]}, output {payload['output_digest'][:19]}…"
    if kind == "policy":
        return f"policy {payload['policy_hash'][:19]}…"
    if kind == "watchdog":
        return f"{payload['finding']}: {payload['agent_id']} ({payload['reason']})"
    if kind == "pause":
        return f"pause {payload['scope']} {payload['key']}"
    return kind
