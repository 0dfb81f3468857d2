"""Money: Decimal everywhere, rounded here and nowhere else.

The shop's currency is the New Taiwan dollar. Prices are stored with two decimals so that
percentages of them can be represented exactly; amounts shown or paid are whole dollars.
"""

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation

CURRENCY = "TWD"
ZERO = Decimal("0")
CENT = Decimal("0.01")
WHOLE = Decimal("1")

ROUNDING_MODES = {
    "half_up": ROUND_HALF_UP,
    "down": ROUND_DOWN,
}


MAX_EXPONENT = 100


def to_decimal(value) -> Decimal:
    """Parse user or API input into a Decimal; raise ValueError on anything else."""
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, bool) or value is None:
        raise ValueError("not an amount")
    else:
        try:
            result = Decimal(str(value).strip().replace(",", ""))
        except (InvalidOperation, ValueError) as exc:
            raise ValueError("not an amount") from exc
    # Exponents such as 1e999999999 overflow the decimal context as soon as they are compared or
    # rounded. Within ±10^100 callers can still tell "too large" from "not a number".
    if not result.is_finite() or (
        result and not -MAX_EXPONENT <= result.adjusted() <= MAX_EXPONENT
    ):
        raise ValueError("not an amount")
    return result


def round_money(amount: Decimal, *, places: int = 0, mode: str = "half_up") -> Decimal:
    """The single rounding rule of the project (default: half up to whole NT$)."""
    quantum = WHOLE if places == 0 else Decimal(1).scaleb(-places)
    return Decimal(amount).quantize(quantum, rounding=ROUNDING_MODES[mode])


def format_twd(amount) -> str:
    """NT$1,234 (whole dollars) or NT$1,234.50 when cents are present."""
    if amount is None or amount == "":
        return ""
    value = to_decimal(amount)
    sign = "-" if value < 0 else ""
    value = abs(value)
    if value == value.to_integral_value():
        return f"{sign}NT${value:,.0f}"
    return f"{sign}NT${value:,.2f}"
