"""Real processes: kill -9 under load, and several processes appending to one ledger."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

from guardian.ledger.checkpoint import load_public_key
from guardian.ledger.durable import DurableLedger
from guardian.ledger.open import open_ledger
from guardian.ledger.verify import verify_jsonl, verify_postgres, verify_sqlite

APPENDER = Path(__file__).with_name("appender.py")
SRC = Path(__file__).resolve().parents[2] / "src"


def spawn(url: str, threads: int, per: int, tag: str, cwd: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
    }
    return subprocess.Popen(
        [sys.executable, str(APPENDER), url, str(threads), str(per), tag],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd, env=env,
    )  # fmt: skip


def acknowledged(output: bytes) -> dict[int, str]:
    acked = {}
    for line in output.splitlines():
        if line != b"ready":
            seq, digest = line.split()
            acked[int(seq)] = digest.decode()
    return acked


def wait_ready(proc: subprocess.Popen[bytes]) -> None:
    assert proc.stdout is not None
    first = proc.stdout.readline()
    if first != b"ready\n":
        proc.kill()
        raise AssertionError(f"appender failed: {first!r} {proc.communicate()[1].decode()}")


@pytest.mark.slow
def test_kill_9_while_appending_from_8_threads(tmp_path: Path) -> None:
    db = tmp_path / "guardian.db"
    url = f"sqlite:///{db}"
    acked: dict[int, str] = {}
    repaired = 0
    rng = random.Random(1234)
    for run in range(20):
        proc = spawn(url, 8, 0, f"run{run}", tmp_path)
        wait_ready(proc)
        time.sleep(rng.uniform(0.02, 0.4))
        proc.kill()  # SIGKILL: no cleanup, no flush, at a random instant
        out, err = proc.communicate()
        assert proc.returncode == -9, err.decode()
        acked.update(acknowledged(out))

        ledger = open_ledger(url)  # reopening repairs the mirror
        assert isinstance(ledger, DurableLedger)
        repaired += len(ledger.repairs)
        for seq, digest in acked.items():
            entry = ledger.get(seq)
            assert entry is not None and entry.hash == digest, f"run {run}: acknowledged {seq} lost"
        count = ledger.count()
        ledger.close()
        pub = load_public_key((tmp_path / "signing.pub").read_bytes())
        db_report = verify_sqlite(db, public_key=pub)
        assert db_report.ok, db_report.detail
        mirror_report = verify_jsonl(tmp_path / "ledger.jsonl", public_key=pub)
        assert mirror_report.ok and mirror_report.entries == count, mirror_report.detail
        assert mirror_report.head_hash == db_report.head_hash
    assert len(acked) > 100, "the runs acknowledged too little to mean anything"


@pytest.mark.slow
def test_four_processes_share_one_sqlite_file(tmp_path: Path) -> None:
    db = tmp_path / "guardian.db"
    url = f"sqlite:///{db}"
    open_ledger(url).close()  # create schema and key once, as a deployment would
    procs = [spawn(url, 4, 250, f"p{p}", tmp_path) for p in range(4)]
    outputs = [p.communicate(timeout=300) for p in procs]
    for p, (_, err) in zip(procs, outputs, strict=True):
        assert p.returncode == 0, err.decode()
    acked = [acknowledged(out) for out, _ in outputs]
    assert [len(a) for a in acked] == [1000] * 4
    merged: dict[int, str] = {}
    for a in acked:
        assert not merged.keys() & a.keys(), "two processes were acknowledged the same seq: a fork"
        merged.update(a)
    assert sorted(merged) == list(range(1, 4001))
    pub = load_public_key((tmp_path / "signing.pub").read_bytes())
    report = verify_sqlite(db, public_key=pub)
    assert report.ok and report.entries == 4000 and report.checkpoints >= 39, report
    mirror = verify_jsonl(tmp_path / "ledger.jsonl", public_key=pub)
    assert mirror.ok and mirror.head_hash == report.head_hash, mirror


@pytest.mark.slow
@pytest.mark.postgres
def test_two_processes_share_one_postgres(postgres_db: str, tmp_path: Path) -> None:
    open_ledger(postgres_db, signing_key=tmp_path / ".guardian" / "signing.key").close()
    procs = [spawn(postgres_db, 4, 150, f"p{p}", tmp_path) for p in range(2)]
    outputs = [p.communicate(timeout=300) for p in procs]
    for p, (_, err) in zip(procs, outputs, strict=True):
        assert p.returncode == 0, err.decode()
    merged: dict[int, str] = {}
    for out, _ in outputs:
        a = acknowledged(out)
        assert len(a) == 600 and not merged.keys() & a.keys()
        merged.update(a)
    assert sorted(merged) == list(range(1, 1201))
    pub = load_public_key((tmp_path / ".guardian" / "signing.pub").read_bytes())
    report = verify_postgres(postgres_db, public_key=pub)
    assert report.ok and report.entries == 1200 and report.checkpoints >= 11, report
