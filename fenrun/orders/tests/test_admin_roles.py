"""What each staff role may do with orders, the catalogue and integrator keys in the back office."""

import pytest
from django.contrib.messages import SUCCESS
from django.test import Client
from django.urls import reverse

from fenrun.accounts.tests.factories import UserFactory
from fenrun.catalog.tests.factories import ProductFactory
from fenrun.core.auth import issue_integrator_token
from fenrun.core.testing import role_group
from fenrun.orders.models import OrderStatusChange
from fenrun.orders.services import change_status, place_order
from fenrun.orders.status import OrderStatus as S
from fenrun.orders.tests.factories import ShippingMethodFactory, home_recipient

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def role_client(role: str) -> Client:
    user = UserFactory(is_staff=True)
    user.groups.add(role_group(role))
    client = Client()
    client.force_login(user)
    client.user = user
    return client


def make_order(payment_method="cod", email="dawn@example.com"):
    return place_order(
        items=[(ProductFactory(stock=10).pk, 1)],
        recipient=home_recipient(),
        shipping_method=ShippingMethodFactory(),
        payment_method=payment_method,
        user=UserFactory(email=email, name=""),
    )


def change_url(order):
    return reverse("admin:orders_order_change", args=[order.pk])


def status_url(order):
    return reverse("admin:orders_order_status", args=[order.pk])


def action_names(client) -> set[str]:
    response = client.get(reverse("admin:orders_order_changelist"))
    assert response.status_code == 200
    return {name for name, _label in response.context["action_form"].fields["action"].choices}


def test_fulfilment_sees_orders_and_gets_only_the_ship_action():
    shipper = role_client("出貨")
    make_order()
    names = action_names(shipper)
    assert "mark_shipped" in names
    assert not names & {"mark_cancelled", "mark_refunded", "mark_paid", "mark_completed"}
    assert "mark_returned" not in names


def test_fulfilment_ships_with_a_tracking_number_from_the_order_page():
    shipper = role_client("出貨")
    order = make_order()
    page = shipper.get(change_url(order))
    assert page.status_code == 200
    assert [t for t, _label in page.context["status_actions"]] == ["shipped"]
    assert page.context["can_change_status"]
    assert page.context["can_ship"]
    shipper.post(
        status_url(order),
        {"target": "shipped", "carrier": "tcat", "tracking_number": "123456789012", "note": ""},
    )
    order.refresh_from_db()
    assert order.status == S.SHIPPED
    # The number is the order's, for the buyer to see, not a line in the staff history.
    assert (order.carrier, order.tracking_number) == ("tcat", "123456789012")
    assert OrderStatusChange.objects.get(order=order, to_status=S.SHIPPED).note == ""


def test_fulfilment_ships_with_the_bulk_action():
    shipper = role_client("出貨")
    order = make_order()
    response = shipper.post(
        reverse("admin:orders_order_changelist"),
        {"action": "mark_shipped", "_selected_action": [order.pk]},
        follow=True,
    )
    assert [m.level for m in response.context["messages"]] == [SUCCESS]
    order.refresh_from_db()
    assert order.status == S.SHIPPED


def test_fulfilment_may_not_cancel_refund_or_edit():
    shipper = role_client("出貨")
    order = make_order()
    assert shipper.post(status_url(order), {"target": "cancelled"}).status_code == 403
    response = shipper.post(
        reverse("admin:orders_order_changelist"),
        {"action": "mark_cancelled", "_selected_action": [order.pk]},
    )
    order.refresh_from_db()
    assert order.status == S.PENDING
    assert response.status_code in (200, 302)
    paid = make_order(payment_method="atm", email="eve@example.com")
    change_status(paid, S.PAID)
    assert shipper.post(status_url(paid), {"target": "refunded"}).status_code == 403
    page = shipper.get(change_url(order))
    # The order page is read-only for them: no field to edit, nothing to save.
    assert not page.context["adminform"].form.fields
    assert not page.context["has_change_permission"]
    edited = shipper.post(change_url(order), {"recipient_name": "陳大文"})
    assert edited.status_code == 403
    order.refresh_from_db()
    assert order.recipient_name != "陳大文"


def test_fulfilment_sees_no_move_button_where_it_may_not_move():
    shipper = role_client("出貨")
    order = make_order(payment_method="atm")  # pending ATM: paid or cancelled, not shipped
    page = shipper.get(change_url(order))
    assert not page.context["can_change_status"]
    assert "This order has reached a final status." not in page.content.decode()


def test_fulfilment_does_not_read_buyers_email_addresses():
    shipper = role_client("出貨")
    order = make_order()
    listing = shipper.get(reverse("admin:orders_order_changelist")).content.decode()
    page = shipper.get(change_url(order)).content.decode()
    assert "dawn@example.com" not in listing and "dawn@example.com" not in page
    assert "d***@example.com" in listing and "d***@example.com" in page
    owner = role_client("店長")
    assert "dawn@example.com" in owner.get(change_url(order)).content.decode()


def test_fulfilment_cannot_search_by_email_address():
    shipper = role_client("出貨")
    make_order()
    response = shipper.get(reverse("admin:orders_order_changelist"), {"q": "dawn@example.com"})
    assert response.context["cl"].result_count == 0


@pytest.mark.parametrize("role", ["行銷", "財務"])
def test_roles_without_an_order_capability_do_not_see_orders(role):
    client = role_client(role)
    order = make_order()
    assert client.get(reverse("admin:orders_order_changelist")).status_code == 403
    assert client.get(change_url(order)).status_code == 403
    assert client.post(status_url(order), {"target": "shipped"}).status_code == 403


def test_the_catalogue_and_shipping_methods_need_manage_catalogue():
    shipper = role_client("出貨")
    product = ProductFactory()
    for name in ("catalog_product", "catalog_category", "orders_shippingmethod"):
        assert shipper.get(reverse(f"admin:{name}_changelist")).status_code == 403, name
    clerk = UserFactory(is_staff=True)
    clerk.user_permissions.add(*role_group("店長").permissions.filter(codename="manage_catalogue"))
    client = Client()
    client.force_login(clerk)
    page = client.get(reverse("admin:catalog_product_change", args=[product.pk]))
    assert page.status_code == 200 and page.context["has_change_permission"]
    assert page.context["inline_admin_formsets"]


def test_integrator_keys_need_manage_integrations():
    issue_integrator_token("pos")
    shipper = role_client("出貨")
    assert shipper.get(reverse("admin:core_integratortoken_changelist")).status_code == 403
    owner = role_client("店長")
    assert owner.get(reverse("admin:core_integratortoken_changelist")).status_code == 200
