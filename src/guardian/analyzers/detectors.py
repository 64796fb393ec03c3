"""Credential and PII detectors shared by the email check and redaction.

One `scan(text)` finds every secret (AWS, GitHub, Slack, Stripe, sk-/sk-ant- keys, Google
API keys, JWTs, PEM private keys, password assignments) and every PII number (Luhn-valid
card, US SSN with a valid area, mod-97-valid IBAN) and returns spans, never values.

Why the patterns look the way they do:
* Regexes are tuned for linear time on 1 MiB inputs: lengths are bounded, runs are
  possessive (`*+`, `{m,n}+`), and costly scans are gated on a cheap substring test.
* Structured numbers are validated (Luhn, SSN area, IBAN checksum and country length,
  JWT header JSON) so dates, phone numbers, UUIDs and commit hashes do not trigger.
* Key prefixes are matched without word boundaries: gluing text to a key must not hide it.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

__all__ = [
    "CODES", "LABELS", "SECRET", "Hit", "iban_ok", "luhn_ok", "scan", "scan_visible", "ssn_ok",
]  # fmt: skip

SECRET = "secret"  # noqa: S105 - a finding code, not a credential
PII_CARD = "pii_card"
PII_SSN = "pii_ssn"
PII_IBAN = "pii_iban"
#: Every code a detector can report; `secret` is a DENY in email, the `pii_*` codes an ASK.
CODES = (SECRET, PII_CARD, PII_SSN, PII_IBAN)


class Hit(NamedTuple):
    """A detected span `[start, end)` of the scanned text, its detector kind and finding code."""

    start: int
    end: int
    kind: str
    code: str


_Span = tuple[int, int]
_Validator = Callable[[str, "re.Match[str]"], "_Span | None"]


@dataclass(frozen=True, slots=True)
class _Detector:
    kind: str
    code: str
    pattern: re.Pattern[str]
    hints: tuple[str, ...]  # the pattern can only match if one of these occurs in the text
    validate: _Validator | None = None
    lower_hints: bool = False  # hints are tested against the lower-cased text


def luhn_ok(digits: str) -> bool:
    """The Luhn checksum every payment card number satisfies (digits only)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def ssn_ok(area: str, group: str, serial: str) -> bool:
    """US SSN rules: area not 000, 666 or 9xx; group not 00; serial not 0000."""
    return area not in ("000", "666") and area[0] != "9" and group != "00" and serial != "0000"


# Country code -> IBAN length (ISO 13616 registry); an unknown country is not an IBAN.
_IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BI": 27, "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27,
    "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27,
    "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22,
    "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32,
    "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19,
    "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23, "PK": 24,
    "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24, "SC": 31,
    "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28, "TL": 23,
    "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}  # fmt: skip


def iban_ok(compact: str) -> bool:
    """ISO 13616: known country, right length, and mod-97 of the rearranged number is 1."""
    if _IBAN_LENGTHS.get(compact[:2]) != len(compact) or not compact.isalnum():
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


def _iban_span(text: str, m: re.Match[str]) -> _Span | None:
    """The first country-length characters of an IBAN-shaped match, valid or not."""
    # The match may run on into following upper-case words: keep exactly the country's length.
    want = _IBAN_LENGTHS.get(m.group()[:2])
    if want is None:
        return None
    chars: list[str] = []
    pos = m.start()
    stop = m.end()
    while pos < stop and len(chars) < want:
        if text[pos] != " ":
            chars.append(text[pos])
        pos += 1
    return (m.start(), pos) if len(chars) == want else None


def _jwt_header_ok(part: str) -> bool:
    try:
        raw = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
        header = json.loads(raw)
    except (binascii.Error, ValueError):  # UnicodeDecodeError and JSONDecodeError too
        return False
    return isinstance(header, dict) and isinstance(header.get("alg"), str)


def _jwt(text: str, m: re.Match[str]) -> _Span | None:
    return m.span() if _jwt_header_ok(m.group(1)) else None


_PEM_END = re.compile(r"-----END[A-Z0-9 ]{0,64}PRIVATE KEY(?: BLOCK)?-----")
# Base64 lines and "Proc-Type:"/"DEK-Info:" headers; a dash run of five starts the END line.
_PEM_BODY = re.compile(r"(?:[A-Za-z0-9+/=:,\s]|-(?!----)){0,65536}+")


def _pem(text: str, m: re.Match[str]) -> _Span | None:
    # Cover the armoured body up to the END line; without one, the base64 run that follows.
    body = _PEM_BODY.match(text, m.end())
    stop = body.end() if body else m.end()
    end = _PEM_END.match(text, stop)
    return m.start(), end.end() if end else stop


def _sk_key(text: str, m: re.Match[str]) -> _Span | None:
    # Real keys mix cases and digits; hyphenated prose such as "sk-learn-...-style" does not.
    body = m.group(1)
    if (
        any(c.isdigit() for c in body)
        and any(c.isupper() for c in body)
        and any(c.islower() for c in body)
    ):
        return m.span()
    return None


_PLACEHOLDER = re.compile(r"\[REDACTED|\*+$|\$\{|\{\{|<[^>]*>$|%s$")


def _password(text: str, m: re.Match[str]) -> _Span | None:
    group = "dq" if m.group("dq") is not None else "sq" if m.group("sq") is not None else "bare"
    if _PLACEHOLDER.match(m.group(group)):
        return None  # "password=****", "password: ${DB_PASSWORD}", already redacted
    return m.span(group)


_DETECTORS: tuple[_Detector, ...] = (
    _Detector("private_key", SECRET,
              re.compile(r"-----BEGIN[A-Z0-9 ]{0,64}PRIVATE KEY(?: BLOCK)?-----"),
              ("PRIVATE KEY",), _pem),
    _Detector("aws_access_key_id", SECRET, re.compile(r"(?:AKIA|ASIA)[A-Z0-9]{16}"),
              ("AKIA", "ASIA")),
    _Detector("github_token", SECRET,
              re.compile(r"gh[pousr]_[A-Za-z0-9]{30,255}+|github_pat_[A-Za-z0-9_]{22,255}+"),
              ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_")),
    _Detector("slack_token", SECRET, re.compile(r"xox[abposr]-[A-Za-z0-9-]{10,250}+"), ("xox",)),
    _Detector("stripe_live_key", SECRET, re.compile(r"[sr]k_live_[A-Za-z0-9]{10,247}+"),
              ("k_live_",)),
    _Detector("sk_api_key", SECRET,
              re.compile(r"sk-(?<![A-Za-z0-9_-]sk-)((?:ant-|proj-)?[A-Za-z0-9_-]{20,250}+)"),
              ("sk-",), _sk_key),
    _Detector("google_api_key", SECRET, re.compile(r"AIza[0-9A-Za-z_-]{35}"), ("AIza",)),
    _Detector("jwt", SECRET,
              # "e" then [wy]: base64 of "{" followed by a quote or whitespace.
              re.compile(r"(e(?<![A-Za-z0-9_-]e)[wy][A-Za-z0-9_-]{8,4096}+)"
                         r"\.[A-Za-z0-9_-]{2,65536}+\.[A-Za-z0-9_-]{0,4096}+"),
              (), _jwt),
    _Detector("password_assignment", SECRET,
              re.compile(r"(?i)(?:password|passwd|pwd)[\"']?[ \t]*+[:=][ \t]*+"
                         r"(?:\"(?P<dq>[^\"\r\n]{1,256}+)\"|'(?P<sq>[^'\r\n]{1,256}+)'"
                         r"|(?P<bare>[^\s\"']{1,256}+))"),
              ("password", "passwd", "pwd"), _password, lower_hints=True),
)  # fmt: skip

# IBANs have their own pass: every IBAN-shaped candidate, valid or not, also shields the
# digit groups inside it from being read as a card number.
_IBAN_SHAPE = re.compile(r"[A-Z](?<![A-Za-z0-9][A-Z])[A-Z][0-9]{2}(?: ?[A-Z0-9]){11,34}+")


def _scan_ibans(text: str, hits: list[Hit]) -> list[_Span]:
    shields: list[_Span] = []
    for m in _IBAN_SHAPE.finditer(text):
        span = _iban_span(text, m)
        if span is not None:
            shields.append(span)
            if iban_ok(text[span[0] : span[1]].replace(" ", "")):
                hits.append(Hit(span[0], span[1], "iban", PII_IBAN))
    return shields


# Numbers: one cheap pass finds runs of digits, spaces and dashes; cards and SSNs are then
# looked for only inside those runs, with boundaries that keep UUID and hash pieces out.
_NUMBER_RUN = re.compile(r"[0-9][0-9 -]{10,}+")
_CARD = re.compile(
    r"(?<![\w-])(?:[0-9]{13,19}|[0-9]{4}([ -])[0-9]{4}\1[0-9]{4}\1[0-9]{1,7}(?:\1[0-9]{1,3})?"
    r"|[0-9]{4}([ -])[0-9]{6}\2[0-9]{4,5})(?![\w-])"
)
_SSN = re.compile(r"(?<![\w-])([0-9]{3})([ -])([0-9]{2})\2([0-9]{4})(?![\w-])")


def _scan_numbers(text: str, hits: list[Hit], shields: list[_Span]) -> None:
    for run in _NUMBER_RUN.finditer(text):
        start, stop = run.start(), min(len(text), run.end() + 1)  # +1: see the boundary
        for m in _CARD.finditer(text, start, stop):
            if shields and any(a <= m.start() < b for a, b in shields):
                continue  # digit groups of an IBAN-shaped account number
            digits = m.group().replace(" ", "").replace("-", "")
            if 13 <= len(digits) <= 19 and digits[0] in "23456" and luhn_ok(digits):
                hits.append(Hit(m.start(), m.end(), "card_number", PII_CARD))
        for m in _SSN.finditer(text, start, stop):
            if shields and any(a <= m.start() < b for a, b in shields):
                continue
            if ssn_ok(m.group(1), m.group(3), m.group(4)):
                hits.append(Hit(m.start(), m.end(), "us_ssn", PII_SSN))


def _run(det: _Detector, text: str, hits: list[Hit]) -> None:
    search = det.pattern.search
    pos = 0
    while (m := search(text, pos)) is not None:
        span = det.validate(text, m) if det.validate is not None else m.span()
        if span is None:
            pos = m.start() + 1  # a rejected candidate must not swallow a real one after it
            continue
        hits.append(Hit(span[0], span[1], det.kind, det.code))
        pos = max(span[1], m.start() + 1)


def scan(text: str) -> list[Hit]:
    """Every detector hit in `text`, ordered by position; spans may overlap."""
    hits: list[Hit] = []
    lowered: str | None = None
    for det in _DETECTORS:
        if det.hints:
            if det.lower_hints:
                if lowered is None:
                    lowered = text.lower()
                hay = lowered
            else:
                hay = text
            for hint in det.hints:  # a plain loop: this runs ~25 times per scan
                if hint in hay:
                    break
            else:
                continue
        _run(det, text, hits)
    _scan_numbers(text, hits, _scan_ibans(text, hits))
    hits.sort(key=lambda h: (h.start, -h.end))
    return hits


# Zero-width and soft-hyphen characters: invisible to a reader, but they split a key so
# that no pattern matches. Text holding them is also scanned with them removed.
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u180e\u200b\u200c\u200d\u2060\ufeff"))


def scan_visible(text: str) -> tuple[str, list[Hit]]:
    """`scan(text)`, unless removing invisible characters reveals more: then the hits refer
    to the returned, cleaned text instead of `text`."""
    hits = scan(text)
    if text.isascii():
        return text, hits
    visible = text.translate(_INVISIBLE)
    if visible == text:
        return text, hits
    more = scan(visible)
    return (visible, more) if len(more) > len(hits) else (text, hits)


#: Human names for detector kinds, used in finding messages.
LABELS: dict[str, str] = {
    "private_key": "PEM private key",
    "aws_access_key_id": "AWS access key id",
    "github_token": "GitHub token",
    "slack_token": "Slack token",
    "stripe_live_key": "Stripe live key",
    "sk_api_key": "OpenAI/Anthropic-style API key",
    "google_api_key": "Google API key",
    "jwt": "JSON Web Token",
    "password_assignment": "password assignment",
    "iban": "IBAN",
    "card_number": "payment card number",
    "us_ssn": "US social security number",
}
