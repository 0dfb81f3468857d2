from decimal import Decimal

import pytest
from django.db import IntegrityError

from fenrun.accounts.tests.factories import UserFactory
from fenrun.catalog.models import Product
from fenrun.catalog.tests.factories import ProductFactory
from fenrun.orders.cart import (
    CartError,
    add_to_cart,
    merge_guest_cart,
    parse_quantity,
    set_quantity,
)
from fenrun.orders.models import Cart, Order, OrderLine, ShippingMethod
from fenrun.orders.services import CheckoutError, place_order
from fenrun.orders.tests.factories import ShippingMethodFactory, home_recipient

pytestmark = pytest.mark.django_db


def _place(items, **kwargs):
    kwargs.setdefault("recipient", home_recipient())
    kwargs.setdefault("shipping_method", ShippingMethodFactory())
    kwargs.setdefault("payment_method", "atm")
    return place_order(items=items, **kwargs)


def test_order_snapshots_lines_and_computes_totals_from_current_prices():
    a = ProductFactory(price=Decimal("680"), stock=10)
    b = ProductFactory(price=Decimal("250"), stock=10)
    order = _place([(a.pk, 1), (b.pk, 2)])
    assert order.goods_total == Decimal("1180")
    assert order.shipping_fee == Decimal("100")  # under the NT$1,500 threshold
    assert order.grand_total == Decimal("1280")
    assert order.number.startswith("FR") and len(order.number) == 13
    assert len(order.payment_reference) == 14
    lines = list(order.lines.values_list("product_name", "unit_price", "quantity", "line_total"))
    assert lines == [
        (a.name, Decimal("680"), 1, Decimal("680")),
        (b.name, Decimal("250"), 2, Decimal("500")),
    ]
    Product.objects.filter(pk=a.pk).update(price=Decimal("1"), name="renamed")
    assert OrderLine.objects.get(order=order, product=a).unit_price == Decimal("680")
    assert Product.objects.get(pk=a.pk).stock == 9


def test_free_shipping_from_threshold():
    product = ProductFactory(price=Decimal("1500"), stock=3)
    order = _place([(product.pk, 1)])
    assert order.shipping_fee == 0
    assert order.grand_total == Decimal("1500")


def test_convenience_store_needs_a_store_and_drops_the_address():
    cvs = ShippingMethod.objects.create(code="cvs", name="超商", kind="cvs", fee=Decimal("60"))
    product = ProductFactory(stock=3)
    with pytest.raises(CheckoutError) as err:
        _place([(product.pk, 1)], shipping_method=cvs)
    assert err.value.field == "cvs_store_name"
    order = _place(
        [(product.pk, 1)],
        shipping_method=cvs,
        recipient=home_recipient(cvs_store_name="7-11 大安門市", cvs_store_id="123456"),
    )
    assert (
        order.cvs_store_id == "123456"
        and order.street == ""
        and order.shipping_fee == Decimal("60")
    )


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"phone": "0212345678"}, "recipient_phone"),
        ({"phone": "09123"}, "recipient_phone"),
        ({"phone": ""}, "recipient_phone"),
        ({"name": "  "}, "recipient_name"),
        ({"postal_code": "1a6"}, "postal_code"),
        ({"county": ""}, "county"),
        ({"street": ""}, "street"),
    ],
)
def test_bad_recipient_is_refused_and_nothing_is_written(overrides, field):
    product = ProductFactory(stock=3)
    with pytest.raises(CheckoutError) as err:
        _place([(product.pk, 1)], recipient=home_recipient(**overrides))
    assert err.value.field == field
    assert Order.objects.count() == 0
    assert Product.objects.get(pk=product.pk).stock == 3


@pytest.mark.parametrize("quantity", [0, -1, 1.5, "2", True])
def test_bad_quantities_are_refused(quantity):
    product = ProductFactory(stock=3)
    with pytest.raises(CheckoutError):
        _place([(product.pk, quantity)])
    assert Order.objects.count() == 0


def test_over_stock_rolls_everything_back_including_other_lines_and_the_cart():
    user = UserFactory()
    plenty = ProductFactory(stock=10)
    scarce = ProductFactory(stock=1)
    cart = Cart.objects.create(user=user)
    add_to_cart(cart, plenty, 2)
    add_to_cart(cart, scarce, 1)
    Product.objects.filter(pk=scarce.pk).update(stock=0)  # someone else bought it meanwhile
    with pytest.raises(CheckoutError):
        _place([(plenty.pk, 2), (scarce.pk, 1)], user=user, cart=cart)
    assert Product.objects.get(pk=plenty.pk).stock == 10
    assert cart.lines.count() == 2
    assert Order.objects.count() == 0


def test_inactive_or_unknown_products_are_refused():
    product = ProductFactory(stock=3, is_active=False)
    with pytest.raises(CheckoutError):
        _place([(product.pk, 1)])
    with pytest.raises(CheckoutError):
        _place([(987654, 1)])


def test_successful_checkout_empties_the_cart():
    user = UserFactory()
    product = ProductFactory(stock=3)
    cart = Cart.objects.create(user=user)
    add_to_cart(cart, product, 2)
    _place([(product.pk, 2)], user=user, cart=cart)
    assert cart.lines.count() == 0


def test_unknown_payment_method_and_empty_cart():
    product = ProductFactory(stock=3)
    with pytest.raises(CheckoutError) as err:
        _place([(product.pk, 1)], payment_method="bitcoin")
    assert err.value.field == "payment_method"
    with pytest.raises(CheckoutError):
        _place([])


def test_external_reference_is_unique_per_source():
    product = ProductFactory(stock=5)
    _place([(product.pk, 1)], source="pos", external_ref="A-1")
    with pytest.raises(CheckoutError) as err:
        _place([(product.pk, 1)], source="pos", external_ref="A-1")
    assert err.value.field == "external_ref"
    assert Product.objects.get(pk=product.pk).stock == 4
    _place([(product.pk, 1)], source="other-pos", external_ref="A-1")


def test_database_refuses_totals_that_do_not_add_up():
    order = _place([(ProductFactory(stock=2).pk, 1)])
    with pytest.raises(IntegrityError):
        Order.objects.filter(pk=order.pk).update(grand_total=1)


def test_database_refuses_negative_stock():
    product = ProductFactory(stock=1)
    with pytest.raises(IntegrityError):
        Product.objects.filter(pk=product.pk).update(stock=-1)


@pytest.mark.parametrize("raw", ["abc", "", None, "-1", "1000", "2.5"])
def test_cart_quantity_parsing_refuses_junk(raw):
    with pytest.raises(CartError):
        parse_quantity(raw)


def test_cart_refuses_more_than_stock_and_inactive_products():
    cart = Cart.objects.create(user=UserFactory())
    product = ProductFactory(stock=2)
    add_to_cart(cart, product, 2)
    with pytest.raises(CartError):
        add_to_cart(cart, product, 1)
    with pytest.raises(CartError):
        set_quantity(cart, product, 3)
    assert cart.lines.get().quantity == 2
    set_quantity(cart, product, 0)
    assert cart.lines.count() == 0
    with pytest.raises(CartError):
        add_to_cart(cart, ProductFactory(is_active=False), 1)


def test_guest_cart_merges_into_member_cart_capped_at_stock():
    user = UserFactory()
    product = ProductFactory(stock=3)
    other = ProductFactory(stock=5)
    member_cart = Cart.objects.create(user=user)
    add_to_cart(member_cart, product, 2)
    guest = Cart.objects.create(session_key="guest-session")
    add_to_cart(guest, product, 2)
    add_to_cart(guest, other, 1)
    merge_guest_cart("guest-session", user)
    assert dict(member_cart.lines.values_list("product_id", "quantity")) == {
        product.pk: 3,
        other.pk: 1,
    }
    assert not Cart.objects.filter(session_key="guest-session").exists()
