"""Notification channels: named webhook URLs ("slack", "pagerduty", ...) and their secrets.

From a YAML/TOML/JSON file (`$GUARDIAN_CHANNELS` or an explicit path) with one section:

    channels:
      slack:
        url: https://hooks.example.com/T000/B000
        secret_env: SLACK_WEBHOOK_SECRET      # or `secret:` inline (not recommended)
        events: ["guardian.intervention.*"]   # optional: also receive these events
        max_attempts: 6                       # optional, default 6
        backoff_seconds: 0.5                  # optional: first retry delay, doubled each time
        timeout_seconds: 5                    # optional

and/or from the environment, which wins field by field: `GUARDIAN_CHANNEL_<NAME>_URL`,
`GUARDIAN_CHANNEL_<NAME>_SECRET`, `GUARDIAN_CHANNEL_<NAME>_EVENTS` (comma-separated patterns).
A channel without a secret is refused: every delivery is signed.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from guardian.core.errors import PolicyError, PolicyProblem
from guardian.events.model import EventError, check_pattern
from guardian.policy.source import SourceError, line_of, read_file

FILE_ENV = "GUARDIAN_CHANNELS"
NAME_RE = re.compile(r"[a-z][a-z0-9_-]{0,63}")
_ENV = re.compile(r"GUARDIAN_CHANNEL_([A-Z0-9_]+?)_(URL|SECRET|EVENTS)")
_FIELDS = {"url", "secret", "secret_env", "events", "max_attempts", "backoff_seconds",
           "timeout_seconds"}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Channel:
    name: str
    url: str
    secret: str
    events: tuple[str, ...] = ()
    max_attempts: int = 6
    backoff_seconds: float = 0.5
    timeout_seconds: float = 5.0


def load_channels(path: Path | str | None = None,
                  env: Mapping[str, str] | None = None) -> dict[str, Channel]:  # fmt: skip
    """Channels from `path` (default `$GUARDIAN_CHANNELS`, if set) overlaid with the environment."""
    env = os.environ if env is None else env
    path = path or env.get(FILE_ENV) or None
    raw: dict[str, dict[str, Any]] = {}
    lines: dict[str, int | None] = {}
    name = str(path) if path else "<environment>"
    problems: list[PolicyProblem] = []
    if path:
        try:
            data, _ = read_file(Path(path))
        except SourceError as exc:
            raise PolicyError([exc.problem]) from None
        section = data.get("channels") if isinstance(data, dict) else None
        if not isinstance(section, dict) or set(data) != {"channels"}:
            raise PolicyError([PolicyProblem("expected one top-level mapping `channels:`", name,
                                             line_of(data))])  # fmt: skip
        for key, value in section.items():
            if not isinstance(value, dict):
                problems.append(PolicyProblem("expected a mapping with url and secret", name,
                                              line_of(section, key), field=key))  # fmt: skip
                continue
            raw[key] = dict(value)
            lines[key] = line_of(section, key)
            for unknown in sorted(set(value) - _FIELDS):
                problems.append(PolicyProblem(f"unknown field; expected one of {sorted(_FIELDS)}",
                                              name, line_of(value, unknown), key, unknown))  # fmt: skip
    for var, value in env.items():
        match = _ENV.fullmatch(var)
        if match:
            entry = raw.setdefault(match.group(1).lower(), {})
            field = match.group(2).lower()
            entry[field] = (
                [p.strip() for p in value.split(",") if p.strip()] if field == "events" else value
            )
    channels = {}
    for key, entry in raw.items():
        try:
            channels[key] = _channel(key, entry, env)
        except ValueError as exc:
            problems.append(PolicyProblem(str(exc), name, lines.get(key), key))
    if problems:
        raise PolicyError(problems)
    return channels


def _channel(name: str, entry: dict[str, Any], env: Mapping[str, str]) -> Channel:
    if not NAME_RE.fullmatch(name):
        raise ValueError("a channel name is lower-case letters, digits, _ and -")
    url = entry.get("url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise ValueError(f"url must be an http(s) URL, got {url!r}")
    secret = entry.get("secret")
    if secret is None and isinstance(entry.get("secret_env"), str):
        secret = env.get(entry["secret_env"])
        if not secret:
            raise ValueError(f"secret_env {entry['secret_env']!r} is not set")
    if not isinstance(secret, str) or not secret:
        raise ValueError("a secret is required (secret, secret_env, or "
                         f"GUARDIAN_CHANNEL_{name.upper()}_SECRET): deliveries are signed")  # fmt: skip
    events = entry.get("events") or []
    if not isinstance(events, list):
        raise ValueError("events must be a list of patterns")
    try:
        patterns = tuple(check_pattern(p) for p in events)
    except EventError as exc:
        raise ValueError(str(exc)) from None
    attempts, backoff, timeout = (entry.get("max_attempts", 6), entry.get("backoff_seconds", 0.5),
                                  entry.get("timeout_seconds", 5.0))  # fmt: skip
    if not isinstance(attempts, int) or isinstance(attempts, bool) or not 1 <= attempts <= 50:
        raise ValueError(f"max_attempts must be an integer 1..50, got {attempts!r}")
    for label, number in (("backoff_seconds", backoff), ("timeout_seconds", timeout)):
        if not isinstance(number, int | float) or isinstance(number, bool) or number <= 0:
            raise ValueError(f"{label} must be a positive number, got {number!r}")
    return Channel(name, url, secret, patterns, attempts, float(backoff), float(timeout))
