"""The checkout page and the API ask the orders service, so the same bad input gets the same
answer through both doors."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from fenrun.catalog.models import Product
from fenrun.catalog.tests.factories import ProductFactory
from fenrun.core.auth import issue_integrator_token
from fenrun.orders.forms import CheckoutForm
from fenrun.orders.models import Order
from fenrun.orders.tests.factories import ShippingMethodFactory

pytestmark = pytest.mark.django_db

GOOD = {
    "recipient_name": "王小明",
    "recipient_phone": "0912345678",
    "email": "buyer@example.com",
    "county": "臺北市",
    "district": "大安區",
    "street": "復興南路一段1號",
    "postal_code": "106",
    "payment_method": "atm",
}
# What the checkout page adds to the fields: its one-time token.
PAGE = {**GOOD, "token": "one-form"}


@pytest.fixture
def home():
    return ShippingMethodFactory(code="home")


@pytest.fixture
def api():
    _token, key = issue_integrator_token("pos-doors")
    return Client(headers={"Authorization": f"Bearer {key}", "Accept-Language": "zh-hant"})


def api_errors(api, product, quantity=1, **overrides):
    body = {
        **GOOD,
        **overrides,
        "items": [{"product": product.slug, "quantity": quantity}],
        "shipping_method": "home",
    }
    response = api.post("/api/v1/orders", json.dumps(body), content_type="application/json")
    assert response.status_code == 422, response.content
    return response.json()["errors"]


def form_errors(home, **overrides):
    form = CheckoutForm({**PAGE, **overrides, "shipping_method": home.pk})
    assert not form.is_valid()
    return {name: list(messages) for name, messages in form.errors.items()}


@pytest.mark.parametrize(
    "overrides",
    [
        {"recipient_phone": "0212345678"},
        {"recipient_phone": "09123"},
        {"recipient_phone": "+886 2 1234"},
    ],
)
def test_a_bad_mobile_number_reads_the_same(home, api, overrides, settings):
    settings.LANGUAGE_CODE = "zh-hant"
    product = ProductFactory(stock=5)
    form = form_errors(home, **overrides)
    assert form == {"recipient_phone": api_errors(api, product, **overrides)["recipient_phone"]}


@pytest.mark.parametrize(
    "overrides",
    [
        {"postal_code": "1067"},
        {"postal_code": "220"},
        {"district": "板橋區"},
        {"district": "板橋區", "postal_code": "1"},
    ],
)
def test_a_bad_postal_code_or_district_reads_the_same(home, api, overrides, settings):
    settings.LANGUAGE_CODE = "zh-hant"
    product = ProductFactory(stock=5)
    assert form_errors(home, **overrides) == api_errors(api, product, **overrides)


def test_short_stock_reads_the_same(home, api, settings):
    settings.LANGUAGE_CODE = "zh-hant"
    product = ProductFactory(stock=3, name="梨山高冷茶")
    page = Client()
    page.post(reverse("storefront:cart_add"), {"product": product.pk, "quantity": 3})
    Product.objects.filter(pk=product.pk).update(stock=2)  # someone else bought one
    response = page.post("/checkout/", {**PAGE, "shipping_method": home.pk})
    shown = list(response.context["form"].non_field_errors())
    assert shown == api_errors(api, product, quantity=3)["items.0.quantity"]
    assert shown == ["梨山高冷茶 只剩 2 件。"]
    assert not Order.objects.exists()
