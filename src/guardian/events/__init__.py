"""Events: one bus (`publish`, `subscribe("guardian.*", handler)`), in-process or over Redis.

Writers put events in an outbox table in the same transaction as their state change; ledger entries
are events already. A relay sends both, at least once; subscribers drop duplicates by event id.
Webhook channels ("slack", "pagerduty") receive them signed, with retries.
"""

from __future__ import annotations

import importlib
from typing import Any

#: Public name -> module; imported on first use, so `import guardian.events.x` stays light.
_EXPORTS = {
    "Dispatcher": "bus", "EventBus": "bus", "Subscription": "bus", "Transport": "bus",
    "TransportError": "bus", "Channel": "channels", "load_channels": "channels", "EventHub": "hub",
    "open_hub": "hub", "Event": "model", "EventError": "model", "WebhookSender": "webhooks",
    "sign": "webhooks", "verify_signature": "webhooks",
}  # fmt: skip


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'guardian.events' has no attribute {name!r}")
    return getattr(importlib.import_module(f"guardian.events.{module}"), name)


__all__ = [
    "Channel",
    "Dispatcher",
    "Event",
    "EventBus",
    "EventError",
    "EventHub",
    "Subscription",
    "Transport",
    "TransportError",
    "WebhookSender",
    "load_channels",
    "open_hub",
    "sign",
    "verify_signature",
]
