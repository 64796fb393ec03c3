"""Stopping a process the runner launched: its whole process group, politely, then firmly."""

from __future__ import annotations

import os
import signal
import time


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stop_group(pid: int, grace: float = 2.0) -> str:
    """SIGTERM the process group led by `pid`, SIGKILL it after `grace` seconds; say what it took."""
    try:
        pgid = os.getpgid(pid)
    except ProcessLookupError:
        return "already gone"
    try:
        os.killpg(pgid, signal.SIGTERM)
    except ProcessLookupError:
        return "already gone"
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if not alive(pid):
            return "stopped by SIGTERM"
        time.sleep(0.02)
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        return "stopped by SIGTERM"
    return "killed by SIGKILL"
