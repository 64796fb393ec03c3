"""RFC 9162 Merkle trees over ledger entries: tree heads, inclusion and consistency proofs.

Leaf input is the RFC 8785 JSON of an entry *without* its `hash` field, so the RFC 9162 leaf hash
SHA-256(0x00 || leaf input) is exactly the entry's own `hash`: a proof needs no second hashing
scheme, and checking an entry's hash and checking its leaf are one step. Interior nodes are
SHA-256(0x01 || left || right). Everything here is pure (hashlib only) so the offline verifier can
use it; hashes are 32-byte `bytes` throughout.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

NODE_PREFIX = b"\x01"
EMPTY_ROOT = hashlib.sha256(b"").digest()
#: Leaves folded at once when a frontier grows by a whole aligned group (a fast path, same result).
_GROUP_HEIGHT = 10
_GROUP = 1 << _GROUP_HEIGHT

_sha256 = hashlib.sha256


def node_hash(left: bytes, right: bytes) -> bytes:
    return _sha256(NODE_PREFIX + left + right).digest()


def root_of(leaves: Sequence[bytes]) -> bytes:
    """MTH(D[n]) of the given leaf hashes (pairing level by level equals the RFC's recursion)."""
    if not leaves:
        return EMPTY_ROOT
    level = list(leaves)
    while len(level) > 1:
        paired = [
            _sha256(NODE_PREFIX + level[i] + level[i + 1]).digest()
            for i in range(0, len(level) - 1, 2)
        ]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


class Frontier:
    """The compact range [0, size): one perfect-subtree root per set bit of `size`, largest first.

    Enough to extend the tree and compute its root without keeping the leaves; stored beside every
    checkpoint so a writer resumes without re-reading the ledger.
    """

    __slots__ = ("nodes", "size")

    def __init__(self, size: int = 0, nodes: Sequence[bytes] = ()) -> None:
        if size < 0 or len(nodes) != size.bit_count():
            raise ValueError(
                f"a frontier of size {size} has {size.bit_count()} nodes, not {len(nodes)}"
            )
        self.size = size
        self.nodes = list(nodes)

    def copy(self) -> Frontier:
        return Frontier(self.size, self.nodes)

    def append(self, leaf: bytes) -> None:
        nodes = self.nodes
        nodes.append(leaf)
        self.size += 1
        s = self.size
        while not s & 1:
            right = nodes.pop()
            nodes[-1] = _sha256(NODE_PREFIX + nodes[-1] + right).digest()
            s >>= 1

    def _push_group(self, root: bytes) -> None:
        nodes = self.nodes
        nodes.append(root)
        self.size += _GROUP
        s = self.size >> _GROUP_HEIGHT
        while not s & 1:
            right = nodes.pop()
            nodes[-1] = _sha256(NODE_PREFIX + nodes[-1] + right).digest()
            s >>= 1

    def extend(self, leaves: Sequence[bytes]) -> None:
        i, n = 0, len(leaves)
        while i < n:
            if not self.size % _GROUP and n - i >= _GROUP:
                self._push_group(root_of(leaves[i : i + _GROUP]))
                i += _GROUP
            else:
                self.append(leaves[i])
                i += 1

    def root(self) -> bytes:
        if not self.nodes:
            return EMPTY_ROOT
        acc = self.nodes[-1]
        for node in reversed(self.nodes[:-1]):
            acc = _sha256(NODE_PREFIX + node + acc).digest()
        return acc

    def to_hex(self) -> str:
        return "".join(node.hex() for node in self.nodes)

    @classmethod
    def from_hex(cls, size: int, text: str) -> Frontier:
        raw = bytes.fromhex(text)
        return cls(size, [raw[i : i + 32] for i in range(0, len(raw), 32)])


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The leaf ranges whose roots form PATH(index, D[size]) (RFC 9162 §2.1.3.1), in path order."""
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} outside a tree of size {size}")
    ranges: list[tuple[int, int]] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = _split(hi - lo)
        if index - lo < k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo += k
    ranges.reverse()
    return ranges


def consistency_ranges(old_size: int, size: int) -> list[tuple[int, int]]:
    """The leaf ranges whose roots form PROOF(old_size, D[size]) (RFC 9162 §2.1.4.1), in order."""
    if not 0 < old_size <= size:
        raise ValueError(f"old tree size {old_size} must be in 1..{size}")
    ranges: list[tuple[int, int]] = []
    lo, hi, m, complete = 0, size, old_size, True
    while m != hi - lo:
        k = _split(hi - lo)
        if m <= k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo, m, complete = lo + k, m - k, False
    if not complete:
        ranges.append((lo, hi))
    ranges.reverse()
    return ranges


def range_roots(ranges: Sequence[tuple[int, int]], leaves: Iterable[bytes]) -> list[bytes]:
    """Roots of disjoint leaf ranges from one pass over the leaves (memory: a frontier per range).

    Lets a store prove inclusion in a tree of millions of entries while streaming their hashes.
    """
    order = sorted(range(len(ranges)), key=lambda i: ranges[i][0])
    roots: list[bytes] = [b""] * len(ranges)
    pos = 0
    it = iter(leaves)
    try:
        for i in order:
            lo, hi = ranges[i]
            for _ in range(lo - pos):
                next(it)
            frontier = Frontier()
            for _ in range(hi - lo):
                frontier.append(next(it))
            roots[i] = frontier.root()
            pos = hi
    except StopIteration:
        raise ValueError(f"fewer leaves than the ranges need (stopped before leaf {hi})") from None
    return roots


def inclusion_path(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """PATH(m, D[n]) for leaf `index` of the tree over `leaves`."""
    return [root_of(leaves[lo:hi]) for lo, hi in inclusion_ranges(index, len(leaves))]


def consistency_path(leaves: Sequence[bytes], old_size: int) -> list[bytes]:
    """PROOF(m, D[n]) between the first `old_size` leaves and all of them."""
    return [root_of(leaves[lo:hi]) for lo, hi in consistency_ranges(old_size, len(leaves))]


def verify_inclusion(
    leaf: bytes, index: int, size: int, path: Sequence[bytes], root: bytes
) -> bool:
    """RFC 9162 §2.1.3.2: does `path` prove `leaf` at `index` in the tree of `size` with `root`?"""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, path: Sequence[bytes]
) -> bool:
    """RFC 9162 §2.1.4.2: is the tree of `new_size` an append-only extension of `old_size`?"""
    if not 0 < old_size <= new_size:
        return False
    if old_size == new_size:
        return not path and old_root == new_root
    proof = list(path)
    if old_size & (old_size - 1) == 0:  # an exact power of two: the old root is the first node
        proof.insert(0, old_root)
    if not proof:
        return False
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == old_root and sr == new_root and sn == 0
