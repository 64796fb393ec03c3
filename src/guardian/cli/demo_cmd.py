"""`guardian demo`: the example policy deciding a few intents, with the ledger chain they leave."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

from rich.markup import escape
from rich.table import Table

from guardian.cli.output import FORMAT_OPTION, OutputFormat, print_json, stdout
from guardian.core.principal import Authority, Principal
from guardian.facade import Guardian

DEMO_INTENTS: list[dict[str, Any]] = [
    {"actor": "notification_agent", "action": "send_email", "target": "internal_list"},
    {"actor": "notification_agent", "action": "send_email", "target": "ceo@rival.example"},
    {"actor": "notification_agent", "action": "delete_records", "target": "customers"},
    {"actor": "billing_agent", "action": "pay", "target": "acme", "params": {"amount": 40}},
    {"actor": "billing_agent", "action": "pay", "target": "acme", "params": {"amount": 4000}},
    {"actor": "billing_agent", "action": "drop_table", "target": "invoices"},
    {"actor": "ops_bot", "action": "restart_service", "target": "api"},
    {"actor": "ops_guardian", "action": "restart_service", "target": "api", "authority": 4},
]


def example_policy_path() -> Path:
    return Path(str(resources.files("guardian.policy") / "data" / "example_policy.yaml"))


def demo(fmt: OutputFormat = FORMAT_OPTION) -> None:
    """Load the example policy, decide a few intents, and show the hash chain they leave."""
    guardian = Guardian(example_policy_path())
    records = []
    for spec in DEMO_INTENTS:
        spec = dict(spec)
        authority = spec.pop("authority", Authority.WORKER)
        principal = Principal(spec["actor"], "agent", authority)
        records.append(guardian.decide(**spec, principal=principal))
    if fmt is OutputFormat.json:
        print_json({"policy_hash": guardian.policy.policy_hash,
                    "decisions": [r.to_dict() for r in records]})  # fmt: skip
        return
    table = Table("seq", "actor", "action", "target", "decision", "rule", "reason", "hash",
                  title="Guardian demo: example policy")  # fmt: skip
    colours = {"ALLOW": "green", "DENY": "red", "ASK": "yellow"}
    for r in records:
        table.add_row(
            str(r.seq), escape(r.intent.actor), escape(r.intent.action), escape(r.intent.target),
            f"[{colours[r.decision.value]}]{r.decision.value}[/]", escape(str(r.rule_id)),
            escape(r.reasons[0].code), r.hash[:12],
        )  # fmt: skip
    stdout.print(table)
    stdout.print(f"policy {guardian.policy.policy_hash}; {len(records)} decisions chained from "
                 f"{records[0].prev_hash[:12]}… to {records[-1].hash[:12]}…", highlight=False)  # fmt: skip
