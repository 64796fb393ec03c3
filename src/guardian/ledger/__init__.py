"""The evidence ledger: append-only, hash-chained entries of every kind."""

from guardian.ledger.entry import GENESIS_HASH, Entry, EntryError
from guardian.ledger.memory import MemoryLedger
from guardian.ledger.store import Ledger

__all__ = ["GENESIS_HASH", "Entry", "EntryError", "Ledger", "MemoryLedger"]
