"""Exact quantities. Stock is counted in a SKU's base unit with the decimals that unit allows; never floats."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from stockyard.domain.errors import InvalidInput

# The finest step any quantity or measure may have; storage is exact to this many decimals.
MAX_DECIMALS = 6
MAX_QUANTITY = Decimal("1000000000000")  # 10^12 base units: far beyond any bucket, inside 64-bit storage


def parse_decimal(value: object, field: str) -> Decimal:
    """A Decimal from a string, int or Decimal; floats are refused because they are not exact."""
    if isinstance(value, bool | float):
        raise InvalidInput("must be given as a decimal string or an integer, not a float", field=field)
    try:
        number = Decimal(str(value)) if not isinstance(value, Decimal) else value
    except (InvalidOperation, ValueError):
        raise InvalidInput(f"{value!r} is not a number", field=field) from None
    if not number.is_finite():
        raise InvalidInput("must be a finite number", field=field)
    return number


def decimals_of(number: Decimal) -> int:
    """Significant decimals, counted exactly: ``normalize()`` would first round to the context's 28 digits, so
    1.00000000000000000000000000001 would count as 0 decimals and be stored as 1."""
    _, digits, exponent = number.as_tuple()
    assert isinstance(exponent, int)
    if not any(digits):
        return 0
    trailing_zeros = len(digits) - len("".join(map(str, digits)).rstrip("0"))
    return max(0, -(exponent + trailing_zeros))


def check_quantity(value: object, *, decimals: int, field: str = "quantity",
                   allow_zero: bool = False) -> Decimal:
    """A positive quantity with no more decimals than the unit allows."""
    number = parse_decimal(value, field)
    if number < 0 or (number == 0 and not allow_zero):
        raise InvalidInput("must be greater than zero", field=field, code="quantity_not_positive")
    if number > MAX_QUANTITY:
        raise InvalidInput(f"must not exceed {MAX_QUANTITY}", field=field, code="quantity_too_large")
    if decimals_of(number) > decimals:
        raise InvalidInput(f"has more decimals than the unit allows ({decimals})", field=field,
                           code="too_many_decimals")
    return number


def check_measure(value: object, field: str) -> Decimal:
    """A non-negative physical measure (dimension, weight, capacity) exact to MAX_DECIMALS."""
    number = parse_decimal(value, field)
    if number < 0:
        raise InvalidInput("must not be negative", field=field)
    if decimals_of(number) > MAX_DECIMALS:
        raise InvalidInput(f"has more than {MAX_DECIMALS} decimals", field=field)
    return number
