"""A durable store's two JSONL mirrors (entries, checkpoints) and when their fdatasync runs.

Lines are written only after the database's own fsync of their batch (the writer's sync step, which
the group committer runs in commit order), so a mirror never holds an entry the store could lose
in a crash. Their fdatasync then runs before the answer (`before_ack`) or behind it on the
background syncer (`background`, the default; see mirrorsync.py for why).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from guardian.ledger.checkpoint import checkpoints_path
from guardian.ledger.errors import LedgerError, MirrorError
from guardian.ledger.mirror import Fill, Head, JsonlMirror, MirrorRepair
from guardian.ledger.mirrorsync import MirrorSyncer

#: When the mirror's fdatasync runs: behind the answer (the database commit is what makes an entry
#: durable; the mirror is reconciled from it on open), or before it.
MIRROR_SYNC_MODES = ("background", "before_ack")

Lines = Sequence[tuple[int, bytes]]


class Mirrors:
    def __init__(self, mode: str) -> None:
        if mode not in MIRROR_SYNC_MODES:
            raise LedgerError(f"mirror_sync must be one of {MIRROR_SYNC_MODES}, got {mode!r}")
        self._mode = mode
        self.entries: JsonlMirror | None = None
        self.checkpoints: JsonlMirror | None = None
        self._syncer: MirrorSyncer | None = None
        self._fill_entries: Fill | None = None
        self._fill_checkpoints: Fill | None = None

    def open(
        self, path: Path, entries: tuple[Head, Fill], checkpoints: tuple[Head, Fill] | None
    ) -> list[MirrorRepair]:
        """Open the mirror files and bring them level with the store (`checkpoints`: None when
        the store signs none and has no checkpoint file: then there is no checkpoint mirror)."""
        self.entries = JsonlMirror(path)
        self._fill_entries = entries[1]
        repairs = [self.entries.reconcile(*entries)]
        if checkpoints is not None:
            self.checkpoints = JsonlMirror(
                checkpoints_path(path), key_field="tree_size", chained=False
            )
            self._fill_checkpoints = checkpoints[1]
            repairs.append(self.checkpoints.reconcile(*checkpoints))
        if self._mode == "background":
            self._syncer = MirrorSyncer()
        return [r for r in repairs if r]

    def write(self, lines: Lines, checkpoint_lines: Lines) -> None:
        """Append one durable batch's lines and sync them per the mode; MirrorError if anything
        failed (now, or a background fdatasync since the last call)."""
        syncs: list[Callable[[], None]] = []
        try:
            if self.entries is not None and lines and self._fill_entries is not None:
                self.entries.append(lines, self._fill_entries)
                syncs.append(self.entries.sync_handle())
            if self.checkpoints is not None and checkpoint_lines and self._fill_checkpoints:
                self.checkpoints.append(checkpoint_lines, self._fill_checkpoints)
                syncs.append(self.checkpoints.sync_handle())
        except (OSError, MirrorError) as exc:
            for one in syncs:  # release the duplicated descriptors
                one()
            raise MirrorError(f"the mirror write failed: {exc}") from exc
        if self._syncer is None:
            try:
                for one in syncs:
                    one()
            except OSError as exc:
                raise MirrorError(f"the mirror's fdatasync failed: {exc}") from exc
            return
        if syncs:
            self._syncer.submit(syncs)
        failure = self._syncer.take_failure()
        if failure is not None:
            raise MirrorError(f"the mirror's background fdatasync failed: {failure}") from failure

    def flush(self) -> None:
        """Wait until every mirror line written so far is fdatasync'd."""
        if self._syncer is not None:
            self._syncer.flush()

    def close(self) -> None:
        if self._syncer is not None:
            self._syncer.close()
        for mirror in (self.entries, self.checkpoints):
            if mirror is not None:
                mirror.close()
