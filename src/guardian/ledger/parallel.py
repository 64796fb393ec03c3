"""Checking a large JSONL file on every core: chunks in worker processes, stitched in order.

Each worker checks its byte range as a floating chain (any origin) and returns the range's first
(seq, prev_hash), last (seq, hash) and leaf hashes; the parent checks the seams and folds the leaves
into the Merkle frontier, checking checkpoints as their tree sizes pass. Workers only ever confirm
a good ledger: if any chunk or seam is not clean the caller re-runs the sequential check, which is
the one that names the first bad seq.
"""

from __future__ import annotations

import io
import multiprocessing
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from guardian.ledger.chaincheck import Chain, Problem, read_blocks, scan_blocks
from guardian.ledger.checkpoint import Checkpoint

CHUNK_BYTES = 4 << 20
#: Below this size the sequential pass is as fast as starting workers.
MIN_PARALLEL_BYTES = 32 << 20


@dataclass(frozen=True, slots=True)
class _Chunk:
    first: tuple[int, str] | None
    last: tuple[int, str, str]  # seq, prev_hash, hash of the chunk's last entry
    leaves: bytes
    clean: bool


class Fallback(Exception):
    """The parallel pass saw something not clean: run the sequential pass to describe it."""


def workers_for(size: int, requested: int | None) -> int:
    """How many worker processes to use (0: stay sequential)."""
    if requested is not None:
        return max(requested, 0)
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    if size < MIN_PARALLEL_BYTES or cpus < 2 or threading.active_count() > 1:
        return 0  # forking a threaded process is unsafe; small files are not worth it
    return min(cpus, 8)


def chunk_bounds(path: Path, size: int, chunk: int = CHUNK_BYTES) -> list[tuple[int, int]]:
    """Byte ranges of about `chunk` bytes, each starting right after a newline."""
    bounds, start = [], 0
    with path.open("rb") as f:
        while start < size:
            end = min(start + chunk, size)
            if end < size:
                f.seek(end)
                tail = f.readline()
                end += len(tail)
            bounds.append((start, end))
            start = end
    return bounds


def _check_chunk(task: tuple[str, int, int]) -> _Chunk:
    path, start, end = task
    with open(path, "rb") as f:
        f.seek(start)
        data = f.read(end - start)
    chain = Chain(floating=True)
    problem = scan_blocks(read_blocks(io.BytesIO(data)), chain)
    clean = problem is None and (not data or data.endswith(b"\n"))
    return _Chunk(chain.first, (chain.seq, chain.prev, chain.hash), b"".join(chain.leaves), clean)


def verify_parallel(
    path: Path, size: int, checkpoints: Sequence[Checkpoint], workers: int
) -> tuple[Chain, Problem | None]:
    """The chain after the whole file and the first problem; raises Fallback when not clean."""
    chain = Chain(checkpoints)
    tasks = [(str(path), a, b) for a, b in chunk_bounds(path, size)]
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(workers) as pool:
        for chunk in pool.imap(_check_chunk, tasks):
            if not chunk.clean:
                raise Fallback
            if chunk.first is None:
                continue
            if chunk.first != (chain.seq + 1, chain.hash):
                raise Fallback
            _fold(chain, chunk)
    return chain, chain.finish()


def _fold(chain: Chain, chunk: _Chunk) -> None:
    raw = chunk.leaves
    _, prev, last = chunk.last
    chain.extend([raw[i : i + 32] for i in range(0, len(raw), 32)], prev, last)
