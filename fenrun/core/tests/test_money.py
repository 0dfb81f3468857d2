from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fenrun.core.money import format_twd, round_money, to_decimal


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        (Decimal("1234"), "NT$1,234"),
        (Decimal("1234.50"), "NT$1,234.50"),
        (0, "NT$0"),
        (Decimal("-40"), "-NT$40"),
    ],
)
def test_format_twd(amount, shown):
    assert format_twd(amount) == shown


@pytest.mark.parametrize(("amount", "rounded"), [("0.5", 1), ("1.5", 2), ("2.49", 2), ("-0.5", -1)])
def test_round_half_up_to_whole_dollars(amount, rounded):
    assert round_money(Decimal(amount)) == Decimal(rounded)


@given(st.decimals(min_value=-(10**9), max_value=10**9, allow_nan=False, places=4))
def test_rounding_is_within_half_a_dollar(amount):
    assert abs(round_money(amount) - amount) <= Decimal("0.5")


@pytest.mark.parametrize("raw", ["abc", "", None, True, "NaN", "Infinity"])
def test_to_decimal_refuses_non_amounts(raw):
    with pytest.raises(ValueError):
        to_decimal(raw)


def test_to_decimal_accepts_thousands_separators():
    assert to_decimal("1,234.5") == Decimal("1234.5")


@pytest.mark.parametrize("raw", ["1e999999999", "-1e999999999", "1e-999999999", "1e101", "sNaN"])
def test_absurd_magnitudes_are_not_amounts(raw):
    with pytest.raises(ValueError):
        to_decimal(raw)


def test_large_but_real_amounts_still_parse():
    assert to_decimal("999999999999999999") == Decimal("999999999999999999")
    assert to_decimal("0.01") == Decimal("0.01")
