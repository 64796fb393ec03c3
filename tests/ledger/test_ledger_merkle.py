"""RFC 9162 Merkle trees against a literal transcription of the RFC's recursive definitions."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from guardian.ledger import merkle


def H(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def mth(d: list[bytes]) -> bytes:
    if not d:
        return H(b"")
    if len(d) == 1:
        return d[0]
    k = 1 << ((len(d) - 1).bit_length() - 1)
    return H(b"\x01" + mth(d[:k]) + mth(d[k:]))


def path(m: int, d: list[bytes]) -> list[bytes]:
    if len(d) == 1:
        return []
    k = 1 << ((len(d) - 1).bit_length() - 1)
    return [*path(m, d[:k]), mth(d[k:])] if m < k else [*path(m - k, d[k:]), mth(d[:k])]


def subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    if m == len(d):
        return [] if b else [mth(d)]
    k = 1 << ((len(d) - 1).bit_length() - 1)
    if m <= k:
        return [*subproof(m, d[:k], b), mth(d[k:])]
    return [*subproof(m - k, d[k:], False), mth(d[:k])]


def leaves(n: int) -> list[bytes]:
    return [H(b"\x00" + i.to_bytes(4, "big")) for i in range(n)]


@pytest.mark.parametrize("n", range(0, 40))
def test_roots_and_frontiers(n: int) -> None:
    d = leaves(n)
    assert merkle.root_of(d) == mth(d)
    one, bulk = merkle.Frontier(), merkle.Frontier()
    for leaf in d:
        one.append(leaf)
    bulk.extend(d)
    assert one.root() == bulk.root() == mth(d)
    assert merkle.Frontier.from_hex(n, one.to_hex()).root() == mth(d)


@pytest.mark.parametrize("n", range(1, 34))
def test_inclusion_proofs(n: int) -> None:
    d, root = leaves(n), mth(leaves(n))
    for m in range(n):
        p = merkle.inclusion_path(d, m)
        assert p == path(m, d)
        assert merkle.range_roots(merkle.inclusion_ranges(m, n), iter(d)) == p
        assert merkle.verify_inclusion(d[m], m, n, p, root)
        assert not merkle.verify_inclusion(H(b"other"), m, n, p, root)
        if m ^ 1 < n:  # the sibling's position: the path's left/right turns no longer fit
            assert not merkle.verify_inclusion(d[m], m ^ 1, n, p, root)
        if p:
            assert not merkle.verify_inclusion(d[m], m, n, p[:-1], root)


@pytest.mark.parametrize("n", range(1, 34))
def test_consistency_proofs(n: int) -> None:
    d = leaves(n)
    for m in range(1, n + 1):
        p = merkle.consistency_path(d, m)
        assert p == subproof(m, d, True)
        assert merkle.range_roots(merkle.consistency_ranges(m, n), iter(d)) == p
        assert merkle.verify_consistency(m, n, mth(d[:m]), mth(d), p)
        if m < n:
            assert not merkle.verify_consistency(m, n, H(b"x"), mth(d), p)
            assert not merkle.verify_consistency(m, n, mth(d[:m]), H(b"x"), p)


def test_group_fast_path_matches_one_by_one() -> None:
    d = leaves(5000)
    f = merkle.Frontier()
    f.extend(d[:1500])
    f.extend(d[1500:3072])
    g = merkle.Frontier(3072, f.nodes)
    g.extend(d[3072:])
    assert g.root() == merkle.root_of(d)


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 3000), st.data())
def test_large_trees(n: int, data: st.DataObject) -> None:
    d = leaves(n)
    root = merkle.root_of(d)
    m = data.draw(st.integers(0, n - 1))
    assert merkle.verify_inclusion(d[m], m, n, merkle.inclusion_path(d, m), root)
    old = data.draw(st.integers(1, n))
    assert merkle.verify_consistency(
        old, n, merkle.root_of(d[:old]), root, merkle.consistency_path(d, old)
    )


def test_bad_frontier_is_refused() -> None:
    with pytest.raises(ValueError, match="nodes"):
        merkle.Frontier(3, [H(b"x")])
