"""Relational state beside the ledger (proposals, tokens, budgets, ...), through SQLAlchemy Core."""
