import sys
import types
from decimal import Decimal

from fenrun.wallet import selectors, services
from fenrun.wallet.models import Conversion, Transaction, TransactionKind, WalletSettings
from fenrun.wallet.tests.conftest import earn, reverse, wallet_problems


def _b(member):
    b = selectors.balances(member)
    return b.coins, b.credit, b.debt


def test_released_commission_becomes_coins_once(member):
    cid = earn(member, 300)
    earn(member, 300, commission_id=cid)  # the same event delivered twice
    assert _b(member) == (300, 0, 0)
    assert Transaction.objects.filter(kind=TransactionKind.COMMISSION_RELEASE).count() == 1
    assert wallet_problems() == []


def test_zero_commission_writes_nothing(member):
    earn(member, 0)
    assert not Transaction.objects.exists()


def test_reversal_takes_the_coins_back(member):
    keep = earn(member, 100)
    cid = earn(member, 300)
    reverse(member, cid, 300)
    reverse(member, cid, 300)  # delivered twice: taken once
    assert _b(member) == (100, 0, 0)
    assert keep
    assert wallet_problems() == []


def test_reversal_of_spent_coins_becomes_debt_repaid_by_future_earnings(member, staff):
    cid = earn(member, 500)
    conversion = services.request_conversion(member, 400)
    services.approve_conversion(conversion.pk, actor=staff)
    reverse(member, cid, 500)
    assert _b(member) == (0, 400, 400)  # 100 coins taken, 400 owed
    earn(member, 150)
    assert _b(member) == (0, 400, 250)  # all of it repays debt
    earn(member, 300)
    assert _b(member) == (50, 400, 0)  # debt cleared, the rest is coins
    release = Transaction.objects.filter(kind=TransactionKind.COMMISSION_RELEASE).first()
    assert "NT$250" in release.memo
    assert wallet_problems() == []


def test_reversal_of_a_pending_commission_moves_nothing(member):
    earn(member, 100)
    reverse(member, 999_999, 100, was_released=False)
    assert _b(member) == (100, 0, 0)


def test_reversal_without_a_recorded_release_moves_nothing(member):
    earn(member, 100)
    reverse(member, 888_888, 100, was_released=True)
    assert _b(member) == (100, 0, 0)
    assert not Transaction.objects.filter(kind=TransactionKind.COMMISSION_REVERSAL).exists()


def test_reversal_never_takes_more_than_was_released(member):
    earn(member, 500)
    cid = earn(member, 100)
    reverse(member, cid, 400)
    assert _b(member) == (500, 0, 0)


def test_reserved_coins_are_not_taken_by_a_reversal(member):
    cid = earn(member, 500)
    services.request_withdrawal(
        member, amount=400, bank_code="812", account_number="1234567890", account_name="王小明"
    )
    reverse(member, cid, 500)
    b = selectors.balances(member)
    assert (b.coins, b.coins_reserved, b.debt) == (0, 400, 400)
    assert wallet_problems() == []


def test_automatic_mode_converts_new_coins_after_repaying_debt(member, staff):
    settings = WalletSettings.load()
    settings.conversion_mode = WalletSettings.ConversionMode.AUTOMATIC
    settings.conversion_ratio = Decimal("0.9")
    settings.save()
    cid = earn(member, 105)
    # 105 coins at 0.9 → 94.5, rounded down to 94 of credit; all 105 coins are used.
    assert _b(member) == (0, 94, 0)
    auto = Conversion.objects.get(member=member)
    assert auto.origin == Conversion.Origin.AUTOMATIC
    assert auto.status == Conversion.Status.APPROVED
    reverse(member, cid, 105)
    assert _b(member) == (0, 94, 105)
    earn(member, 205)
    assert _b(member) == (0, 184, 0)  # 105 repaid, 100 converted to 90
    assert wallet_problems() == []


def test_automatic_mode_leaves_a_fraction_of_a_coin_as_coins(member):
    settings = WalletSettings.load()
    settings.conversion_mode = WalletSettings.ConversionMode.AUTOMATIC
    settings.save()
    earn(member, Decimal("10.50"))
    assert _b(member) == (Decimal("0.50"), 10, 0)
    assert wallet_problems() == []


def test_manual_mode_keeps_coins_as_coins(member):
    earn(member, 100)
    assert _b(member) == (100, 0, 0)
    assert not Conversion.objects.exists()


def test_pending_coins_come_from_the_commissions_app(member, monkeypatch):
    fake = types.ModuleType("fenrun.commissions.selectors")
    fake.pending_total = lambda user_id: Decimal("123") if user_id == member.pk else Decimal(0)
    monkeypatch.setitem(sys.modules, "fenrun.commissions.selectors", fake)
    assert selectors.balances(member).pending_coins == 123


def test_pending_coins_are_zero_without_the_selector(member, monkeypatch):
    fake = types.ModuleType("fenrun.commissions.selectors")
    monkeypatch.setitem(sys.modules, "fenrun.commissions.selectors", fake)
    assert selectors.balances(member).pending_coins == 0
