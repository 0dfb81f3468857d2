from decimal import Decimal

import pytest
from django.utils import translation

from fenrun.wallet import selectors, services
from fenrun.wallet.models import (
    Adjustment,
    Conversion,
    Entry,
    Transaction,
    WalletSettings,
    Withdrawal,
)
from fenrun.wallet.services import WalletError
from fenrun.wallet.tests.conftest import earn, reverse, wallet_problems

BANK = {"bank_code": "812", "account_number": "1234567890123", "account_name": "王小明"}


def _b(member):
    return selectors.balances(member)


def _nothing_written(before: int) -> None:
    assert Transaction.objects.count() == before


# --- conversion --------------------------------------------------------------------------------


def test_conversion_reserves_then_approval_gives_credit(member, staff):
    earn(member, 1000)
    conversion = services.request_conversion(member, "400")
    b = _b(member)
    assert (b.coins, b.coins_reserved, b.credit) == (600, 400, 0)
    services.approve_conversion(conversion.pk, actor=staff)
    b = _b(member)
    assert (b.coins, b.coins_reserved, b.credit) == (600, 0, 400)
    conversion.refresh_from_db()
    assert conversion.status == Conversion.Status.APPROVED
    assert conversion.decided_by == staff
    assert wallet_problems() == []


def test_conversion_uses_the_ratio_at_application_rounding_credit_down(member, staff):
    earn(member, 1000)
    settings = WalletSettings.load()
    settings.conversion_ratio = Decimal("0.95")
    settings.save()
    conversion = services.request_conversion(member, 333)
    assert conversion.credit == 316  # 316.35 → 316
    settings.conversion_ratio = Decimal("2")
    settings.save()
    services.approve_conversion(conversion.pk, actor=staff)
    assert _b(member).credit == 316
    assert wallet_problems() == []


def test_rejection_returns_the_coins_and_needs_a_reason(member, staff):
    earn(member, 500)
    conversion = services.request_conversion(member, 500)
    with pytest.raises(WalletError) as exc:
        services.reject_conversion(conversion.pk, actor=staff, reason="  ")
    assert "reason" in exc.value.errors
    services.reject_conversion(conversion.pk, actor=staff, reason="請先完成實名認證")
    conversion.refresh_from_db()
    assert conversion.status == Conversion.Status.REJECTED
    assert conversion.reason == "請先完成實名認證"
    assert (_b(member).coins, _b(member).coins_reserved) == (500, 0)
    assert wallet_problems() == []


def test_deciding_a_conversion_twice_is_a_conflict(member, staff):
    earn(member, 500)
    conversion = services.request_conversion(member, 100)
    services.approve_conversion(conversion.pk, actor=staff)
    before = Transaction.objects.count()
    with pytest.raises(WalletError) as exc:
        services.approve_conversion(conversion.pk, actor=staff)
    assert exc.value.status == 409
    with pytest.raises(WalletError) as exc:
        services.reject_conversion(conversion.pk, actor=staff, reason="no")
    assert exc.value.status == 409
    _nothing_written(before)
    assert _b(member).credit == 100


def test_one_pending_conversion_at_a_time(member, staff):
    earn(member, 500)
    first = services.request_conversion(member, 100)
    with pytest.raises(WalletError) as exc:
        services.request_conversion(member, 100)
    assert exc.value.status == 409
    assert Conversion.objects.count() == 1
    services.approve_conversion(first.pk, actor=staff)
    services.request_conversion(member, 100)  # allowed again once decided
    assert Conversion.objects.filter(status="pending").count() == 1


def test_member_cancels_own_pending_conversion_only(member, other_member):
    earn(member, 300)
    conversion = services.request_conversion(member, 300)
    with pytest.raises(WalletError) as exc:
        services.cancel_conversion(conversion.pk, member=other_member)
    assert exc.value.status == 404
    services.cancel_conversion(conversion.pk, member=member)
    assert _b(member).coins == 300
    with pytest.raises(WalletError) as exc:
        services.cancel_conversion(conversion.pk, member=member)
    assert exc.value.status == 409


def test_idempotency_key_makes_a_repeated_conversion_request_a_no_op(member):
    earn(member, 300)
    first = services.request_conversion(member, 100, idempotency_key="k1")
    again = services.request_conversion(member, 100, idempotency_key="k1")
    assert first.pk == again.pk
    assert _b(member).coins == 200


@pytest.mark.parametrize(
    "coins,field_message",
    [
        ("0", "above zero"),
        ("-5", "above zero"),
        ("10.5", "whole"),
        ("1.000001", "whole"),
        ("abc", "Enter an amount"),
        ("", "Enter an amount"),
        ("1e30", "too large"),
        ("NaN", "Enter an amount"),
        ("600", "available"),
    ],
)
def test_bad_conversion_amounts_write_nothing(member, coins, field_message):
    earn(member, 500)
    before = Transaction.objects.count()
    with pytest.raises(WalletError) as exc, translation.override("en"):
        services.request_conversion(member, coins)
    assert "coins" in exc.value.errors
    assert field_message in exc.value.message
    _nothing_written(before)
    assert not Conversion.objects.exists()


def test_conversion_under_the_minimum_is_refused(member):
    settings = WalletSettings.load()
    settings.conversion_minimum = 100
    settings.save()
    earn(member, 500)
    with pytest.raises(WalletError):
        services.request_conversion(member, 99)


def test_conversion_too_small_for_the_ratio_is_refused(member):
    settings = WalletSettings.load()
    settings.conversion_ratio = Decimal("0.5")
    settings.save()
    earn(member, 500)
    with pytest.raises(WalletError):
        services.request_conversion(member, 1)


def test_debt_blocks_conversions_and_withdrawals(member, staff):
    cid = earn(member, 100)
    services.convert_coins(member, 100, actor=staff)
    reverse(member, cid, 100)
    services.adjust_balance(
        member, account_kind="coins", amount=500, reason="補發", actor=staff, idempotency_key="a1"
    )
    with pytest.raises(WalletError) as exc:
        services.request_conversion(member, 100)
    assert exc.value.status == 409
    with pytest.raises(WalletError):
        services.request_withdrawal(member, amount=300, **BANK)


def test_staff_convert_without_a_request(member, staff):
    earn(member, 300)
    conversion = services.convert_coins(member, 200, actor=staff)
    assert conversion.origin == Conversion.Origin.STAFF
    assert (_b(member).coins, _b(member).credit) == (100, 200)
    with pytest.raises(WalletError):
        services.convert_coins(member, 101, actor=staff)
    assert wallet_problems() == []


# --- withdrawals -------------------------------------------------------------------------------


def test_withdrawal_reserves_and_payout_keeps_the_fee(member, staff):
    earn(member, 1000)
    withdrawal = services.request_withdrawal(member, amount="500", **BANK)
    assert (withdrawal.fee, withdrawal.payout) == (15, 485)
    assert (_b(member).coins, _b(member).coins_reserved) == (500, 500)
    services.approve_withdrawal(withdrawal.pk, actor=staff)
    assert _b(member).coins_reserved == 500
    services.mark_withdrawal_paid(withdrawal.pk, actor=staff, reference="TX-001")
    withdrawal.refresh_from_db()
    assert withdrawal.status == Withdrawal.Status.PAID
    assert withdrawal.reference == "TX-001"
    assert (_b(member).coins, _b(member).coins_reserved) == (500, 0)
    shop = selectors.shop_totals()
    assert shop["shop_payouts"] == 485
    assert shop["shop_withdrawal_fees"] == 15
    assert wallet_problems() == []


def test_percentage_fee(member):
    settings = WalletSettings.load()
    settings.withdrawal_fee = 10
    settings.withdrawal_fee_percent = Decimal("1.5")
    settings.save()
    earn(member, 1000)
    withdrawal = services.request_withdrawal(member, amount=1000, **BANK)
    assert (withdrawal.fee, withdrawal.payout) == (25, 975)


def test_rejected_withdrawal_returns_the_coins(member, staff):
    earn(member, 1000)
    withdrawal = services.request_withdrawal(member, amount=700, **BANK)
    services.approve_withdrawal(withdrawal.pk, actor=staff)
    with pytest.raises(WalletError):
        services.reject_withdrawal(withdrawal.pk, actor=staff, reason="")
    services.reject_withdrawal(withdrawal.pk, actor=staff, reason="戶名與會員姓名不符")
    assert (_b(member).coins, _b(member).coins_reserved) == (1000, 0)
    with pytest.raises(WalletError) as exc:
        services.mark_withdrawal_paid(withdrawal.pk, actor=staff, reference="T")
    assert exc.value.status == 409
    assert wallet_problems() == []


def test_deciding_a_withdrawal_twice_is_a_conflict(member, staff):
    earn(member, 1000)
    withdrawal = services.request_withdrawal(member, amount=500, **BANK)
    services.approve_withdrawal(withdrawal.pk, actor=staff)
    with pytest.raises(WalletError) as exc:
        services.approve_withdrawal(withdrawal.pk, actor=staff)
    assert exc.value.status == 409
    services.mark_withdrawal_paid(withdrawal.pk, actor=staff, reference="R1")
    before = Transaction.objects.count()
    for call in (
        lambda: services.mark_withdrawal_paid(withdrawal.pk, actor=staff, reference="R2"),
        lambda: services.reject_withdrawal(withdrawal.pk, actor=staff, reason="x"),
        lambda: services.approve_withdrawal(withdrawal.pk, actor=staff),
    ):
        with pytest.raises(WalletError) as exc:
            call()
        assert exc.value.status == 409
    _nothing_written(before)


def test_paid_needs_a_reference(member, staff):
    earn(member, 1000)
    withdrawal = services.request_withdrawal(member, amount=500, **BANK)
    with pytest.raises(WalletError) as exc:
        services.mark_withdrawal_paid(withdrawal.pk, actor=staff, reference=" ")
    assert "reference" in exc.value.errors
    with pytest.raises(WalletError):
        services.mark_withdrawal_paid(withdrawal.pk, actor=staff, reference="x" * 65)


def test_member_cancels_own_pending_withdrawal_only(member, other_member, staff):
    earn(member, 1000)
    withdrawal = services.request_withdrawal(member, amount=500, **BANK)
    with pytest.raises(WalletError) as exc:
        services.cancel_withdrawal(withdrawal.pk, member=other_member)
    assert exc.value.status == 404
    services.approve_withdrawal(withdrawal.pk, actor=staff)
    with pytest.raises(WalletError) as exc:
        services.cancel_withdrawal(withdrawal.pk, member=member)
    assert exc.value.status == 409  # once approved, only staff can reject it


@pytest.mark.parametrize(
    "overrides,field",
    [
        ({"amount": "0"}, "amount"),
        ({"amount": "-300"}, "amount"),
        ({"amount": "300.50"}, "amount"),
        ({"amount": "299"}, "amount"),  # under the minimum
        ({"amount": "2000"}, "amount"),  # over the balance
        ({"bank_code": "81"}, "bank_code"),
        ({"bank_code": "8123"}, "bank_code"),
        ({"bank_code": "abc"}, "bank_code"),
        ({"account_number": "123456789"}, "account_number"),
        ({"account_number": "12345678901234567"}, "account_number"),
        ({"account_number": "1234-5678-ABCD"}, "account_number"),
        ({"account_name": "  "}, "account_name"),
        ({"account_name": "王" * 61}, "account_name"),
    ],
)
def test_bad_withdrawals_write_nothing(member, overrides, field):
    earn(member, 1000)
    before = Transaction.objects.count()
    data = {"amount": "500", **BANK, **overrides}
    with pytest.raises(WalletError) as exc:
        services.request_withdrawal(member, **data)
    assert field in exc.value.errors
    _nothing_written(before)
    assert not Withdrawal.objects.exists()


def test_account_number_spaces_and_dashes_are_accepted(member):
    earn(member, 1000)
    withdrawal = services.request_withdrawal(
        member,
        amount=300,
        bank_code="700",
        account_number="0001-2345 67890",
        account_name=" 林  美玲 ",
    )
    assert withdrawal.account_number == "0001234567890"
    assert withdrawal.account_name == "林 美玲"


def test_fee_larger_than_the_amount_is_refused(member):
    settings = WalletSettings.load()
    settings.withdrawal_minimum = 1
    settings.withdrawal_fee = 15
    settings.save()
    earn(member, 100)
    with pytest.raises(WalletError) as exc:
        services.request_withdrawal(member, amount=15, **BANK)
    assert "amount" in exc.value.errors


def test_bank_details_are_masked(member):
    earn(member, 1000)
    withdrawal = services.request_withdrawal(member, amount=300, **BANK)
    assert withdrawal.masked_account_number == "•••••••••0123"
    assert withdrawal.masked_account_name == "王○明"


# --- adjustments -------------------------------------------------------------------------------


def test_adjustments_need_a_reason_and_move_both_ways(member, staff):
    with pytest.raises(WalletError) as exc:
        services.adjust_balance(
            member, account_kind="credit", amount=100, reason="", actor=staff, idempotency_key="k"
        )
    assert "reason" in exc.value.errors
    services.adjust_balance(
        member,
        account_kind="credit",
        amount=100,
        reason="客訴補償",
        actor=staff,
        idempotency_key="k",
    )
    services.adjust_balance(
        member,
        account_kind="credit",
        amount=100,
        reason="客訴補償",
        actor=staff,
        idempotency_key="k",
    )
    assert _b(member).credit == 100  # the double submit adjusted once
    services.adjust_balance(
        member, account_kind="credit", amount=-40, reason="更正", actor=staff, idempotency_key="k2"
    )
    assert _b(member).credit == 60
    with pytest.raises(WalletError):
        services.adjust_balance(
            member,
            account_kind="credit",
            amount=-61,
            reason="更正",
            actor=staff,
            idempotency_key="k3",
        )
    entry = Entry.objects.filter(account__owner=member).select_related("transaction").first()
    assert entry.transaction.memo == "更正"
    assert Adjustment.objects.count() == 2
    assert wallet_problems() == []


def test_debt_can_be_written_off_but_not_beyond_it(member, staff):
    cid = earn(member, 200)
    services.convert_coins(member, 200, actor=staff)
    reverse(member, cid, 200)
    assert _b(member).debt == 200
    with pytest.raises(WalletError):
        services.adjust_balance(
            member, account_kind="debt", amount=201, reason="x", actor=staff, idempotency_key="d0"
        )
    with pytest.raises(WalletError):
        services.adjust_balance(
            member, account_kind="debt", amount=-10, reason="x", actor=staff, idempotency_key="d0"
        )
    services.adjust_balance(
        member,
        account_kind="debt",
        amount=200,
        reason="呆帳註銷",
        actor=staff,
        idempotency_key="d1",
    )
    assert _b(member).debt == 0
    assert wallet_problems() == []


@pytest.mark.parametrize(
    "kind,amount", [("coins", "0"), ("coins", "1.5"), ("bonus", "10"), ("coins", "x")]
)
def test_bad_adjustments_write_nothing(member, staff, kind, amount):
    with pytest.raises(WalletError):
        services.adjust_balance(
            member, account_kind=kind, amount=amount, reason="r", actor=staff, idempotency_key="z"
        )
    assert not Transaction.objects.exists()
