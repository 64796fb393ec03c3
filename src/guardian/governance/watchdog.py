"""The watchdog: an independent process that stops stuck, looping and overspending agents.

It needs no cooperation from agents: it reads the store. Each pass
- tails the ledger from where the last pass stopped (never the whole ledger), keeping per agent a
  short window of intent hashes and the current run of DENYs: the same intent `loop_repeats` times
  within `loop_window` seconds, or `deny_streak` DENYs in a row, is a loop;
- looks at running runs: no decision from the agent, or no heartbeat from its runner, for
  `stall_after` seconds is a stall; running past twice its timeout is overdue;
- looks at budgets at or over their cap.
Acting on a finding pauses the agent, stops every process the runner launched for it (SIGTERM to the
process group, SIGKILL after `grace`), and writes a `watchdog` ledger entry with the evidence.
"""

from __future__ import annotations

import os
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from guardian.core.clock import Clock, iso_utc, parse_iso_utc
from guardian.core.principal import Authority, Principal
from guardian.governance.pause import PauseBoard
from guardian.governance.runs import Heartbeats, Run, RunStore
from guardian.ledger.store import Ledger
from guardian.runtime.processes import stop_group
from guardian.storage.control_tables import budgets

if TYPE_CHECKING:  # issue 7
    from guardian.governance.interventions.engine import InterventionEngine

WATCHDOG = Principal("watchdog", "guardian", Authority.WATCHDOG)
HEARTBEAT_NAME = "watchdog"


@dataclass(frozen=True)
class WatchdogSettings:
    stall_after: float = 30.0
    loop_repeats: int = 5
    loop_window: float = 60.0
    deny_streak: int = 10
    grace: float = 2.0
    interval: float = 0.25
    batch: int = 50_000


@dataclass
class Finding:
    agent_id: str
    kind: str  # loop | deny_streak | stall | overdue | over_budget
    reason: str
    evidence: dict[str, Any] = field(default_factory=dict)
    run: Run | None = None


@dataclass
class _AgentState:
    window: deque[tuple[float, str]] = field(default_factory=deque)
    counts: Counter[str] = field(default_factory=Counter)
    denies: int = 0
    last_decision: str = ""  # the ISO timestamp of the agent's latest decision
    first_seqs: dict[str, int] = field(default_factory=dict)


class Watchdog:
    def __init__(self, ledger: Ledger, runs: RunStore, pauses: PauseBoard, heartbeats: Heartbeats,
                 clock: Clock, settings: WatchdogSettings | None = None, *, engine: Any = None,
                 interventions: InterventionEngine | None = None) -> None:  # fmt: skip
        self._ledger = ledger
        self._runs = runs
        self._pauses = pauses
        self._heartbeats = heartbeats
        self._clock = clock
        self._engine = engine
        self.settings = settings or WatchdogSettings()
        #: Issue 7: intervention policies, evaluated at the end of every pass.
        self.interventions = interventions
        head = ledger.head()
        self.cursor = head.seq if head is not None else 0
        self._agents: dict[str, _AgentState] = {}
        self.acted: list[Finding] = []

    def run_pass(self) -> list[Finding]:
        """One pass: tail, inspect runs and budgets, act; returns what it acted on."""
        findings = self._tail()
        now = self._clock.now()
        # Timestamps are fixed-width ISO strings: compare them as text, not parse 10,000 of them.
        quiet_since = iso_utc(now - timedelta(seconds=self.settings.stall_after))
        overdue_since: dict[int, str] = {}
        for brief in self._runs.running_brief():
            findings.extend(self._inspect_run(brief, now, quiet_since, overdue_since))
        findings.extend(self._over_budget())
        acted = [f for f in findings if self._act(f)]
        if self.interventions is not None:  # issue 7: the guardian path
            self.interventions.run_pass()
        self._heartbeats.beat(HEARTBEAT_NAME, os.getpid(), f"cursor={self.cursor}")
        self.acted.extend(acted)
        return acted

    def escalate_to_guardian(self, alert_id: str, reason: str, *, agent_id: str | None = None,
                             task_id: str | None = None) -> bool:  # fmt: skip
        """Issue 7 (seed 003): hand an alert the watchdog could not resolve to the intervention
        policies' `escalation` triggers; False if this alert was escalated before."""
        if self.interventions is None:
            raise RuntimeError("no intervention engine: construct the Watchdog with interventions=")
        return self.interventions.escalate(alert_id, reason, agent_id=agent_id, task_id=task_id)

    # -- the ledger tail -------------------------------------------------------------------------

    def _tail(self) -> list[Finding]:
        findings: list[Finding] = []
        seen = 0
        for entry in self._ledger.entries(after=self.cursor):
            self.cursor = entry.seq
            seen += 1
            if entry.kind == "decision":
                finding = self._decision(entry.seq, entry.ts, entry.payload)
                if finding is not None:
                    findings.append(finding)
            if seen >= self.settings.batch:
                break
        return findings

    def _decision(self, seq: int, ts: str, payload: dict[str, Any]) -> Finding | None:
        actor = payload["intent"]["actor"]
        state = self._agents.get(actor)
        if state is None:
            state = self._agents[actor] = _AgentState()
        at = parse_iso_utc(ts).timestamp()
        state.last_decision = ts
        digest = payload["intent_hash"]
        state.window.append((at, digest))
        state.counts[digest] += 1
        state.first_seqs.setdefault(digest, seq)
        horizon = at - self.settings.loop_window
        while state.window and state.window[0][0] < horizon:
            _, old = state.window.popleft()
            state.counts[old] -= 1
            if not state.counts[old]:
                del state.counts[old]
                state.first_seqs.pop(old, None)
        denied = payload["decision"] == "DENY"
        state.denies = state.denies + 1 if denied else 0
        if state.counts[digest] >= self.settings.loop_repeats:
            count = state.counts[digest]
            state.counts[digest] = 0
            return Finding(actor, "loop", f"the same intent {count} times within {self.settings.loop_window:g}s",
                           {"intent_hash": digest, "action": payload["intent"]["action"], "count": count,
                            "first_seq": state.first_seqs.get(digest), "last_seq": seq})  # fmt: skip
        if state.denies >= self.settings.deny_streak:
            streak, state.denies = state.denies, 0
            return Finding(
                actor,
                "deny_streak",
                f"{streak} DENY decisions in a row",
                {"last_seq": seq, "count": streak},
            )
        return None

    # -- runs and budgets ------------------------------------------------------------------------

    def _inspect_run(self, brief: tuple[str, str, str, str, int | None], now: datetime,
                     quiet_since: str, overdue_since: dict[int, str]) -> list[Finding]:  # fmt: skip
        run_id, agent_id, started_at, heartbeat_at, timeout = brief
        state = self._agents.get(agent_id)
        last_decision = max(started_at, state.last_decision if state else "")
        out = []
        if last_decision < quiet_since or heartbeat_at < quiet_since:
            what, since = (
                ("decision", last_decision)
                if last_decision <= heartbeat_at
                else ("runner heartbeat", heartbeat_at)
            )
            quiet = (now - parse_iso_utc(since)).total_seconds()
            out.append(Finding(agent_id, "stall", f"no {what} for {quiet:.1f}s "
                               f"(stall_after {self.settings.stall_after:g}s)", {"run_id": run_id}))  # fmt: skip
        if timeout:
            limit = overdue_since.get(timeout)
            if limit is None:
                limit = overdue_since[timeout] = iso_utc(now - timedelta(seconds=2 * timeout))
            if started_at < limit:
                ran = (now - parse_iso_utc(started_at)).total_seconds()
                out.append(Finding(agent_id, "overdue", f"running {ran:.1f}s, past twice its {timeout}s timeout",
                                   {"run_id": run_id}))  # fmt: skip
        for finding in out:  # only runs with a finding are read whole
            finding.run = self._runs.get(run_id)
        return out

    def _over_budget(self) -> list[Finding]:
        if self._engine is None:
            return []
        query = select(budgets.c.key, budgets.c.unit, budgets.c.spent, budgets.c.cap).where(
            budgets.c.scope == "agent", budgets.c.spent >= budgets.c.cap
        )
        with self._engine.connect() as conn:
            rows = conn.execute(query).all()
        return [Finding(r[0], "over_budget", f"{r[1]} budget at or over its cap", {"unit": r[1]}) for r in rows
                if self._pauses.reason(r[0], None) is None]  # fmt: skip

    # -- acting ----------------------------------------------------------------------------------

    def _act(self, finding: Finding) -> bool:
        already = self._pauses.reason(finding.agent_id, None) is not None
        runs = (
            [finding.run]
            if finding.run
            else [r for r in self._runs.running() if r.agent_id == finding.agent_id]
        )
        if already and not runs:
            return False
        if not already:
            self._pauses.pause(
                "agent", finding.agent_id, WATCHDOG, f"watchdog: {finding.kind}: {finding.reason}"
            )
        stopped = {}
        for run in runs:
            if (
                run is not None
                and run.pid
                and self._runs.mark_stopped(run.id, f"{finding.kind}: {finding.reason}")
            ):
                stopped[run.id] = stop_group(run.pid, self.settings.grace)
        self._ledger.append("watchdog", {
            "agent_id": finding.agent_id, "finding": finding.kind, "reason": finding.reason,
            "evidence": finding.evidence, "paused": not already, "stopped": stopped,
        })  # fmt: skip
        return True
