from decimal import Decimal
from io import StringIO

from django.core.management import call_command
from django.db import connection

from fenrun.wallet import reconcile, services
from fenrun.wallet.models import Account, AccountKind, Entry, Transaction, Withdrawal
from fenrun.wallet.tests.conftest import earn, wallet_problems


def _run():
    out, err = StringIO(), StringIO()
    try:
        call_command("reconcile_wallet", stdout=out, stderr=err)
    except SystemExit as exc:
        return exc.code, out.getvalue()
    return 0, out.getvalue()


def _coins(member, staff, amount, key="k"):
    # Not a commission: the commissions check would (rightly) find no commission row for it.
    services.adjust_balance(
        member, account_kind="coins", amount=amount, reason="t", actor=staff, idempotency_key=key
    )


def test_clean_books_pass(member, staff):
    _coins(member, staff, 800)
    services.request_withdrawal(
        member, amount=300, bank_code="812", account_number="1234567890", account_name="王小明"
    )
    services.convert_coins(member, 100, actor=staff)
    code, out = _run()
    assert code == 0, out
    assert "consistent" in out


def test_a_balance_that_disagrees_with_its_entries_is_named(member, staff):
    _coins(member, staff, 100)
    account = Account.objects.get(owner=member, kind=AccountKind.COINS)
    Account.objects.filter(pk=account.pk).update(balance=Decimal("90"))
    code, out = _run()
    assert code == 1
    assert (
        f"account {account.pk} (member {member.pk}, coins): balance 90.00 != sum of entries 100.00"
        in out
    )
    assert any(f"account {account.pk}" in p for p in reconcile.check_balances())


def test_an_unbalanced_transaction_is_named(member):
    earn(member, 100)
    tx = Transaction.objects.get()
    shop = Account.objects.get(kind=AccountKind.SHOP_COMMISSIONS)
    Entry.objects.create(transaction=tx, account=shop, amount=Decimal("-1"))
    code, out = _run()
    assert code == 1
    assert f"transaction {tx.pk}: 3 legs summing to -1.00" in out


def test_a_wrong_balance_after_is_named(member):
    earn(member, 100)
    tx = Transaction.objects.get()
    coins = Account.objects.get(owner=member, kind=AccountKind.COINS)
    shop = Account.objects.get(kind=AccountKind.SHOP_COMMISSIONS)
    bad = Entry.objects.create(
        transaction=tx, account=coins, amount=Decimal("5"), balance_after=Decimal("7")
    )
    Entry.objects.create(transaction=tx, account=shop, amount=Decimal("-5"))
    Account.objects.filter(pk=coins.pk).update(balance=Decimal("105"))
    problems = reconcile.check_running_balances()
    assert problems == [
        f"entry {bad.pk} (account {coins.pk}): balance_after 7.00 != running total 105.00"
    ]


def test_a_negative_spendable_balance_is_named(member, staff, is_postgres):
    _coins(member, staff, 100)
    coins = Account.objects.get(owner=member, kind=AccountKind.COINS)
    # The check constraint forbids this; switch it off (inside the test's transaction) to see
    # that the command would catch it too.
    with connection.cursor() as cursor:
        if is_postgres:
            # Deferred foreign-key checks must run before the table can be altered.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE wallet_account DROP CONSTRAINT wallet_account_balance_sign")
        else:
            cursor.execute("PRAGMA ignore_check_constraints = 1")
        try:
            cursor.execute("UPDATE wallet_account SET balance = -5 WHERE id = %s", [coins.pk])
        finally:
            if not is_postgres:
                cursor.execute("PRAGMA ignore_check_constraints = 0")
    assert reconcile.check_signs() == [
        f"account {coins.pk} (member {member.pk}, coins): balance -5.00 has the wrong sign"
    ]


def test_reserved_coins_must_match_open_requests(member):
    earn(member, 800)
    withdrawal = services.request_withdrawal(
        member, amount=300, bank_code="812", account_number="1234567890", account_name="王小明"
    )
    Withdrawal.objects.filter(pk=withdrawal.pk).update(status=Withdrawal.Status.REJECTED)
    problems = reconcile.check_reservations()
    assert problems == [f"member {member.pk}: reserved coins 300.00 != open requests 0.00"]


def test_paid_withdrawal_without_payout_is_named(member):
    earn(member, 800)
    withdrawal = services.request_withdrawal(
        member, amount=300, bank_code="812", account_number="1234567890", account_name="王小明"
    )
    Withdrawal.objects.filter(pk=withdrawal.pk).update(status=Withdrawal.Status.PAID, reference="x")
    assert f"withdrawal {withdrawal.pk}: paid without a payout entry" in reconcile.check_requests()


def test_commission_checks_name_releases_without_a_commission(member):
    earn(member, 100, commission_id=424242)
    problems = reconcile.check_commissions()
    assert problems == ["commission 424242: earning entry but the commission was never released"]
    assert wallet_problems() == []
