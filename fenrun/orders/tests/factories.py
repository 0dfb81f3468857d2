"""Shipping methods and recipients for tests."""

from decimal import Decimal

import factory

from fenrun.orders.models import ShippingMethod
from fenrun.orders.services import Recipient


class ShippingMethodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ShippingMethod
        django_get_or_create = ("code",)

    code = "home"
    name = "宅配"
    kind = ShippingMethod.Kind.HOME
    fee = Decimal("100")
    free_threshold = Decimal("1500")


def home_recipient(**overrides) -> Recipient:
    data = dict(
        name="王小明",
        phone="0912345678",
        email="buyer@example.com",
        county="臺北市",
        district="大安區",
        street="復興南路一段1號",
        postal_code="106",
    )
    data.update(overrides)
    return Recipient(**data)


def api_order(**overrides) -> dict:
    """A body for ``POST /api/v1/orders``: one oolong, home delivery, cash on delivery."""
    body = {
        "items": [{"product": "oolong", "quantity": 1}],
        "recipient_name": "陳小華",
        "recipient_phone": "0987654321",
        "county": "臺北市",
        "district": "大安區",
        "street": "復興南路一段1號",
        "postal_code": "106",
        "shipping_method": "home",
        "payment_method": "cod",
    }
    body.update(overrides)
    return body
