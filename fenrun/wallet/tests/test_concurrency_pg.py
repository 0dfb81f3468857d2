"""Concurrency on PostgreSQL: real threads, real connections, real row locks."""

import json
from decimal import Decimal

import pytest
from django.test import Client

from fenrun.accounts.tests.factories import UserFactory
from fenrun.catalog.tests.factories import ProductFactory
from fenrun.core import testing
from fenrun.orders.models import Order
from fenrun.orders.services import CheckoutError, place_order
from fenrun.orders.tests.factories import ShippingMethodFactory, home_recipient
from fenrun.wallet import selectors, services
from fenrun.wallet.models import Conversion, Transaction, TransactionKind, Withdrawal
from fenrun.wallet.tests.conftest import earn, wallet_problems

pytestmark = [
    *testing.POSTGRES_ONLY,
    pytest.mark.django_db(transaction=True),
]


def _grant_credit(member, staff, amount):
    services.adjust_balance(
        member, account_kind="credit", amount=amount, reason="t", actor=staff, idempotency_key="g"
    )


def test_fifty_checkouts_never_spend_more_credit_than_there_is():
    member, staff = UserFactory(), UserFactory(is_staff=True)
    _grant_credit(member, staff, 1000)
    shipping = ShippingMethodFactory()
    # One product per thread: only the wallet's lock is shared between the checkouts.
    products = [ProductFactory(price=Decimal("500"), stock=5) for _ in range(50)]

    def checkout(i):
        return place_order(
            items=[(products[i].pk, 1)],
            recipient=home_recipient(),
            shipping_method=shipping,
            payment_method="atm",
            user=member,
            credit_to_use=Decimal("100"),
        )

    results = testing.run_at_once(50, checkout)
    placed = [r for r in results if isinstance(r, Order)]
    refused = [r for r in results if isinstance(r, CheckoutError)]
    assert not [r for r in results if not isinstance(r, Order | CheckoutError)], results
    assert len(placed) == 10, results
    assert len(refused) == 40
    assert all(e.field == "credit" for e in refused)
    assert selectors.balances(member).credit == 0
    assert Order.objects.count() == 10
    assert Transaction.objects.filter(kind=TransactionKind.CHECKOUT_SPEND).count() == 10
    assert wallet_problems() == []


def test_fifty_spends_of_one_balance_on_one_product():
    member, staff = UserFactory(), UserFactory(is_staff=True)
    _grant_credit(member, staff, 730)
    shipping = ShippingMethodFactory()
    product = ProductFactory(price=Decimal("500"), stock=1000)

    def checkout(i):
        return place_order(
            items=[(product.pk, 1)],
            recipient=home_recipient(),
            shipping_method=shipping,
            payment_method="atm",
            user=member,
            credit_to_use=Decimal("100"),
        )

    results = testing.run_at_once(50, checkout)
    assert sum(isinstance(r, Order) for r in results) == 7
    assert selectors.balances(member).credit == 30
    assert wallet_problems() == []


def test_simultaneous_conversion_requests_reserve_once():
    member = UserFactory()
    earn(member, 1000)
    results = testing.run_at_once(20, lambda i: services.request_conversion(member, 600))
    made = [r for r in results if isinstance(r, Conversion)]
    assert len(made) == 1, results
    assert all(isinstance(r, services.WalletError) for r in results if r not in made)
    b = selectors.balances(member)
    assert (b.coins, b.coins_reserved) == (400, 600)
    assert wallet_problems() == []


def test_simultaneous_conversions_never_spend_the_same_coin():
    member, staff = UserFactory(), UserFactory(is_staff=True)
    earn(member, 1000)
    results = testing.run_at_once(20, lambda i: services.convert_coins(member, 150, actor=staff))
    made = [r for r in results if isinstance(r, Conversion)]
    assert len(made) == 6, results
    b = selectors.balances(member)
    assert (b.coins, b.credit) == (100, 900)
    assert wallet_problems() == []


def test_twenty_simultaneous_approvals_of_one_conversion_credit_once():
    member, staff = UserFactory(), UserFactory(is_staff=True)
    earn(member, 1000)
    conversion = services.request_conversion(member, 500)
    results = testing.run_at_once(
        20, lambda i: services.approve_conversion(conversion.pk, actor=staff)
    )
    assert sum(isinstance(r, Conversion) for r in results) == 1, results
    assert selectors.balances(member).credit == 500
    assert wallet_problems() == []


def test_twenty_simultaneous_approvals_and_payments_of_one_withdrawal_pay_once():
    member, staff = UserFactory(), UserFactory(is_staff=True)
    earn(member, 1000)
    withdrawal = services.request_withdrawal(
        member, amount=800, bank_code="812", account_number="1234567890", account_name="王小明"
    )
    approvals = testing.run_at_once(
        20, lambda i: services.approve_withdrawal(withdrawal.pk, actor=staff)
    )
    assert sum(isinstance(r, Withdrawal) for r in approvals) == 1, approvals
    conflicts = [r for r in approvals if isinstance(r, services.WalletError)]
    assert len(conflicts) == 19 and {c.status for c in conflicts} == {409}
    payments = testing.run_at_once(
        20,
        lambda i: services.mark_withdrawal_paid(withdrawal.pk, actor=staff, reference=f"R{i}"),
    )
    assert sum(isinstance(r, Withdrawal) for r in payments) == 1, payments
    assert Transaction.objects.filter(kind=TransactionKind.WITHDRAWAL_PAYOUT).count() == 1
    b = selectors.balances(member)
    assert (b.coins, b.coins_reserved) == (200, 0)
    assert wallet_problems() == []


def test_simultaneous_delivery_of_one_release_pays_once():
    member = UserFactory()
    results = testing.run_at_once(20, lambda i: earn(member, 250, commission_id=777))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert selectors.balances(member).coins == 250
    assert Transaction.objects.filter(kind=TransactionKind.COMMISSION_RELEASE).count() == 1


def test_same_idempotency_key_sent_at_once_creates_one_withdrawal():
    member = UserFactory()
    earn(member, 1000)
    body = json.dumps(
        {
            "amount": 300,
            "bank_code": "812",
            "account_number": "1234567890",
            "account_name": "王小明",
        }
    )

    def send(i):
        client = Client()
        client.force_login(member)
        response = client.post(
            "/api/v1/wallet/me/withdrawals",
            data=body,
            content_type="application/json",
            headers={"Idempotency-Key": "same-key"},
        )
        return response.status_code, response.json()

    results = testing.run_at_once(10, send)
    assert {status for status, _ in results} == {201}, results
    assert len({body["id"] for _, body in results}) == 1
    assert Withdrawal.objects.count() == 1
    assert selectors.balances(member).coins == 700
