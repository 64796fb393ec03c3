"""A writer process for the crash and multi-process tests (run as a script, not collected).

    python appender.py URL THREADS PER_THREAD TAG

Prints "ready" once the ledger is open, then "SEQ HASH" for every acknowledged append, each line
written straight to the pipe (os.write, unbuffered) only after `append` returned. PER_THREAD 0
means append until killed.
"""

from __future__ import annotations

import os
import sys
import threading

from guardian.ledger.open import open_ledger


def main() -> None:
    url, threads, per, tag = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    ledger = open_ledger(url, checkpoint_every=100)
    lock = threading.Lock()
    os.write(1, b"ready\n")

    def work(t: int) -> None:
        i = 0
        while per == 0 or i < per:
            entry = ledger.append("decision", {"decision_id": f"{tag}-{t}-{i}", "t": t, "i": i})
            line = f"{entry.seq} {entry.hash}\n".encode()
            with lock:
                os.write(1, line)
            i += 1

    workers = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    ledger.close()


if __name__ == "__main__":
    main()
