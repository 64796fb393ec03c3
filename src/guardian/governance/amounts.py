"""Amounts of spend, checked strictly: positive, finite, well-formed, stored as integer micros."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from guardian.core.errors import GuardianError

UNITS = ("tokens", "money", "calls")
MICROS = 10**6
#: No single amount (or cap) beyond a trillion units: larger is a bug or an attack, not a bill.
MAX_AMOUNT = Decimal(10**12)


class AmountError(GuardianError, ValueError):
    code = "invalid_amount"


def parse_amount(value: object, unit: str, *, allow_zero: bool = False) -> int:
    """`value` (int, Decimal or decimal string) in `unit`, as micros; AmountError naming the problem."""
    if unit not in UNITS:
        raise AmountError(f"unit must be one of {', '.join(UNITS)}, got {unit!r}")
    if isinstance(value, bool) or not isinstance(value, (int, str, Decimal)):
        raise AmountError(f"amount must be a number or a decimal string, got {type(value).__name__}"
                          + (" (floats are not exact; send a string)" if isinstance(value, float) else ""))  # fmt: skip
    try:
        amount = Decimal(value.strip() if isinstance(value, str) else value)
    except (InvalidOperation, ValueError):
        raise AmountError(f"amount {value!r} is not a decimal number") from None
    if not amount.is_finite():
        raise AmountError(f"amount {value!r} is not finite")
    if amount < 0 or (amount == 0 and not allow_zero):
        raise AmountError(f"amount must be positive, got {value!r}")
    if amount > MAX_AMOUNT:
        raise AmountError(f"amount {value!r} exceeds the maximum of {MAX_AMOUNT}")
    exponent = amount.as_tuple().exponent
    if not isinstance(exponent, int) or exponent < -6:
        raise AmountError(f"amount {value!r} has more than 6 decimal places")
    if unit != "money" and amount != amount.to_integral_value():
        raise AmountError(f"{unit} are counted in whole numbers, got {value!r}")
    return int(amount * MICROS)


def show(micros: int, unit: str, currency: str = "") -> str:
    value = Decimal(micros) / MICROS
    text = f"{value.normalize():f}" if unit == "money" else str(int(value))
    return f"{text} {currency}".rstrip() if unit == "money" else f"{text} {unit}"
