"""The buyer's invoice details and the 統一編號 check (rules.py), property-based."""

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fenrun.invoices import rules
from fenrun.invoices.rules import Kind

digits = st.text(alphabet="0123456789", min_size=8, max_size=8)
prefixes = st.text(alphabet="0123456789", min_size=7, max_size=7)


def oracle(number: str) -> bool:
    """The Ministry's check written another way: the digits of all the products, concatenated,
    are summed; the 7th digit's 28 may instead count 1 (its digits' digits, 1 + 0)."""
    products = "".join(
        str(int(d) * w) for d, w in zip(number, (1, 2, 1, 2, 1, 2, 4, 1), strict=True)
    )
    total = sum(int(c) for c in products)
    return total % 5 == 0 or (number[6] == "7" and (total - 9) % 5 == 0)


@pytest.mark.parametrize(
    "number, valid",
    [
        ("22099131", True),  # Taiwan Semiconductor Manufacturing Co.
        ("04595257", True),
        ("10458575", True),  # valid under the old rule too (sum 30)
        ("10458570", True),  # sum 25: valid only since 2023 (divisible by 5, not 10)
        ("10458574", True),  # 7th digit 7: sum 29, only sum + 1 divides
        ("10458571", False),
        ("22099132", False),
        ("2209913", False),
        ("220991311", False),
        ("２２０９９１３１", False),  # full-width digits are digits to Python, not to the MoF
        ("2209913a", False),
        ("", False),
    ],
)
def test_known_numbers(number, valid):
    assert rules.is_ban(number) is valid


@settings(max_examples=300)
@given(digits)
def test_check_agrees_with_the_ministrys_rule_written_another_way(number):
    assert rules.is_ban(number) == oracle(number)


@settings(max_examples=200)
@given(digits)
def test_every_number_valid_before_2023_is_still_valid(number):
    total = rules.ban_digit_sum(number)
    old_valid = total % 10 == 0 or (number[6] == "7" and (total + 1) % 10 == 0)
    if old_valid:
        assert rules.is_ban(number)


@settings(max_examples=200)
@given(prefixes)
def test_every_prefix_has_a_check_digit(prefix):
    assert any(rules.is_ban(prefix + d) for d in "0123456789")


@settings(max_examples=200)
@given(prefixes.filter(lambda p: p[6] != "7"), st.integers(min_value=1, max_value=4))
def test_a_mistyped_last_digit_is_caught(prefix, shift):
    number = next(prefix + d for d in "0123456789" if rules.is_ban(prefix + d))
    typo = number[:7] + str((int(number[7]) + shift) % 10)
    assert not rules.is_ban(typo)


@settings(max_examples=100)
@given(st.text(max_size=12).filter(lambda s: not (len(s) == 8 and s.isascii() and s.isdigit())))
def test_anything_but_eight_ascii_digits_is_refused(value):
    assert not rules.is_ban(value)


@settings(max_examples=100)
@given(st.from_regex(r"/[0-9A-Z.+\-]{7}", fullmatch=True))
def test_mobile_barcodes_in_the_format_pass(code):
    assert rules.is_mobile_barcode(code)


@pytest.mark.parametrize("code", ["/ABC1234", "/AB.+-12", "/0000000", "/A+B-C.D"])
def test_mobile_barcode_examples(code):
    assert rules.is_mobile_barcode(code)


@pytest.mark.parametrize(
    "code", ["", "ABC12345", "/ABC123", "/ABC12345", "/abc1234", "/ABC 123", "/ABC_123", "//ABC123"]
)
def test_mobile_barcode_refusals(code):
    assert not rules.is_mobile_barcode(code)


@pytest.mark.parametrize(
    "code, valid",
    [
        ("AB12345678901234", True),
        ("ab12345678901234", False),
        ("A112345678901234", False),
        ("AB1234567890123", False),
        ("AB123456789012345", False),
    ],
)
def test_citizen_certificate(code, valid):
    assert rules.is_citizen_certificate(code) is valid


@pytest.mark.parametrize(
    "code, valid",
    [
        ("168", True),
        ("8585", True),
        ("1234567", True),
        ("12", False),
        ("12345678", False),
        ("12a4", False),
        ("", False),
    ],
)
def test_love_code(code, valid):
    assert rules.is_love_code(code) is valid


def test_normalise_keeps_only_the_kinds_fields_and_upper_cases_codes():
    choice = rules.normalise(
        Kind.MOBILE_BARCODE, carrier_number=" /abc+123 ", love_code="168", ban="22099131"
    )
    assert choice == rules.Choice(Kind.MOBILE_BARCODE, carrier_number="/ABC+123")
    assert rules.choice_errors(choice) == {}
    company = rules.normalise(Kind.COMPANY, ban="22099131", company_name="  台灣  積體電路 ")
    assert company.company_name == "台灣 積體電路" and company.carrier_number == ""


@pytest.mark.parametrize(
    "choice, errors",
    [
        (rules.Choice(Kind.MEMBER_CARRIER), {}),
        (rules.Choice(Kind.MOBILE_BARCODE), {"carrier_number": "required"}),
        (
            rules.Choice(Kind.MOBILE_BARCODE, carrier_number="/AB"),
            {"carrier_number": "bad_barcode"},
        ),
        (
            rules.Choice(Kind.CERTIFICATE, carrier_number="/ABC1234"),
            {"carrier_number": "bad_certificate"},
        ),
        (rules.Choice(Kind.DONATION, love_code="12"), {"love_code": "bad_love_code"}),
        (
            rules.Choice(Kind.COMPANY, ban="22099132"),
            {"ban": "bad_ban", "company_name": "required"},
        ),
        (rules.Choice(Kind.COMPANY, ban="22099131", company_name="台積電"), {}),
        (rules.Choice("paper"), {"kind": "unknown_kind"}),
    ],
)
def test_choice_errors(choice, errors):
    assert rules.choice_errors(choice) == errors


@pytest.mark.parametrize(
    "first, second, same",
    [
        (date(2026, 1, 1), date(2026, 2, 28), True),
        (date(2026, 2, 28), date(2026, 3, 1), False),
        (date(2026, 11, 30), date(2026, 12, 31), True),
        (date(2025, 12, 31), date(2026, 1, 1), False),
        (date(2025, 1, 5), date(2026, 1, 5), False),
    ],
)
def test_two_month_periods(first, second, same):
    assert rules.same_period(first, second) is same


@given(st.dates())
def test_a_period_is_two_calendar_months(day):
    year, period = rules.invoice_period(day)
    assert year == day.year and 1 <= period <= 6
    assert day.month in (2 * period - 1, 2 * period)
