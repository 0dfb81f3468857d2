from decimal import Decimal

import pytest

from fenrun.accounts.tests.factories import UserFactory
from fenrun.catalog.tests.factories import ProductFactory
from fenrun.orders.services import place_order
from fenrun.orders.tests.factories import ShippingMethodFactory, home_recipient


@pytest.fixture(autouse=True)
def _invoices(settings):
    settings.FENRUN_INVOICES = {
        **settings.FENRUN_INVOICES,
        "enabled": True,
        "issue_at": "paid",
        "stand_in_enabled": True,
        "ecpay": {
            "merchant_id": "2000132",
            "hash_key": "ejCk326UnaZWKisg",
            "hash_iv": "q9jcZX8Ib9LM8wYk",
            "url": "stand-in",
        },
    }


@pytest.fixture
def place(db):
    """place(choice=None, payment_method="atm") → a pending order of NT$500 + NT$100 shipping,
    with the invoice choice given as OrderPlaced context (as the checkout form does)."""

    def _place(choice=None, payment_method="atm", price="500"):
        context = {"invoice_choice": choice} if choice else {}
        return place_order(
            items=[(ProductFactory(price=Decimal(price), stock=10, name="高山茶").pk, 1)],
            recipient=home_recipient(email="buyer@example.com"),
            shipping_method=ShippingMethodFactory(),
            payment_method=payment_method,
            user=UserFactory(email="buyer@example.com", name="王小明"),
            context=context,
        )

    return _place
