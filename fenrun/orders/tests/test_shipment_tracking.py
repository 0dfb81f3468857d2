"""The carrier and tracking number staff give when shipping reach the buyer: on the member's
order page, in the shipped mail and through the API."""

import json
from decimal import Decimal

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from fenrun.accounts.tests.factories import UserFactory
from fenrun.catalog.tests.factories import ProductFactory
from fenrun.core.testing import role_group
from fenrun.orders.models import Carrier, Order, OrderStatusChange
from fenrun.orders.services import ShipmentError, change_status, place_order
from fenrun.orders.status import OrderStatus as S
from fenrun.orders.tests.factories import ShippingMethodFactory, home_recipient

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _shop(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.LANGUAGE_CODE = "zh-hant"


@pytest.fixture
def buyer():
    return UserFactory(email="buyer@example.com", name="王小明")


@pytest.fixture
def order(buyer):
    return place_order(
        items=[(ProductFactory(price=Decimal("500"), stock=10).pk, 1)],
        recipient=home_recipient(email="buyer@example.com"),
        shipping_method=ShippingMethodFactory(),
        payment_method="cod",
        user=buyer,
    )


def role_client(role: str) -> Client:
    user = UserFactory(is_staff=True)
    user.groups.add(role_group(role))
    client = Client()
    client.force_login(user)
    return client


def test_the_carriers_are_taiwans(settings):
    from django.utils import translation

    with translation.override("zh-hant"):
        assert [str(label) for label in Carrier.labels] == [
            "黑貓宅急便",
            "新竹物流",
            "郵局",
            "7-ELEVEN 交貨便",
            "全家店到店",
            "萊爾富",
            "OK",
            "其他",
        ]


# -- the service -------------------------------------------------------------------------------


def test_shipping_stores_the_carrier_and_the_tracking_number(order):
    change_status(order, S.SHIPPED, carrier="tcat", tracking_number=" 9012 3456 7890 ")
    order.refresh_from_db()
    assert (order.carrier, order.tracking_number) == ("tcat", "9012 3456 7890")
    assert order.carrier_label == "黑貓宅急便"
    assert OrderStatusChange.objects.get(order=order, to_status=S.SHIPPED).note == ""


@pytest.mark.parametrize(
    ("target", "carrier", "number", "field"),
    [
        (S.SHIPPED, "", "123", "carrier"),  # a number needs its carrier
        (S.SHIPPED, "dhl", "123", "carrier"),  # not one of the list
        (S.SHIPPED, "tcat", "1" * 41, "tracking_number"),
        (S.CANCELLED, "tcat", "123", "carrier"),  # only when shipping
    ],
)
def test_a_shipment_that_does_not_fit_is_refused_and_nothing_moves(
    order, target, carrier, number, field
):
    with pytest.raises(ShipmentError) as refused:
        change_status(order, target, carrier=carrier, tracking_number=number)
    assert field in refused.value.errors
    order.refresh_from_db()
    assert (order.status, order.carrier, order.tracking_number) == (S.PENDING, "", "")


# -- the back office ---------------------------------------------------------------------------


def test_fulfilment_gives_carrier_and_tracking_number_on_the_order_page(order):
    shipper = role_client("出貨")
    page = shipper.get(reverse("admin:orders_order_change", args=[order.pk]))
    html = page.content.decode()
    assert 'name="carrier"' in html and 'name="tracking_number"' in html
    assert "黑貓宅急便" in html and "全家店到店" in html
    shipper.post(
        reverse("admin:orders_order_status", args=[order.pk]),
        {"target": "shipped", "carrier": "hct", "tracking_number": "HCT-778899"},
    )
    order.refresh_from_db()
    assert (order.status, order.carrier, order.tracking_number) == (S.SHIPPED, "hct", "HCT-778899")


def test_the_panel_refuses_a_number_without_carrier_and_says_why(order):
    shipper = role_client("出貨")
    response = shipper.post(
        reverse("admin:orders_order_status", args=[order.pk]),
        {"target": "shipped", "carrier": "", "tracking_number": "123"},
        follow=True,
    )
    order.refresh_from_db()
    assert order.status == S.PENDING
    assert any(order.number in str(m) for m in response.context["messages"])


def test_fields_for_shipping_do_not_ride_along_on_another_move(order):
    manager = role_client("店長")
    manager.post(
        reverse("admin:orders_order_status", args=[order.pk]),
        {"target": "cancelled", "carrier": "tcat", "tracking_number": "123"},
    )
    order.refresh_from_db()
    assert (order.status, order.carrier, order.tracking_number) == (S.CANCELLED, "", "")


def test_no_shipment_fields_where_the_order_cannot_ship(order):
    change_status(order, S.CANCELLED)
    html = role_client("出貨").get(reverse("admin:orders_order_change", args=[order.pk]))
    assert 'name="tracking_number"' not in html.content.decode()


# -- the API -----------------------------------------------------------------------------------


def api_status(client, order, body):
    return client.post(
        f"/api/v1/orders/{order.number}/status", json.dumps(body), content_type="application/json"
    )


def test_the_api_ships_with_carrier_and_tracking_number_and_shows_them_to_the_buyer(order, buyer):
    shipper = role_client("出貨")
    response = api_status(
        shipper, order, {"status": "shipped", "carrier": "post", "tracking_number": "EA123TW"}
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["carrier"], body["tracking_number"]) == ("post", "EA123TW")
    member = Client()
    member.force_login(buyer)
    mine = member.get(f"/api/v1/orders/{order.number}").json()
    assert (mine["carrier"], mine["carrier_label"], mine["tracking_number"]) == (
        "post",
        "郵局",
        "EA123TW",
    )


def test_the_api_refuses_a_tracking_number_that_does_not_fit(order):
    manager = role_client("店長")
    number_only = api_status(manager, order, {"status": "shipped", "tracking_number": "1"})
    assert number_only.status_code == 422
    assert "carrier" in number_only.json()["errors"]
    not_shipping = api_status(
        manager, order, {"status": "paid", "carrier": "tcat", "tracking_number": "1"}
    )
    assert not_shipping.status_code == 422
    assert api_status(manager, order, {"status": "shipped", "carrier": "ups"}).status_code == 422
    assert Order.objects.get().status == S.PENDING


# -- what the buyer sees -----------------------------------------------------------------------


def test_the_member_order_page_shows_carrier_and_tracking_number(order, buyer, client):
    change_status(order, S.SHIPPED, carrier="familymart", tracking_number="F12345678")
    client.force_login(buyer)
    html = client.get(reverse("storefront:member_order_detail", args=[order.number])).content
    html = html.decode()
    assert '<dd id="order-carrier">全家店到店</dd>' in html
    assert "F12345678" in html


def test_the_shipped_mail_gives_carrier_and_tracking_number(
    order, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        change_status(order, S.SHIPPED, carrier="tcat", tracking_number="901234567890")
    [message] = mail.outbox
    [(html, _mimetype)] = message.alternatives
    for body in (message.body, html):
        assert "黑貓宅急便" in body
        assert "901234567890" in body


def test_a_shipped_mail_without_tracking_names_no_number(order, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        change_status(order, S.SHIPPED)
    [message] = mail.outbox
    assert "貨運單號" not in message.body and "追蹤" not in message.body
