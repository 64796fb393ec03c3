"""Budgets: caps per agent or session in tokens, money (a currency) or calls, for a window or in total.

- Every ALLOW decision of a capped agent takes one call, and the intent's estimate
  (`metadata.cost = {"tokens": 1200, "money": "0.40", "currency": "USD"}`) is reserved; when it does
  not fit, the decision is DENY `budget_exhausted`. Reservations are settled at the receipt.
- Spend is recorded by a service principal (guardian or admin role), never by the agent charged.
  A charge is admitted while the budget is under its cap, so concurrent charges overshoot the cap by
  at most one charge; reaching the cap pauses the agent until an admin resumes it or raises the cap.
- An agent with no budget row has no budget: charges for it are refused, not given a default cap.
Each change is one conditional UPDATE, atomic on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, and_, insert, select, update

from guardian.core.clock import Clock, iso_utc, parse_iso_utc
from guardian.core.errors import GuardianError
from guardian.core.ids import new_id
from guardian.core.intent import Intent
from guardian.core.principal import Principal
from guardian.governance.amounts import UNITS, AmountError, parse_amount, show
from guardian.governance.pause import PauseBoard
from guardian.ledger.store import Ledger
from guardian.storage.control_tables import budgets, reservations
from guardian.storage.engine import memory_lock

CHARGERS = ("guardian", "admin")
SYSTEM = Principal("budget", "guardian", 5)


class BudgetError(GuardianError):
    code = "budget_refused"


class BudgetExhausted(BudgetError):
    code = "budget_exhausted"


@dataclass(frozen=True, slots=True)
class Budget:
    id: str
    scope: str
    key: str
    unit: str
    currency: str
    cap: int
    spent: int
    window_seconds: int | None
    window_started_at: str

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "scope": self.scope, "key": self.key, "unit": self.unit,
                "currency": self.currency, "cap": show(self.cap, self.unit, self.currency),
                "spent": show(self.spent, self.unit, self.currency),
                "window_seconds": self.window_seconds, "window_started_at": self.window_started_at}  # fmt: skip


class Budgets:
    def __init__(self, engine: Engine, ledger: Ledger, clock: Clock, pauses: PauseBoard) -> None:
        self._engine = engine
        self._ledger = ledger
        self._clock = clock
        self._pauses = pauses
        self._lock = memory_lock(engine)
        self._capped: tuple[float, frozenset[tuple[str, str]]] = (-1e9, frozenset())

    # -- caps ------------------------------------------------------------------------------------

    def set_cap(self, scope: str, key: str, unit: str, cap: object, principal: Principal, *,
                currency: str = "", window_seconds: int | None = None) -> Budget:  # fmt: skip
        """Create or change a cap (admin only); raising it does not resume a paused agent by itself."""
        if principal.role != "admin":
            raise BudgetError(f"role {principal.role!r} may not set budgets; only an admin may")
        if scope not in ("agent", "session"):
            raise BudgetError(f"scope must be agent or session, got {scope!r}")
        micros = parse_amount(cap, unit)
        currency = _currency(unit, currency)
        now = self._clock.now_iso()
        with self._lock, self._engine.begin() as conn:
            changed = conn.execute(update(budgets).where(
                budgets.c.scope == scope, budgets.c.key == key, budgets.c.unit == unit,
                budgets.c.currency == currency,
            ).values(cap=micros, window_seconds=window_seconds)).rowcount  # fmt: skip
            if not changed:
                conn.execute(insert(budgets).values(
                    id=new_id(), scope=scope, key=key, unit=unit, currency=currency, cap=micros,
                    spent=0, window_seconds=window_seconds, window_started_at=now,
                ))  # fmt: skip
        budget = self.find(scope, key, unit, currency)
        assert budget is not None
        self._ledger.append("budget", {**budget.to_dict(), "by": principal.to_dict()})
        self._capped = (-1e9, frozenset())
        return budget

    def find(self, scope: str, key: str, unit: str, currency: str = "") -> Budget | None:
        rows = self._rows(and_(budgets.c.scope == scope, budgets.c.key == key, budgets.c.unit == unit,
                               budgets.c.currency == currency))  # fmt: skip
        return rows[0] if rows else None

    def of(self, agent_id: str, session_id: str | None = None) -> list[Budget]:
        where = and_(budgets.c.scope == "agent", budgets.c.key == agent_id)
        if session_id:
            where = where | and_(budgets.c.scope == "session", budgets.c.key == session_id)
        return self._rows(where)

    def all(self) -> list[Budget]:
        return self._rows(None)

    def _rows(self, where: Any) -> list[Budget]:
        query = select(budgets) if where is None else select(budgets).where(where)
        with self._lock, self._engine.connect() as conn:
            return [Budget(**dict(r._mapping)) for r in conn.execute(query)]

    # -- reservations at decision time -----------------------------------------------------------

    def reserve(self, agent_id: str, session_id: str | None, decision_id: str,
                metadata: dict[str, Any]) -> str | None:  # fmt: skip
        """Take a call and the estimate for an ALLOW; None if it fits, else why it does not."""
        if not self._may_have_budget(agent_id, session_id):
            return None
        applicable = self.of(agent_id, session_id)
        if not applicable:
            return None
        wanted = _estimate(metadata)
        taken: list[tuple[Budget, int]] = []
        for budget in applicable:
            amount = (
                1 * 10**6
                if budget.unit == "calls"
                else wanted.get((budget.unit, budget.currency), 0)
            )
            if amount == 0:
                continue
            if not self._add(budget, amount, strict=True):
                for earlier, given in taken:
                    self._add(earlier, -given, strict=False)
                if self._refresh(budget).spent >= budget.cap:
                    self._pause(budget, agent_id)
                return f"{budget.scope} {budget.key}: {show(amount, budget.unit, budget.currency)} does not fit in what is left of {show(budget.cap, budget.unit, budget.currency)}"
            taken.append((budget, amount))
        with self._lock, self._engine.begin() as conn:
            for budget, amount in taken:
                conn.execute(insert(reservations).values(
                    id=new_id(), budget_id=budget.id, decision_id=decision_id, amount=amount,
                    status="held", created_at=self._clock.now_iso(),
                ))  # fmt: skip
        for budget, _ in taken:
            if self._refresh(budget).spent >= budget.cap:
                self._pause(budget, agent_id)
        return None

    def reserve_intent(self, intent: Intent, decision_id: str) -> str | None:
        """`reserve` for the guard, with nothing to look up while no budget exists at all."""
        loaded_at, keys = self._capped  # (as `_may_have_budget` would find, without its calls)
        if not keys and time.monotonic() - loaded_at <= 0.1:
            return None
        return self.reserve(intent.actor, intent.session_id, decision_id, intent.metadata)

    def settle(self, decision_id: str, actual: dict[str, Any]) -> None:
        """At the receipt: replace each held estimate with the actual cost (calls stay as taken)."""
        spent = _estimate(actual) if actual else {}
        with self._lock, self._engine.connect() as conn:
            held = conn.execute(select(reservations).where(reservations.c.decision_id == decision_id,
                                                           reservations.c.status == "held")).all()  # fmt: skip
        for row in held:
            budget = next((b for b in self.all() if b.id == row.budget_id), None)
            if budget is None:
                continue
            actual_amount = (
                row.amount
                if budget.unit == "calls"
                else spent.get((budget.unit, budget.currency), row.amount)
            )
            if actual_amount != row.amount:
                self._add(budget, actual_amount - row.amount, strict=False)
            with self._lock, self._engine.begin() as conn:
                conn.execute(
                    update(reservations).where(reservations.c.id == row.id).values(status="settled")
                )

    def _may_have_budget(self, agent_id: str, session_id: str | None) -> bool:
        """Cheap pre-check on the hot path: the (scope, key) pairs with budgets, cached for 0.1 s."""
        loaded_at, keys = self._capped
        if time.monotonic() - loaded_at > 0.1:
            with self._lock, self._engine.connect() as conn:
                keys = frozenset(
                    (r[0], r[1]) for r in conn.execute(select(budgets.c.scope, budgets.c.key))
                )
            self._capped = (time.monotonic(), keys)
        return ("agent", agent_id) in keys or (
            session_id is not None and ("session", session_id) in keys
        )

    # -- charges by a service principal ----------------------------------------------------------

    def charge(self, agent_id: str, unit: str, amount: object, principal: Principal, *,
               currency: str = "", decision_id: str | None = None, note: str = "") -> Budget:  # fmt: skip
        if principal.role not in CHARGERS:
            raise BudgetError(
                f"role {principal.role!r} may not record spend; a service principal must"
            )
        if principal.id == agent_id:
            raise BudgetError(f"agent {agent_id!r} may not record its own spend")
        micros = parse_amount(amount, unit)
        currency = _currency(unit, currency)
        budget = self.find("agent", agent_id, unit, currency)
        if budget is None:
            raise BudgetError(f"agent {agent_id!r} has no {unit} budget{f' in {currency}' if currency else ''}; "
                              "register it first (an unknown agent gets no default cap)")  # fmt: skip
        if not self._add(budget, micros, strict=False, while_under_cap=True):
            self._pause(budget, agent_id)
            raise BudgetExhausted(
                f"agent {agent_id!r} is at its {unit} cap of {show(budget.cap, unit, currency)}"
            )
        after = self._refresh(budget)
        self._ledger.append("charge", {
            "agent_id": agent_id, "unit": unit, "currency": currency, "amount": show(micros, unit, currency),
            "spent": show(after.spent, unit, currency), "cap": show(after.cap, unit, currency),
            "by": principal.to_dict(), "decision_id": decision_id, "note": note,
        })  # fmt: skip
        if after.spent >= after.cap:
            self._pause(after, agent_id)
        return after

    # -- internals -------------------------------------------------------------------------------

    def _add(
        self, budget: Budget, micros: int, *, strict: bool, while_under_cap: bool = False
    ) -> bool:
        """spent += micros, atomically; `strict`: only if it stays within the cap; `while_under_cap`:
        only if the cap was not reached before. Windows that have passed start again first."""
        self._roll_window(budget)
        condition = budgets.c.id == budget.id
        if strict:
            condition = condition & (budgets.c.spent + micros <= budgets.c.cap)
        if while_under_cap:
            condition = condition & (budgets.c.spent < budgets.c.cap)
        with self._lock, self._engine.begin() as conn:
            return (
                conn.execute(
                    update(budgets).where(condition).values(spent=budgets.c.spent + micros)
                ).rowcount
                == 1
            )

    def _roll_window(self, budget: Budget) -> None:
        if budget.window_seconds is None:
            return
        now = self._clock.now()
        start = parse_iso_utc(budget.window_started_at)
        if now - start < timedelta(seconds=budget.window_seconds):
            return
        with self._lock, self._engine.begin() as conn:
            conn.execute(update(budgets).where(budgets.c.id == budget.id,
                                               budgets.c.window_started_at == budget.window_started_at)
                         .values(spent=0, window_started_at=iso_utc(now)))  # fmt: skip

    def _refresh(self, budget: Budget) -> Budget:
        rows = self._rows(budgets.c.id == budget.id)
        return rows[0]

    def _pause(self, budget: Budget, agent_id: str) -> None:
        key = budget.key if budget.scope == "session" else agent_id
        reason = (
            f"{budget.unit} budget exhausted ({show(budget.cap, budget.unit, budget.currency)} cap)"
        )
        self._pauses.pause(budget.scope, key, SYSTEM, reason)


def _currency(unit: str, currency: str) -> str:
    if unit == "money":
        if not currency or not currency.isalpha() or len(currency) != 3:
            raise AmountError(f"money needs a three-letter currency code, got {currency!r}")
        return currency.upper()
    if currency:
        raise AmountError(f"{unit} have no currency")
    return ""


def _estimate(cost: dict[str, Any]) -> dict[tuple[str, str], int]:
    """`{"tokens": 1200, "money": "0.40", "currency": "USD"}` -> {(unit, currency): micros}."""
    raw = cost.get("cost", cost) if isinstance(cost, dict) else {}
    if not isinstance(raw, dict):
        raise AmountError(
            'cost must be an object like {"tokens": 1200, "money": "0.40", "currency": "USD"}'
        )
    out: dict[tuple[str, str], int] = {}
    for unit in ("tokens", "money"):
        if unit in raw:
            currency = _currency(unit, str(raw.get("currency", ""))) if unit == "money" else ""
            out[(unit, currency)] = parse_amount(raw[unit], unit)
    return out


__all__ = ["UNITS", "Budget", "BudgetError", "BudgetExhausted", "Budgets"]
