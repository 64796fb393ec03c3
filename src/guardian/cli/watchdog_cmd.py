"""`guardian watchdog`: the independent process that stops stuck, looping and overspending agents."""

from __future__ import annotations

import signal
import sys
import time
from pathlib import Path
from types import FrameType

import typer

from guardian.cli.local import LocalState
from guardian.cli.output import DATABASE_OPTION, ExitCode, fail, stderr
from guardian.core.errors import PolicyError


def watchdog(
    database: str | None = DATABASE_OPTION,
    stall_after: float = typer.Option(
        30.0, "--stall-after", help="seconds without a decision or heartbeat"
    ),
    loop_repeats: int = typer.Option(
        5, "--loop-repeats", help="the same intent this many times is a loop"
    ),
    loop_window: float = typer.Option(60.0, "--loop-window", help="... within this many seconds"),
    deny_streak: int = typer.Option(10, "--deny-streak", help="this many DENYs in a row is a loop"),
    grace: float = typer.Option(2.0, "--grace", help="seconds between SIGTERM and SIGKILL"),
    interval: float = typer.Option(0.25, "--interval", help="seconds between passes"),
    once: bool = typer.Option(False, "--once", help="one pass, then exit"),
    policies: Path | None = typer.Option(
        None, "--policies", help="intervention policies (a YAML file or a folder)"
    ),
    channels: Path | None = typer.Option(
        None, "--channels", help="notification channels (webhooks) for the policies"
    ),
) -> None:
    """Watch the store and act: pause the agent, stop its process, record why. Survives database restarts."""
    from guardian.governance.interventions.policies import load_policies
    from guardian.governance.interventions.wiring import open_intervention_engine
    from guardian.governance.watchdog import Watchdog, WatchdogSettings

    if policies is not None:
        try:
            load_policies(policies)  # a bad policy file fails now, with file:line, not in a pass
        except PolicyError as exc:
            fail(str(exc), ExitCode.POLICY_INVALID)
    settings = WatchdogSettings(
        stall_after, loop_repeats, loop_window, deny_streak, grace, interval
    )
    stopping = False

    def stop(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    backoff = interval
    dog: Watchdog | None = None
    state: LocalState | None = None
    while not stopping:
        try:
            if dog is None:
                state = LocalState(database)
                interventions = (
                    open_intervention_engine(state.engine, state.ledger, state.clock, policies, channels)
                    if policies is not None else None
                )  # fmt: skip
                dog = Watchdog(state.ledger, state.runs, state.pauses, state.heartbeats, state.clock,
                               settings, engine=state.engine, interventions=interventions)  # fmt: skip
                stderr.print(
                    f"watchdog watching {state.url} from seq {dog.cursor}", highlight=False
                )
            for finding in dog.run_pass():
                stderr.print(
                    f"acted: {finding.agent_id}: {finding.kind}: {finding.reason}", highlight=False
                )
            backoff = interval
        except Exception as exc:  # the database may be restarting: keep trying, say so
            stderr.print(f"watchdog pass failed ({type(exc).__name__}: {exc}); retrying in {backoff:.1f}s",
                         highlight=False)  # fmt: skip
            backoff = min(backoff * 2, 5.0)
        if once:
            break
        time.sleep(backoff)
    if state is not None:
        state.close()
    sys.exit(0)
