"""Ledger tests: stores, mirror, verification, checkpoints, crash safety, CLI."""
