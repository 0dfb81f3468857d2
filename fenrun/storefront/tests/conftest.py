from decimal import Decimal

import pytest

from fenrun.accounts.tests.factories import UserFactory
from fenrun.catalog.tests.factories import CategoryFactory, ProductFactory
from fenrun.orders.models import ShippingMethod
from fenrun.orders.tests.factories import ShippingMethodFactory

from .helpers import add_image


@pytest.fixture
def home_method(db):
    return ShippingMethodFactory()  # 宅配 NT$100, free from NT$1,500


@pytest.fixture
def cvs_method(db):
    return ShippingMethodFactory(
        code="cvs",
        name="超商取貨",
        kind=ShippingMethod.Kind.CVS,
        fee=Decimal("60"),
        free_threshold=Decimal("999"),
        sort_order=1,
    )


@pytest.fixture
def fruit(db):
    return CategoryFactory(name="當季水果", slug="fruit")


@pytest.fixture
def product(fruit):
    item = ProductFactory(
        category=fruit,
        name="梨山高冷茶",
        slug="lishan-tea",
        summary="海拔兩千公尺的清香",
        description="手採一心二葉。",
        price=Decimal("680"),
        stock=5,
    )
    add_image(item, alt="茶葉")
    return item


@pytest.fixture
def member(db):
    return UserFactory(email="amei@example.com", name="阿美")


@pytest.fixture
def member_client(client, member):
    client.force_login(member)
    return client
