"""Checkout with shopping credit through the real pages (the browser version is in
test_browser_checkout.py)."""

from decimal import Decimal

import pytest
from django.urls import reverse

from fenrun.catalog.tests.factories import ProductFactory
from fenrun.orders.models import Order
from fenrun.orders.tests.factories import ShippingMethodFactory
from fenrun.wallet import services

FORM = {
    "recipient_name": "王小明",
    "recipient_phone": "0912345678",
    "email": "buyer@example.com",
    "county": "臺北市",
    "district": "大安區",
    "street": "復興南路一段1號",
    "postal_code": "106",
    "payment_method": "atm",
    "token": "one-form",  # the checkout form's one-time token; each test posts one form
}


@pytest.fixture
def cart(client, member, admin_user):
    services.adjust_balance(
        member, account_kind="credit", amount=400, reason="t", actor=admin_user, idempotency_key="c"
    )
    product = ProductFactory(price=Decimal("600"), stock=10)
    shipping = ShippingMethodFactory()
    client.force_login(member)
    client.post(reverse("storefront:cart_add"), {"product": product.pk, "quantity": 1})
    return {"shipping": shipping}


def test_checkout_offers_the_usable_credit(client, cart):
    response = client.get(reverse("orders:checkout"))
    assert response.status_code == 200
    assert response.context["credit_available"] == 300  # half of NT$600 goods
    assert "credit_to_use" in response.context["form"].fields


def test_checkout_spends_part_of_the_credit_and_the_history_shows_it(client, member, cart):
    data = {**FORM, "shipping_method": cart["shipping"].pk, "credit_to_use": "120"}
    response = client.post(reverse("orders:checkout"), data)
    assert response.status_code == 302, response.context["form"].errors
    order = Order.objects.get()
    assert order.credit_used == 120
    page = client.get(reverse("wallet:my_account") + "?type=checkout")
    assert page.context["balances"].credit == 280
    html = page.content.decode()
    assert order.number in html
    assert "-120" in html


def test_checkout_refuses_more_than_usable(client, cart):
    data = {**FORM, "shipping_method": cart["shipping"].pk, "credit_to_use": "350"}
    response = client.post(reverse("orders:checkout"), data)
    assert response.status_code == 200
    assert response.context["form"].errors["credit_to_use"]
    assert not Order.objects.exists()
