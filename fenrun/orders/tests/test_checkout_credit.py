"""The checkout summary follows the credit typed, the cart shows the credit available, and the
order records which part of the credit paid shipping."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from fenrun.accounts.tests.factories import UserFactory
from fenrun.catalog.tests.factories import ProductFactory
from fenrun.orders.models import Order
from fenrun.orders.pricing import credit_on_shipping
from fenrun.orders.services import place_order
from fenrun.orders.tests.factories import ShippingMethodFactory, home_recipient
from fenrun.wallet import services as wallet
from fenrun.wallet.models import WalletSettings

pytestmark = pytest.mark.django_db

SUMMARY = reverse("orders:checkout_summary")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def shipping():
    # The audit's order: goods 640 + shipping 150.
    return ShippingMethodFactory(fee=Decimal("150"), free_threshold=None)


@pytest.fixture
def goods():
    return ProductFactory(price=Decimal("640"), stock=10)


@pytest.fixture
def member():
    member = UserFactory(email="credit@example.com")
    staff = UserFactory(is_staff=True)
    wallet.adjust_balance(
        member, account_kind="credit", amount=500, reason="t", actor=staff, idempotency_key="c"
    )
    return member


@pytest.fixture
def member_cart(client, member, goods, shipping):
    client.force_login(member)
    client.post(reverse("storefront:cart_add"), {"product": goods.pk, "quantity": 1})
    return client


def summary(client, shipping, credit):
    response = client.get(SUMMARY, {"shipping_method": shipping.pk, "credit_to_use": credit})
    assert response.status_code == 200
    return response


# -- the summary view --------------------------------------------------------------------------


def test_summary_takes_the_typed_credit_off_the_amount_to_pay(member_cart, shipping):
    response = summary(member_cart, shipping, "200")
    quote = response.context["quote"]
    assert (quote.total_before_credit, quote.credit_used, quote.grand_total) == (790, 200, 590)
    html = response.content.decode()
    assert '<dd id="order-total">NT$790</dd>' in html
    assert '<dd id="credit-applied">-NT$200</dd>' in html
    assert '<dd id="grand-total">NT$590</dd>' in html
    # The credit limit beside the input follows the shipping method too (an out-of-band swap).
    assert 'id="credit-limit" hx-swap-oob="true">NT$320<' in html


def test_summary_caps_the_credit_at_what_may_be_used_and_says_so(member_cart, shipping):
    response = summary(member_cart, shipping, "999")  # at most half of NT$640 of goods
    assert response.context["quote"].credit_used == 320
    html = response.content.decode()
    assert '<dd id="grand-total">NT$470</dd>' in html
    assert "NT$320" in response.context["credit_note"]


@pytest.mark.parametrize("typed", ["abc", "-5", "12.5"])
def test_summary_ignores_credit_that_is_not_whole_dollars(member_cart, shipping, typed):
    response = summary(member_cart, shipping, typed)
    assert response.context["quote"].credit_used == 0
    assert response.context["credit_note"]
    assert '<dd id="grand-total">NT$790</dd>' in response.content.decode()


def test_summary_gives_a_guest_no_credit(client, goods, shipping):
    client.post(reverse("storefront:cart_add"), {"product": goods.pk, "quantity": 1})
    response = summary(client, shipping, "200")
    assert response.context["quote"].credit_used == 0
    html = response.content.decode()
    assert '<dd id="grand-total">NT$790</dd>' in html
    assert "credit-applied" not in html and "credit-limit" not in html


def test_checkout_credit_input_asks_the_server_for_the_summary_as_the_member_types(
    member_cart,
):
    html = member_cart.get(reverse("orders:checkout")).content.decode()
    start = html.index('name="credit_to_use"')
    tag = html[html.rindex("<input", 0, start) : html.index(">", start)]
    assert f'hx-get="{SUMMARY}"' in tag
    assert 'hx-target="#checkout-summary"' in tag
    assert "hx-trigger=" in tag and "data-hx-" not in tag
    # Changing the shipping method keeps the credit typed in the summary.
    assert "[name='credit_to_use']" in html


def test_checkout_page_after_a_refused_post_shows_the_credit_typed(member_cart, shipping):
    response = member_cart.post(
        reverse("orders:checkout"),
        {"shipping_method": shipping.pk, "payment_method": "atm", "credit_to_use": "200"},
    )
    assert response.status_code == 200  # no recipient: refused
    assert '<dd id="grand-total">NT$590</dd>' in response.content.decode()


# -- the cart page -----------------------------------------------------------------------------


def test_cart_shows_the_credit_a_member_may_use(member_cart):
    response = member_cart.get(reverse("storefront:cart"))
    assert response.context["credit_available"] == 320
    html = response.content.decode()
    assert 'id="cart-credit"' in html and "NT$320" in html


def test_cart_shows_no_credit_to_a_guest_or_a_member_without_any(client, goods, shipping):
    client.post(reverse("storefront:cart_add"), {"product": goods.pk, "quantity": 1})
    assert 'id="cart-credit"' not in client.get(reverse("storefront:cart")).content.decode()
    client.force_login(UserFactory())
    client.post(reverse("storefront:cart_add"), {"product": goods.pk, "quantity": 1})
    assert 'id="cart-credit"' not in client.get(reverse("storefront:cart")).content.decode()


# -- the credit that paid shipping -------------------------------------------------------------


def test_credit_on_shipping_is_zero_when_credit_may_not_pay_shipping():
    assert credit_on_shipping(
        Decimal("200"), Decimal("640"), Decimal("150"), covers_shipping=False
    ) == (0)


def test_credit_on_shipping_is_spread_in_proportion_when_it_may():
    # 200 × 150 ÷ 790 = 37.974…
    share = credit_on_shipping(Decimal("200"), Decimal("640"), Decimal("150"), covers_shipping=True)
    assert share == Decimal("37.97")
    assert (
        credit_on_shipping(Decimal("200"), Decimal("640"), Decimal("0"), covers_shipping=True) == 0
    )
    # Credit covering the whole order covers the whole fee, never more.
    assert credit_on_shipping(
        Decimal("790"), Decimal("640"), Decimal("150"), covers_shipping=True
    ) == (150)


def place_with_credit(member, goods, shipping, credit) -> Order:
    return place_order(
        items=[(goods.pk, 1)],
        recipient=home_recipient(),
        shipping_method=shipping,
        payment_method="atm",
        user=member,
        credit_to_use=Decimal(credit),
    )


def test_order_records_no_credit_on_shipping_when_the_wallet_forbids_it(member, goods, shipping):
    order = place_with_credit(member, goods, shipping, 200)
    assert order.credit_on_shipping == 0
    assert Order.objects.get().credit_on_shipping == 0


def test_order_records_the_proportional_credit_on_shipping_when_the_wallet_allows_it(
    member, goods, shipping
):
    WalletSettings.objects.update_or_create(pk=1, defaults={"credit_covers_shipping": True})
    order = place_with_credit(member, goods, shipping, 200)
    assert order.credit_on_shipping == Decimal("37.97")
    # A later change of the setting does not change what the order was paid with.
    WalletSettings.objects.filter(pk=1).update(credit_covers_shipping=False)
    assert Order.objects.get().credit_on_shipping == Decimal("37.97")


def test_order_without_credit_records_none_on_shipping(member, goods, shipping):
    WalletSettings.objects.update_or_create(pk=1, defaults={"credit_covers_shipping": True})
    assert place_with_credit(member, goods, shipping, 0).credit_on_shipping == 0


@pytest.mark.parametrize("value", ["-1", "200.01", "150.01"])
def test_the_database_keeps_credit_on_shipping_within_the_credit_and_the_fee(
    member, goods, shipping, value
):
    WalletSettings.objects.update_or_create(pk=1, defaults={"credit_covers_shipping": True})
    order = place_with_credit(member, goods, shipping, 200)
    if value == "150.01":
        # Credit above the fee, so that only the fee bound is crossed.
        Order.objects.filter(pk=order.pk).update(shipping_fee=150, credit_used=300, grand_total=490)
    with pytest.raises(IntegrityError), transaction.atomic():
        Order.objects.filter(pk=order.pk).update(credit_on_shipping=Decimal(value))
