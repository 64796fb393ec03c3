"""The JSONL mirror: every committed record, one canonical line each, appended and fsync'd.

The store is the source of truth; the mirror trails it by at most the batch being written. Every
write takes an exclusive `flock`, looks at the file's tail (cached while the file size is what this
process last left), cuts a torn last line, re-appends whatever the store has that the file lacks,
then appends the new lines (their fdatasync is the caller's, through `sync_handle`; repairs are
synced at once). So several processes can share one mirror, a crash
between the database commit and the mirror write heals on the next write, and opening is the
same operation with nothing new to add (`reconcile`).
"""

from __future__ import annotations

import fcntl
import logging
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from guardian.ledger.errors import MirrorError
from guardian.ledger.files import fsync_dir, write_all

log = logging.getLogger("guardian.ledger")

#: fill(after, before) -> the store's (key, line) records with after < key < before, in key order;
#: `before=None` means no upper bound.
Fill = Callable[[int, "int | None"], Iterable[tuple[int, bytes]]]
#: head() -> the store's last (key, hash); (0, None) when it is empty.
Head = Callable[[], "tuple[int, str | None]"]

_TAIL_READ = 64 * 1024


@dataclass(slots=True)
class MirrorRepair:
    """What a sync or write had to fix: a torn last line cut off, lines re-appended from the store."""

    path: str
    torn_offset: int | None = None
    torn_bytes: int = 0
    appended: int = 0
    notes: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.torn_bytes or self.appended)

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "torn_offset": self.torn_offset,
            "torn_bytes": self.torn_bytes,
            "appended": self.appended,
            "notes": list(self.notes),
        }


class JsonlMirror:
    """One append-only JSONL file keyed by an increasing integer field (`seq` or `tree_size`).

    `chained=True` (entry mirrors) also checks that the first line written links, by `prev_hash`,
    to the file's last line: a mirror and a store that disagree is an error, never silently mixed.
    """

    def __init__(self, path: Path, *, key_field: str = "seq", chained: bool = True) -> None:
        self.path = path
        self._key_field = key_field
        self._chained = chained
        self._fd = -1
        self._ino = -1
        self._size = -1  # file size when this process last looked; -1: unknown
        self._last_key = 0
        self._last_hash: str | None = None
        self._open()

    def _open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        created = not self.path.exists()
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o644)
        self._ino = os.fstat(self._fd).st_ino
        self._size = -1
        if created:
            fsync_dir(self.path.parent)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def reconcile(self, head: Head, fill: Fill) -> MirrorRepair:
        """Bring the file level with the store. `head()` gives the store's last (key, hash), (0,
        None) when empty; it is read under the file lock, after which no other process can add a
        line the store does not have, so a file ahead of it really means the store lost data."""
        return self._write([], fill, head=head)

    def append(self, records: Sequence[tuple[int, bytes]], fill: Fill) -> MirrorRepair:
        """Append newly committed records (ascending keys), first re-appending any the file lacks.
        The new lines are not synced here: run `sync_handle()`'s step for that."""
        return self._write(records, fill)

    def sync_handle(self) -> Callable[[], None]:
        """A one-shot fdatasync of everything written so far, safe to run on another thread
        while the next batch writes (it holds its own duplicate of the file descriptor)."""
        if self._fd < 0:
            raise MirrorError(f"mirror {self.path} is closed")
        fd = os.dup(self._fd)

        def sync() -> None:
            try:
                os.fdatasync(fd)
            finally:
                os.close(fd)

        return sync

    def _write(
        self,
        records: Sequence[tuple[int, bytes]],
        fill: Fill,
        *,
        head: Head | None = None,
    ) -> MirrorRepair:
        if self._fd < 0:
            raise MirrorError(f"mirror {self.path} is closed")
        repair = MirrorRepair(str(self.path))
        self._reopen_if_replaced(repair)
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        try:
            head_key, head_hash = head() if head is not None else (None, None)
            self._write_locked(repair, records, fill, head_key, head_hash)
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        if repair.torn_bytes or (repair and head is not None):
            log.warning("ledger mirror %s repaired: %s", self.path, "; ".join(repair.notes))
        elif repair:  # another process committed first and has not written its lines yet
            log.debug("ledger mirror %s: %s", self.path, "; ".join(repair.notes))
        return repair

    def _write_locked(
        self,
        repair: MirrorRepair,
        records: Sequence[tuple[int, bytes]],
        fill: Fill,
        head_key: int | None,
        head_hash: str | None,
    ) -> None:
        self._read_tail(repair)
        target = head_key if head_key is not None else (records[-1][0] if records else 0)
        if head_key is not None and self._last_key > head_key:
            raise MirrorError(
                f"mirror {self.path} ends at {self._key_field} {self._last_key} but the store ends "
                f"at {head_key}: the database lost entries; rebuild it with "
                f"`guardian ledger restore {self.path}`"
            )
        if head_key is not None and self._last_key == head_key and head_hash is not None:
            if self._chained and self._last_key and self._last_hash != head_hash:
                raise MirrorError(
                    f"mirror {self.path} and the store disagree at {self._key_field} {head_key} "
                    f"(hash {self._last_hash} vs {head_hash}); run `guardian ledger verify` on both"
                )
        if target <= self._last_key:
            return
        new = [r for r in records if r[0] > self._last_key]
        before = new[0][0] if new else None
        missing = (
            list(fill(self._last_key, before)) if not new or before != self._last_key + 1 else []
        )
        if head_key is not None:
            missing = [r for r in missing if r[0] <= head_key]
        lines = missing + new
        if not lines:
            return
        self._check_link(lines[0][1])
        write_all(self._fd, b"".join(line for _, line in lines))
        if missing:  # repairs are made durable at once
            os.fdatasync(self._fd)
        repair.appended = len(missing)
        if missing:
            repair.notes.append(
                f"re-appended {len(missing)} line(s) from the store "
                f"({self._key_field} {missing[0][0]}..{missing[-1][0]})"
            )
        self._size = os.fstat(self._fd).st_size
        self._last_key = lines[-1][0]
        self._last_hash = self._hash_of(lines[-1][1])

    def _reopen_if_replaced(self, repair: MirrorRepair) -> None:
        try:
            same = os.stat(self.path).st_ino == self._ino
        except FileNotFoundError:
            same = False
        if not same:
            os.close(self._fd)
            self._open()
            repair.notes.append(f"{self.path} was replaced or removed; reopened it")

    def _read_tail(self, repair: MirrorRepair) -> None:
        """Find the last complete line's key and hash; cut a torn (newline-less) tail."""
        size = os.fstat(self._fd).st_size
        if size == self._size:
            return
        end, data = size, b""
        while True:  # read backwards until the last line (and what precedes it) is in `data`
            start = max(0, end - _TAIL_READ)
            data = os.pread(self._fd, end - start, start) + data
            end = start
            body_end = data.rfind(b"\n") if not data.endswith(b"\n") else len(data) - 1
            if start == 0 or (body_end > 0 and data.rfind(b"\n", 0, body_end) >= 0):
                break
        if not data.endswith(b"\n"):
            cut = end + data.rfind(b"\n") + 1
            repair.torn_offset, repair.torn_bytes = cut, size - cut
            repair.notes.append(f"cut a torn last line of {size - cut} byte(s) at offset {cut}")
            os.ftruncate(self._fd, cut)
            os.fsync(self._fd)
            data = data[: cut - end]
            size = cut
        if not data:
            self._size, self._last_key, self._last_hash = size, 0, None
            return
        line_start = data.rfind(b"\n", 0, len(data) - 1) + 1
        key, digest = self._parse(data[line_start:], size - (len(data) - line_start))
        self._size, self._last_key, self._last_hash = size, key, digest

    def _parse(self, line: bytes, offset: int) -> tuple[int, str | None]:
        try:
            record = orjson.loads(line)
            key = record[self._key_field]
            digest = record.get("hash") if self._chained else None
        except (orjson.JSONDecodeError, TypeError, KeyError, AttributeError):
            raise MirrorError(
                f"the last line of mirror {self.path} (offset {offset}) is complete but not a valid "
                f"record; run `guardian ledger verify {self.path}`"
            ) from None
        if type(key) is not int:
            raise MirrorError(
                f"the last line of mirror {self.path} has no integer {self._key_field}"
            )
        return key, digest if isinstance(digest, str) else None

    def _hash_of(self, line: bytes) -> str | None:
        return self._parse(line, -1)[1] if self._chained else None

    def _check_link(self, first_line: bytes) -> None:
        if not self._chained or not self._last_key:
            return
        prev = orjson.loads(first_line).get("prev_hash")
        if prev != self._last_hash:
            raise MirrorError(
                f"mirror {self.path} ends with hash {self._last_hash} at {self._key_field} "
                f"{self._last_key}, but the store's next entry links to {prev}: they have diverged"
            )
