"""The state of one verification pass: the last accepted entry, the Merkle frontier, and the signed
checkpoints still ahead; and `Problem`, what a pass reports when the ledger goes wrong."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from guardian.ledger.checkpoint import Checkpoint
from guardian.ledger.entry import GENESIS_HASH
from guardian.ledger.merkle import NODE_PREFIX, Frontier

#: Leaves held before they are folded into the frontier (bounds memory on a long pass).
_HELD_LEAVES = 1 << 16


def fold(frontier: Frontier, leaves: list[bytes]) -> None:
    """Append `leaves` to `frontier` a level at a time (one list comprehension of node hashes per
    level instead of a Python loop per leaf); the same nodes as appending them one by one."""
    size = frontier.size
    pending = {h: node for h, node in zip(_heights(size), frontier.nodes, strict=True)}
    level, pos, height, sha = list(leaves), size, 0, hashlib.sha256
    while level:
        if pos & 1:  # the level's first node is a right child: its sibling is a frontier node
            level.insert(0, pending.pop(height))
        if len(level) & 1:  # the last node has no sibling yet: it stays in the frontier
            pending[height] = level.pop()
        level = [
            sha(NODE_PREFIX + a + b).digest() for a, b in zip(level[::2], level[1::2], strict=True)
        ]
        pos, height = pos >> 1, height + 1
    frontier.size = size + len(leaves)
    frontier.nodes = [pending[h] for h in _heights(frontier.size)]


def _heights(size: int) -> list[int]:
    """Heights of a frontier's nodes, largest first: the set bits of its size."""
    return [h for h in range(size.bit_length() - 1, -1, -1) if size >> h & 1]


@dataclass(frozen=True, slots=True)
class Problem:
    """The first thing wrong: `seq` is the first bad seq (entries before it verified)."""

    reason: str
    seq: int | None
    detail: str
    line: int | None = None


class Chain:
    """State of one pass: the last accepted entry, the Merkle frontier, checkpoints still ahead.

    `floating=True` accepts whatever seq/prev_hash the first line has (a chunk of a larger file,
    checked in a worker process; the parent stitches chunks together).
    """

    def __init__(
        self, checkpoints: Sequence[Checkpoint] = (), *, floating: bool = False, unit: str = "line"
    ) -> None:
        self.unit = unit  # what a record of the source is called in messages: line, row
        self.seq = 0
        self.hash = GENESIS_HASH
        self.prev = ""  # prev_hash of the last accepted entry (to recognise a fork)
        self.first: tuple[int, str] | None = None  # (seq, prev_hash) of the first line, if floating
        self.floating = floating
        self.frontier = Frontier()
        self.leaves: list[bytes] = []
        self.cps = sorted(checkpoints, key=lambda c: c.tree_size)
        self.cp_index = 0
        self.cp_verified = 0  # tree size of the last checkpoint whose root matched
        self.mismatch: Problem | None = None  # the first checkpoint whose root did not match
        self.mismatch_upto = 0
        self.kinds: set[str] = set()

    @property
    def next_cp(self) -> int:
        return self.cps[self.cp_index].tree_size if self.cp_index < len(self.cps) else -1

    def flush(self) -> None:
        if self.leaves:
            fold(self.frontier, self.leaves)
            self.leaves = []

    def check_checkpoints(self) -> None:
        """Called when `seq` reached the next checkpoint's tree size. A mismatch is held back (not
        returned) because a later, local problem may pin the bad entry down exactly (a fork)."""
        self.flush()
        while self.cp_index < len(self.cps) and self.cps[self.cp_index].tree_size == self.seq:
            cp = self.cps[self.cp_index]
            self.cp_index += 1
            if self.mismatch is not None:
                continue
            if self.frontier.root() != cp.root():
                self.mismatch = Problem(
                    "checkpoint_mismatch",
                    self.cp_verified + 1,
                    f"entries 1..{cp.tree_size} do not hash to the signed checkpoint root "
                    f"{cp.root_hash} (ts {cp.ts}): an entry in {self.cp_verified + 1}..{cp.tree_size} "
                    "was altered, inserted or removed and the chain re-sealed",
                )
                self.mismatch_upto = cp.tree_size
            else:
                self.cp_verified = cp.tree_size

    def explain(self, problem: Problem | None) -> Problem | None:
        """The problem to report: a local one that falls inside a mismatched checkpoint's range
        explains it exactly; otherwise the (earlier) checkpoint mismatch comes first."""
        if self.mismatch is None:
            return problem
        if problem is not None and problem.seq is not None:
            if (
                self.mismatch.seq is not None
                and self.mismatch.seq <= problem.seq <= self.mismatch_upto
            ):
                return problem
        return self.mismatch

    def finish(self) -> Problem | None:
        self.flush()
        if self.mismatch is not None:
            return self.mismatch
        if self.cp_index < len(self.cps):
            cp = self.cps[-1]
            return Problem(
                "truncated",
                self.seq + 1,
                f"the ledger ends at seq {self.seq} but a signed checkpoint (ts {cp.ts}) covers "
                f"{cp.tree_size} entries: entries {self.seq + 1}..{cp.tree_size} were cut off",
            )
        return None

    @property
    def collecting(self) -> bool:
        """Leaves are kept only while a checkpoint lies ahead (or for the parent, when floating)."""
        return self.floating or self.cp_index < len(self.cps)

    def extend(self, digests: Sequence[bytes], prev: str, last: str) -> None:
        """Accept `len(digests)` entries after `seq` at once (their leaf hashes, in order); the
        last has hash `last` and links to `prev`. Checkpoints whose tree size they pass are checked."""
        base, count = self.seq, len(digests)
        pos = 0
        while self.next_cp != -1 and self.next_cp <= base + count:
            upto = self.next_cp - base
            self.leaves.extend(digests[pos:upto])
            self.seq, pos = base + upto, upto
            self.check_checkpoints()
        if self.collecting:
            self.leaves.extend(digests[pos:])
            if not self.floating and len(self.leaves) >= _HELD_LEAVES:
                self.flush()
        self.seq, self.prev, self.hash = base + count, prev, last

    def accept(self, seq: int, prev: str, digest_hex: str) -> Problem | None:
        if self.floating and self.first is None:
            self.first = (seq, prev)
        self.seq, self.prev, self.hash = seq, prev, digest_hex
        if self.collecting:
            self.leaves.append(bytes.fromhex(digest_hex))
        if seq == self.next_cp:
            self.check_checkpoints()
        return None
