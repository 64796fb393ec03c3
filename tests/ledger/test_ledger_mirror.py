"""The JSONL mirror beside a SQLite ledger: written on every commit, repaired on open."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from guardian.ledger.checkpoint import checkpoints_path
from guardian.ledger.durable import DurableLedger
from guardian.ledger.errors import MirrorError
from guardian.ledger.open import open_ledger
from guardian.ledger.restore import RestoreError, restore
from guardian.ledger.verify import verify_jsonl, verify_sqlite

from .ledgerkit import decision_payload

KEY = Ed25519PrivateKey.generate()


def open_at(db: Path, **kwargs: object) -> DurableLedger:
    kwargs.setdefault("signing_key", KEY)
    ledger = open_ledger(f"sqlite:///{db}", **kwargs)  # type: ignore[arg-type]
    assert isinstance(ledger, DurableLedger)
    return ledger


def fill(db: Path, n: int, **kwargs: object) -> list[bytes]:
    ledger = open_at(db, **kwargs)
    entries = [ledger.append("decision", decision_payload(i)) for i in range(n)]
    ledger.close()
    return [e.line() for e in entries]


def test_mirror_holds_every_committed_entry(tmp_path: Path) -> None:
    db = tmp_path / "guardian.db"
    lines = fill(db, 25, checkpoint_every=10)
    mirror = tmp_path / "ledger.jsonl"
    assert mirror.read_bytes() == b"".join(lines)
    assert verify_jsonl(mirror, public_key=KEY.public_key()).ok
    cps = checkpoints_path(mirror).read_text().splitlines()
    assert len(cps) == 2  # at 10 and 20 entries


def test_other_names_get_their_own_mirror(tmp_path: Path) -> None:
    fill(tmp_path / "audit.db", 3)
    assert len((tmp_path / "audit.jsonl").read_bytes().splitlines()) == 3
    fill(tmp_path / "x.db", 2, mirror=tmp_path / "elsewhere.jsonl")
    assert len((tmp_path / "elsewhere.jsonl").read_bytes().splitlines()) == 2
    fill(tmp_path / "none.db", 2, mirror=False)
    assert not (tmp_path / "none.jsonl").exists()


def test_torn_last_line_is_cut_and_rewritten(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db, mirror = tmp_path / "guardian.db", tmp_path / "ledger.jsonl"
    lines = fill(db, 5)
    with mirror.open("ab") as f:  # a crash in the middle of writing entry 6's line...
        f.write(b'{"hash":"0123')
    with caplog.at_level(logging.WARNING, logger="guardian.ledger"):
        ledger = open_at(db)
    [repair] = ledger.repairs
    assert (repair.torn_offset, repair.torn_bytes, repair.appended) == (len(b"".join(lines)), 13, 0)
    assert "torn" in caplog.text
    ledger.append("decision", decision_payload(99))
    ledger.close()
    assert verify_jsonl(mirror, public_key=KEY.public_key()).entries == 6


def test_torn_line_of_a_committed_entry_is_restored_from_the_store(tmp_path: Path) -> None:
    db, mirror = tmp_path / "guardian.db", tmp_path / "ledger.jsonl"
    lines = fill(db, 5)
    mirror.write_bytes(b"".join(lines)[:-30])  # entry 5 committed, its line torn
    ledger = open_at(db)
    [repair] = ledger.repairs
    assert repair.torn_bytes == len(lines[-1]) - 30 and repair.appended == 1
    ledger.close()
    assert mirror.read_bytes() == b"".join(lines)


def test_missing_tail_lines_are_re_appended(tmp_path: Path) -> None:
    db, mirror = tmp_path / "guardian.db", tmp_path / "ledger.jsonl"
    lines = fill(db, 8)
    mirror.write_bytes(b"".join(lines[:3]))
    ledger = open_at(db)
    assert [r.appended for r in ledger.repairs] == [5]
    ledger.close()
    assert mirror.read_bytes() == b"".join(lines)


def test_a_deleted_mirror_is_rebuilt(tmp_path: Path) -> None:
    db, mirror = tmp_path / "guardian.db", tmp_path / "ledger.jsonl"
    lines = fill(db, 4)
    mirror.unlink()
    fill(db, 1)
    assert mirror.read_bytes().startswith(b"".join(lines))
    assert verify_jsonl(mirror).entries == 5


def test_mirror_replaced_while_open_is_reopened(tmp_path: Path) -> None:
    db, mirror = tmp_path / "guardian.db", tmp_path / "ledger.jsonl"
    ledger = open_at(db)
    ledger.append("decision", decision_payload(1))
    mirror.unlink()
    ledger.append("decision", decision_payload(2))
    ledger.close()
    assert verify_jsonl(mirror).entries == 2


def test_mirror_ahead_of_the_database_is_an_error(tmp_path: Path) -> None:
    db, mirror = tmp_path / "guardian.db", tmp_path / "ledger.jsonl"
    fill(db, 4)
    for suffix in ("", "-wal", "-shm"):  # the database is lost; the mirror survives
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    with pytest.raises(MirrorError, match="guardian ledger restore"):
        open_at(db)
    assert len(mirror.read_bytes().splitlines()) == 4  # left untouched


def test_diverged_mirror_is_an_error(tmp_path: Path) -> None:
    db, mirror = tmp_path / "guardian.db", tmp_path / "ledger.jsonl"
    fill(db, 3)
    other = tmp_path / "other"
    other.mkdir()
    fill(other / "guardian.db", 3)
    mirror.write_bytes((other / "ledger.jsonl").read_bytes())
    with pytest.raises(MirrorError, match="disagree"):
        open_at(db)


def test_restore_rebuilds_a_lost_database(tmp_path: Path) -> None:
    db, mirror = tmp_path / "guardian.db", tmp_path / "ledger.jsonl"
    lines = fill(db, 30, checkpoint_every=7)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    report = restore(mirror, f"sqlite:///{db}", public_key=KEY.public_key())
    assert (report.entries, report.checkpoints, report.verified.ok) == (30, 4, True)
    assert verify_sqlite(db, public_key=KEY.public_key()).checkpoints == 4
    ledger = open_at(db, checkpoint_every=7)
    assert ledger.repairs == []  # the mirror already matches
    nxt = ledger.append("decision", decision_payload(31))
    assert nxt.seq == 31
    assert ledger.prove(31).problem() is None  # the frontier carried over
    ledger.close()
    assert mirror.read_bytes().startswith(b"".join(lines))
    with pytest.raises(RestoreError, match="not empty"):
        restore(mirror, f"sqlite:///{db}")


def test_restore_refuses_a_damaged_file(tmp_path: Path) -> None:
    db, mirror = tmp_path / "guardian.db", tmp_path / "ledger.jsonl"
    lines = fill(db, 5)
    mirror.write_bytes(b"".join(lines[:2] + lines[3:]))
    with pytest.raises(RestoreError, match="gap"):
        restore(mirror, f"sqlite:///{tmp_path / 'new.db'}")


def test_mirror_write_failure_reports_the_committed_entry(tmp_path: Path) -> None:
    db, mirror = tmp_path / "guardian.db", tmp_path / "ledger.jsonl"
    ledger = open_at(db)
    ledger.append("decision", decision_payload(1))
    writer = ledger._writer
    assert writer is not None and writer.mirror is not None
    os.close(writer.mirror._fd)  # the disk goes away under the mirror
    writer.mirror._fd = os.open(os.devnull, os.O_RDONLY)
    writer.mirror._ino = os.stat(mirror).st_ino
    with pytest.raises(MirrorError) as caught:
        ledger.append("decision", decision_payload(2))
    assert caught.value.entry is not None and caught.value.entry.seq == 2
    assert ledger.count() == 2  # committed all the same
    writer.mirror.close()
    writer.mirrors.entries = None
    ledger.close()
    again = open_at(db)
    assert [r.appended for r in again.repairs] == [1]
    again.close()
