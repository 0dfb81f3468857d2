from decimal import Decimal

import pytest

from fenrun.catalog.tests.factories import ProductFactory
from fenrun.core import events
from fenrun.orders.events import OrderStatusChanged
from fenrun.orders.models import Order
from fenrun.orders.services import CheckoutError, change_status, place_order
from fenrun.orders.status import OrderStatus
from fenrun.orders.tests.factories import ShippingMethodFactory, home_recipient
from fenrun.wallet import selectors, services
from fenrun.wallet.models import Transaction, TransactionKind, WalletSettings
from fenrun.wallet.tests.conftest import wallet_problems


@pytest.fixture
def shipping(db):
    return ShippingMethodFactory()  # NT$100, free from NT$1,500


@pytest.fixture
def product(db):
    return ProductFactory(price=Decimal("500"), stock=50)


def _give_credit(member, staff, amount, key="c"):
    services.adjust_balance(
        member,
        account_kind="credit",
        amount=amount,
        reason="test",
        actor=staff,
        idempotency_key=key,
    )


def _order(member, product, shipping, credit, quantity=1):
    return place_order(
        items=[(product.pk, quantity)],
        recipient=home_recipient(),
        shipping_method=shipping,
        payment_method="atm",
        user=member,
        credit_to_use=Decimal(credit),
    )


def test_usable_credit_is_capped_by_share_of_goods_and_balance(member, staff):
    assert selectors.usable_credit(member, Decimal("1000"), Decimal("100")) == 0
    _give_credit(member, staff, 300)
    assert selectors.usable_credit(member, Decimal("1000"), Decimal("100")) == 300
    assert selectors.usable_credit(member, Decimal("500"), Decimal("100")) == 250
    assert selectors.usable_credit(member, Decimal("333"), Decimal("0")) == 166  # 166.5 down


def test_usable_credit_may_cover_shipping_when_allowed(member, staff):
    _give_credit(member, staff, 1000)
    settings = WalletSettings.load()
    settings.credit_covers_shipping = True
    settings.credit_max_share_percent = 100
    settings.save()
    assert selectors.usable_credit(member, Decimal("500"), Decimal("100")) == 600


def test_usable_credit_for_a_visitor_is_zero(db):
    from django.contrib.auth.models import AnonymousUser

    assert selectors.usable_credit(AnonymousUser(), Decimal("500"), Decimal("100")) == 0
    assert selectors.usable_credit(None, Decimal("500"), Decimal("100")) == 0


def test_checkout_spends_credit_and_history_names_the_order(member, staff, product, shipping):
    _give_credit(member, staff, 400)
    order = _order(member, product, shipping, 200)
    assert order.credit_used == 200
    assert order.grand_total == 500 + 100 - 200
    assert selectors.balances(member).credit == 200
    entries = selectors.attach_sources(selectors.history(member, type="checkout"))
    assert [(e.amount, e.order_number) for e in entries] == [(-200, order.number)]
    assert wallet_problems() == []


@pytest.mark.parametrize(
    "credit,message",
    [("300", "At most"), ("250.5", "whole"), ("500", "At most")],
)
def test_checkout_refuses_credit_over_the_cap(member, staff, product, shipping, credit, message):
    _give_credit(member, staff, 1000)
    from django.utils import translation

    with pytest.raises(CheckoutError) as exc, translation.override("en"):
        _order(member, product, shipping, credit)
    assert exc.value.field == "credit"
    assert message in str(exc.value)
    assert not Order.objects.exists()
    assert selectors.balances(member).credit == 1000
    product.refresh_from_db()
    assert product.stock == 50  # the order rolled back completely


def test_checkout_refuses_credit_over_the_balance(member, staff, product, shipping):
    _give_credit(member, staff, 100)
    with pytest.raises(CheckoutError) as exc:
        _order(member, product, shipping, 150)
    assert exc.value.field == "credit"
    assert not Order.objects.exists()
    assert selectors.balances(member).credit == 100


def test_shipping_paid_with_credit_only_when_allowed(member, staff, product, shipping):
    _give_credit(member, staff, 1000)
    settings = WalletSettings.load()
    settings.credit_max_share_percent = 100
    settings.save()
    with pytest.raises(CheckoutError):
        _order(member, product, shipping, 600)
    settings.credit_covers_shipping = True
    settings.save()
    order = _order(member, product, shipping, 600)
    assert order.grand_total == 0
    assert selectors.balances(member).credit == 400


@pytest.mark.parametrize(
    "target_path", [[OrderStatus.CANCELLED], [OrderStatus.PAID, OrderStatus.REFUNDED]]
)
def test_cancelling_or_refunding_returns_the_credit_once(
    member, staff, product, shipping, target_path
):
    _give_credit(member, staff, 300)
    order = _order(member, product, shipping, 250)
    for status in target_path:
        change_status(order, status, actor=staff)
    assert selectors.balances(member).credit == 300
    # The event delivered again (e.g. a retry) returns nothing more.
    events.publish(
        OrderStatusChanged(
            order_id=order.pk, from_status="paid", to_status=OrderStatus.REFUNDED, actor_id=None
        )
    )
    assert selectors.balances(member).credit == 300
    assert Transaction.objects.filter(kind=TransactionKind.CHECKOUT_REFUND).count() == 1
    assert wallet_problems() == []


def test_refund_after_return_of_a_completed_order(member, staff, product, shipping):
    _give_credit(member, staff, 300)
    order = _order(member, product, shipping, 250)
    for status in (
        OrderStatus.PAID,
        OrderStatus.SHIPPED,
        OrderStatus.COMPLETED,
        OrderStatus.RETURNED,
    ):
        change_status(order, status, actor=staff)
    assert selectors.balances(member).credit == 50  # returned goods: credit back on refund
    change_status(order, OrderStatus.REFUNDED, actor=staff)
    assert selectors.balances(member).credit == 300


def test_cancelling_an_order_without_credit_moves_nothing(member, staff, product, shipping):
    order = _order(member, product, shipping, 0)
    change_status(order, OrderStatus.CANCELLED, actor=staff)
    assert not Transaction.objects.filter(kind__startswith="checkout").exists()


def test_guest_cannot_use_credit(db, product, shipping):
    with pytest.raises(CheckoutError):
        place_order(
            items=[(product.pk, 1)],
            recipient=home_recipient(),
            shipping_method=shipping,
            payment_method="atm",
            user=None,
            credit_to_use=Decimal("10"),
        )
