"""The hot pages cost a fixed number of queries, however many products they show."""

import pytest
from django.urls import reverse

from fenrun.accounts.tests.factories import UserFactory
from fenrun.catalog.tests.factories import CategoryFactory, ProductFactory
from fenrun.orders.services import place_order
from fenrun.orders.tests.factories import ShippingMethodFactory, home_recipient

from .helpers import add_image

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue():
    top = CategoryFactory(slug="top")
    child = CategoryFactory(parent=top, slug="child")
    grandchild = CategoryFactory(parent=child, slug="grandchild")
    products = []
    for n in range(24):
        product = ProductFactory(category=[top, child, grandchild][n % 3], stock=10)
        add_image(product)
        add_image(product)
        products.append(product)
    return top, grandchild, products


def test_home(client, catalogue, django_assert_max_num_queries):
    with django_assert_max_num_queries(5):
        assert client.get("/").status_code == 200


def test_category(client, catalogue, django_assert_max_num_queries):
    top, _grandchild, _products = catalogue
    with django_assert_max_num_queries(6):
        response = client.get(top.get_absolute_url())
    assert response.status_code == 200
    assert len(response.context["page"].object_list) == 24


def test_deep_category(client, catalogue, django_assert_max_num_queries):
    _top, grandchild, _products = catalogue
    with django_assert_max_num_queries(6):
        assert client.get(grandchild.get_absolute_url()).status_code == 200


def test_product(client, catalogue, django_assert_max_num_queries):
    product = catalogue[2][-1]
    with django_assert_max_num_queries(7):
        assert client.get(product.get_absolute_url()).status_code == 200


def test_product_for_a_member_with_a_cart(client, catalogue, django_assert_max_num_queries):
    product = catalogue[2][-1]
    client.force_login(UserFactory())
    client.post(reverse("storefront:cart_add"), {"product": product.pk, "quantity": 1})
    # + session, user and the cart count
    with django_assert_max_num_queries(10):
        assert client.get(product.get_absolute_url()).status_code == 200


def test_cart_with_many_lines(client, catalogue, django_assert_max_num_queries):
    for product in catalogue[2][:10]:
        client.post(reverse("storefront:cart_add"), {"product": product.pk, "quantity": 1})
    ShippingMethodFactory()
    with django_assert_max_num_queries(8):
        assert client.get(reverse("storefront:cart")).status_code == 200


def test_member_orders(client, catalogue, django_assert_max_num_queries):
    member = UserFactory()
    method = ShippingMethodFactory()
    for product in catalogue[2][:8]:
        place_order(
            items=[(product.pk, 1)],
            recipient=home_recipient(),
            shipping_method=method,
            payment_method="cod",
            user=member,
        )
    client.force_login(member)
    with django_assert_max_num_queries(8):
        assert client.get(reverse("storefront:member_orders")).status_code == 200
