"""Outgoing email check: secrets DENY, PII and outside recipients ASK.

An agent that can send email can leak credentials or personal data in one call, so the
body, subject and recipient strings are scanned with the shared detectors, and every
recipient is parsed (display-name forms included) and compared against the internal
domains. Anything that cannot be parsed is refused rather than guessed at.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from email.utils import getaddresses
from functools import lru_cache

from guardian.analyzers import detectors
from guardian.analyzers.inputs import INPUT_INVALID, INPUT_TOO_LARGE, text_problem
from guardian.analyzers.verdict import Finding, Verdict, guarded
from guardian.core.decision import Decision

__all__ = [
    "EXTERNAL_RECIPIENT",
    "INVALID_RECIPIENT",
    "MAX_EMAIL_BODY_CHARS",
    "MAX_EMAIL_HEADER_CHARS",
    "check_email",
]

#: Bodies longer than this (in characters) are refused with `input_too_large`.
MAX_EMAIL_BODY_CHARS = 1 << 20
#: The subject, and all recipient strings together, may not exceed this many characters.
MAX_EMAIL_HEADER_CHARS = 1 << 16

EXTERNAL_RECIPIENT = "external_recipient"
INVALID_RECIPIENT = "invalid_recipient"

_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_DOMAIN = re.compile(rf"(?:{_LABEL}\.)+{_LABEL}")
_LOCAL_PART = re.compile(r"[^\s@<>()\[\]\\,;:\"]{1,64}")


@guarded("email")
def check_email(
    to: str | Sequence[str],
    subject: str,
    body: str,
    *,
    internal_domains: str | Sequence[str] = ("example.com",),
) -> Verdict:
    """Judge an outgoing email. See docs/analyzers.md for codes and examples."""
    recipients = [to] if isinstance(to, str) else to
    problems = _input_problems(recipients, subject, body)
    if problems:
        return Verdict.of(problems)
    assert isinstance(recipients, (list, tuple))  # narrowed by _input_problems
    internal = _domain_list(internal_domains)
    if isinstance(internal, Finding):
        return Verdict.of((internal,))
    findings = _recipient_findings(recipients, internal)
    findings.extend(_content_findings("to", ", ".join(recipients)))
    findings.extend(_content_findings("subject", subject))
    findings.extend(_content_findings("body", body))
    return Verdict.of(findings)


def _input_problems(recipients: object, subject: object, body: object) -> list[Finding]:
    problems: list[Finding] = []
    if not isinstance(recipients, (list, tuple)):
        problems.append(
            Finding.deny(
                INPUT_INVALID,
                f"to: expected a string or a list of strings, got {type(recipients).__name__}",
            )
        )
    else:
        total = 0
        for i, rcpt in enumerate(recipients):
            bad = text_problem(
                rcpt, field=f"to[{i}]", limit=MAX_EMAIL_HEADER_CHARS, single_line=True
            )
            if bad is not None:
                problems.append(bad)
            elif isinstance(rcpt, str):
                total += len(rcpt)
        if total > MAX_EMAIL_HEADER_CHARS:
            problems.append(
                Finding.deny(
                    INPUT_TOO_LARGE,
                    f"to: {total} characters exceeds the limit of {MAX_EMAIL_HEADER_CHARS}",
                )
            )
    for field, value, limit, single in (
        ("subject", subject, MAX_EMAIL_HEADER_CHARS, True),
        ("body", body, MAX_EMAIL_BODY_CHARS, False),
    ):
        bad = text_problem(value, field=field, limit=limit, single_line=single)
        if bad is not None:
            problems.append(bad)
    return problems


def _domain_list(value: object) -> tuple[str, ...] | Finding:
    if isinstance(value, str):
        value = (value,)
    if not isinstance(value, Iterable) or isinstance(value, (bytes, bytearray, Mapping)):
        return Finding.deny(INPUT_INVALID, "internal_domains: expected a list of domain names")
    domains = tuple(value)
    bad = [type(d).__name__ for d in domains if not isinstance(d, str)]
    if bad:
        return Finding.deny(INPUT_INVALID, f"internal_domains: expected domain names, got {bad[0]}")
    return _normalised(domains)  # empty: every recipient is external


@lru_cache(maxsize=64)
def _normalised(domains: tuple[str, ...]) -> tuple[str, ...]:
    """Lower-case, without "@" or dots at the ends; cached because callers reuse them."""
    return tuple(c for d in domains if (c := d.strip().lstrip("@.").rstrip(".").lower()))


def _is_internal(domain: str, internal: tuple[str, ...]) -> bool:
    # Sub-domains are internal; "evilexample.com" and "example.com.evil.io" are not.
    return any(domain == d or domain.endswith("." + d) for d in internal)


# `user@host` or `Plain Name <user@host>`: parsed directly, as getaddresses would; anything
# else (quotes, comments, several addresses, odd characters) goes through getaddresses.
_SIMPLE = re.compile(
    r"(?:([A-Za-z0-9 ._'-]*?) *<)?([^\s@<>()\[\]\\,;:\"]{1,64}@[A-Za-z0-9.-]{1,253})(?(1)>)"
)


def _parse(recipients: Sequence[str]) -> list[tuple[str, str]]:
    parsed: list[tuple[str, str]] = []
    for rcpt in recipients:
        m = _SIMPLE.fullmatch(rcpt.strip())
        if m is not None:
            parsed.append(((m.group(1) or "").strip(), m.group(2)))
        else:
            parsed.extend(getaddresses([rcpt]))
    return parsed


def _recipient_findings(recipients: Sequence[str], internal: tuple[str, ...]) -> list[Finding]:
    findings: list[Finding] = []
    parsed = _parse(recipients)
    if not parsed:
        return [Finding.deny(INVALID_RECIPIENT, "to: no recipients")]
    external: list[str] = []
    for i, (_name, addr) in enumerate(parsed, start=1):
        local, at, domain = addr.rpartition("@")
        domain = domain.lower()
        if domain.endswith("."):
            domain = domain[:-1]
        if not (at and _LOCAL_PART.fullmatch(local) and _DOMAIN.fullmatch(domain)):
            # Empty or half-parsed entries are how ambiguous headers show up; refuse them.
            findings.append(
                Finding.deny(
                    INVALID_RECIPIENT,
                    f"to: recipient #{i} is not a plain address (user@domain, ASCII domain)",
                )
            )
        elif not _is_internal(domain, internal) and domain not in external:
            external.append(domain)
            findings.append(
                Finding.ask(
                    EXTERNAL_RECIPIENT,
                    f"to: recipient #{i} at {domain} is outside the internal domains",
                )
            )
    return findings


def _content_findings(field: str, text: str) -> list[Finding]:
    """One finding per detector kind in `field`: its first offset and how many more."""
    scanned, hits = detectors.scan_visible(text)
    note = "" if scanned is text else " (once invisible characters are removed)"
    first: dict[str, detectors.Hit] = {}
    counts: dict[str, int] = {}
    for hit in hits:
        first.setdefault(hit.kind, hit)
        counts[hit.kind] = counts.get(hit.kind, 0) + 1
    findings: list[Finding] = []
    for kind, hit in first.items():
        more = counts[kind] - 1
        message = f"{field}: {detectors.LABELS[kind]} at offset {hit.start}{note}"
        if more:
            message += f" (and {more} more)"
        decision = Decision.DENY if hit.code == detectors.SECRET else Decision.ASK
        findings.append(Finding(hit.code, message, decision))
    return findings
