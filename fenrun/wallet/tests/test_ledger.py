from decimal import Decimal

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from fenrun.wallet import ledger
from fenrun.wallet.ledger import Leg
from fenrun.wallet.models import Account, AccountKind, Entry, Transaction

K = AccountKind


def _grant(member, amount, source_id="g1"):
    with transaction.atomic():
        coins = ledger.member_account(member.pk, K.COINS)
        return ledger.post(
            kind="adjustment",
            source_type="adjustment",
            source_id=source_id,
            legs=[
                Leg(coins, Decimal(amount)),
                Leg(ledger.shop_account(K.SHOP_ADJUSTMENTS), -Decimal(amount)),
            ],
            member_id=member.pk,
        )


def test_post_writes_balanced_entries_with_balance_after(member):
    _grant(member, 100, "a")
    tx = _grant(member, 50, "b")
    entries = {e.account.kind: e for e in tx.entries.select_related("account")}
    assert entries[K.COINS].amount == 50
    assert entries[K.COINS].balance_after == 150
    assert entries[K.SHOP_ADJUSTMENTS].amount == -50
    assert entries[K.SHOP_ADJUSTMENTS].balance_after is None
    assert Account.objects.get(owner=member, kind=K.COINS).balance == 150
    assert sum(e.amount for e in Entry.objects.all()) == 0
    assert len({e.created_at for e in tx.entries.all()}) == 1


def test_same_source_is_posted_once(member):
    first = _grant(member, 100, "same")
    second = _grant(member, 100, "same")
    assert first.pk == second.pk
    assert Account.objects.get(owner=member, kind=K.COINS).balance == 100
    assert Transaction.objects.count() == 1


def test_unbalanced_legs_are_refused(member):
    coins = ledger.member_account(member.pk, K.COINS)
    shop = ledger.shop_account(K.SHOP_ADJUSTMENTS)
    with pytest.raises(ledger.Unbalanced), transaction.atomic():
        ledger.post(
            kind="adjustment",
            source_type="adjustment",
            source_id="x",
            legs=[Leg(coins, Decimal("100")), Leg(shop, Decimal("-99"))],
        )
    assert not Transaction.objects.exists()


def test_single_leg_or_zero_legs_are_refused(member):
    coins = ledger.member_account(member.pk, K.COINS)
    with pytest.raises(ledger.Unbalanced), transaction.atomic():
        ledger.post(
            kind="adjustment",
            source_type="adjustment",
            source_id="x",
            legs=[Leg(coins, Decimal("0"))],
        )


def test_more_than_two_decimals_is_refused(member):
    coins = ledger.member_account(member.pk, K.COINS)
    shop = ledger.shop_account(K.SHOP_ADJUSTMENTS)
    with pytest.raises(ledger.LedgerError), transaction.atomic():
        ledger.post(
            kind="adjustment",
            source_type="adjustment",
            source_id="x",
            legs=[Leg(coins, Decimal("1.005")), Leg(shop, Decimal("-1.005"))],
        )


def test_spendable_balance_never_goes_negative(member):
    _grant(member, 100)
    coins = ledger.member_account(member.pk, K.COINS)
    shop = ledger.shop_account(K.SHOP_ADJUSTMENTS)
    with pytest.raises(ledger.InsufficientFunds), transaction.atomic():
        ledger.post(
            kind="adjustment",
            source_type="adjustment",
            source_id="take",
            legs=[Leg(coins, Decimal("-101")), Leg(shop, Decimal("101"))],
        )
    assert Account.objects.get(pk=coins.pk).balance == 100


@pytest.mark.django_db(transaction=True)
def test_post_needs_a_transaction(member):
    coins = ledger.member_account(member.pk, K.COINS)
    shop = ledger.shop_account(K.SHOP_ADJUSTMENTS)
    with pytest.raises(ledger.LedgerError):
        ledger.post(
            kind="adjustment",
            source_type="adjustment",
            source_id="x",
            legs=[Leg(coins, Decimal("1")), Leg(shop, Decimal("-1"))],
        )


def test_database_refuses_a_negative_spendable_balance(member):
    _grant(member, 10)
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.filter(owner=member, kind=K.COINS).update(balance=Decimal("-1"))


def test_database_refuses_a_positive_debt(member):
    debt = ledger.member_account(member.pk, K.DEBT)
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.filter(pk=debt.pk).update(balance=Decimal("1"))


def test_entries_and_transactions_cannot_be_changed_or_deleted(member):
    tx = _grant(member, 10)
    entry = tx.entries.get(account__kind=K.COINS)
    entry.amount = Decimal("999")
    with pytest.raises(TypeError):
        entry.save()
    with pytest.raises(TypeError):
        entry.delete()
    with pytest.raises(TypeError):
        Entry.objects.filter(pk=entry.pk).update(amount=1)
    with pytest.raises(TypeError):
        Entry.objects.all().delete()
    with pytest.raises(TypeError):
        tx.save()
    with pytest.raises(TypeError):
        Transaction.objects.filter(pk=tx.pk).delete()
    assert Entry.objects.get(pk=entry.pk).amount == 10


def test_database_trigger_refuses_updating_an_entry(member):
    tx = _grant(member, 10)
    entry = tx.entries.first()
    with pytest.raises(DatabaseError), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("UPDATE wallet_entry SET amount = 5 WHERE id = %s", [entry.pk])
    with pytest.raises(DatabaseError), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("UPDATE wallet_transaction SET memo = 'x' WHERE id = %s", [tx.pk])


def test_database_trigger_refuses_deleting_an_entry_on_postgres(member, is_postgres):
    tx = _grant(member, 10)
    entry = tx.entries.first()
    if is_postgres:
        with pytest.raises(DatabaseError), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("DELETE FROM wallet_entry WHERE id = %s", [entry.pk])
        assert Entry.objects.filter(pk=entry.pk).exists()
    else:
        # SQLite keeps only the model guard for deletes (see migration 0002).
        with pytest.raises(TypeError):
            entry.delete()
