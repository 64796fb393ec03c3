"""A subscriber process for the Redis tests: prints READY once listening, then one line per event
received (`producer seq id`), and exits once it has `count` distinct events or after `timeout` s.

    python tests/events/subscriber.py REDIS_URL STREAM COUNT TIMEOUT
"""

from __future__ import annotations

import sys
import threading
import time

from guardian.core.clock import SYSTEM_CLOCK
from guardian.events.hub import EventHub
from guardian.events.model import Event
from guardian.events.redis_bus import RedisTransport
from guardian.ledger.memory import MemoryLedger
from guardian.storage.engine import open_engine


def main() -> None:
    url, stream, count, timeout = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    hub = EventHub(
        open_engine("memory://"), MemoryLedger(), SYSTEM_CLOCK, RedisTransport(url, stream=stream)
    )
    done = threading.Event()
    lines: list[str] = []

    def handle(event: Event) -> None:
        lines.append(
            f"{event.producer} {event.seq} {event.id} {time.time():.6f} {event.payload.get('sent', 0)}"
        )
        if len(lines) >= count:
            done.set()

    hub.subscribe("guardian.*", handle)
    if not hub.wait_listening(30):
        sys.exit("not listening after 30 s")
    print("READY", flush=True)
    done.wait(timeout)
    sys.stdout.write("\n".join(lines) + "\n")
    print(f"DONE {len(lines)} duplicates={hub.dispatcher.duplicates}", flush=True)
    hub.close()


if __name__ == "__main__":
    main()
