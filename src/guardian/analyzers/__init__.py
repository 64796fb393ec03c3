"""Risk analyzers: pure, deterministic checks that turn an agent's action into a Verdict.

* `check_sql` - one SQL query against a sensitivity map and a row limit.
* `check_email` - an outgoing email: secrets, PII, recipients outside internal domains.
* `check_path` - a file path against allowed roots and secret-bearing file names.
* `redact` - strip secrets and PII from any nested value, reporting what was removed.

Every analyzer fails closed: bad input and internal errors give DENY, never an exception.
"""

from guardian.analyzers.email import MAX_EMAIL_BODY_CHARS, MAX_EMAIL_HEADER_CHARS, check_email
from guardian.analyzers.paths import MAX_PATH_CHARS, check_path
from guardian.analyzers.redact import (
    MAX_REDACT_CHARS,
    MAX_REDACT_DEPTH,
    Redaction,
    RedactionResult,
    redact,
)
from guardian.analyzers.sql import MAX_SQL_CHARS, SUGGESTED_SENSITIVE_PATTERNS, check_sql
from guardian.analyzers.sql_facts import MAX_SQL_NESTING
from guardian.analyzers.verdict import Finding, Verdict

__all__ = [
    "MAX_EMAIL_BODY_CHARS",
    "MAX_EMAIL_HEADER_CHARS",
    "MAX_PATH_CHARS",
    "MAX_REDACT_CHARS",
    "MAX_REDACT_DEPTH",
    "MAX_SQL_CHARS",
    "MAX_SQL_NESTING",
    "SUGGESTED_SENSITIVE_PATTERNS",
    "Finding",
    "Redaction",
    "RedactionResult",
    "Verdict",
    "check_email",
    "check_path",
    "check_sql",
    "redact",
]
