"""The invoice at checkout, on the member's order page, in the e-mail and in the back office."""

from decimal import Decimal

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from fenrun.accounts.tests.factories import UserFactory
from fenrun.catalog.tests.factories import ProductFactory
from fenrun.core.testing import role_group
from fenrun.invoices import standin
from fenrun.invoices.models import Invoice, InvoiceChoice
from fenrun.orders.models import Order
from fenrun.orders.services import change_status
from fenrun.orders.status import OrderStatus as S
from fenrun.orders.tests.factories import ShippingMethodFactory

pytestmark = pytest.mark.django_db

MOBILE = {"kind": "mobile", "carrier_number": "/ABC1234"}


@pytest.fixture(autouse=True)
def _zh(settings):
    settings.LANGUAGE_CODE = "zh-hant"


@pytest.fixture
def shopper(client):
    buyer = UserFactory(email="buyer@example.com", name="王小明")
    client.force_login(buyer)
    product = ProductFactory(price=Decimal("500"), stock=10)
    client.post(reverse("storefront:cart_add"), {"product": product.pk, "quantity": 1})
    return client


def checkout(client, **invoice):
    page = client.get(reverse("orders:checkout"))
    return client.post(
        reverse("orders:checkout"),
        {
            "token": page.context["form"]["token"].value(),
            "recipient_name": "王小明",
            "recipient_phone": "0912345678",
            "email": "buyer@example.com",
            "shipping_method": ShippingMethodFactory().pk,
            "county": "臺北市",
            "district": "大安區",
            "street": "復興南路一段1號",
            "postal_code": "106",
            "payment_method": "atm",
            **invoice,
        },
    )


def test_checkout_offers_the_invoice_choice(shopper):
    html = shopper.get(reverse("orders:checkout")).content.decode()
    assert 'id="checkout-invoice"' in html
    assert "手機條碼" in html and "愛心碼" in html and "統一編號" in html


@pytest.mark.parametrize(
    "fields, stored",
    [
        ({"invoice_kind": "mobile", "invoice_carrier_number": "/abc1234"}, ("mobile", "/ABC1234")),
        ({"invoice_kind": "donation", "invoice_love_code": "168"}, ("donation", "168")),
        (
            {
                "invoice_kind": "company",
                "invoice_ban": "22099131",
                "invoice_company_name": "台積電",
            },
            ("company", "22099131 台積電"),
        ),
    ],
)
def test_checkout_records_the_choice(shopper, fields, stored):
    response = checkout(shopper, **fields)
    assert response.status_code == 302
    choice = InvoiceChoice.objects.get(order=Order.objects.get())
    assert (choice.kind, choice.detail) == stored


def test_a_posted_form_without_the_section_gets_the_member_carrier(shopper):
    assert checkout(shopper).status_code == 302
    choice = InvoiceChoice.objects.get()
    assert choice.kind == "member" and choice.detail == ""


@pytest.mark.parametrize(
    "fields, field, message",
    [
        (
            {"invoice_kind": "mobile", "invoice_carrier_number": "ABC1234"},
            "invoice_carrier_number",
            "手機條碼",
        ),
        (
            {"invoice_kind": "certificate", "invoice_carrier_number": "/ABC1234"},
            "invoice_carrier_number",
            "自然人憑證",
        ),
        ({"invoice_kind": "donation", "invoice_love_code": "12"}, "invoice_love_code", "愛心碼"),
        (
            {
                "invoice_kind": "company",
                "invoice_ban": "22099132",
                "invoice_company_name": "台積電",
            },
            "invoice_ban",
            "統一編號",
        ),
        ({"invoice_kind": "company", "invoice_ban": "22099131"}, "invoice_company_name", ""),
        ({"invoice_kind": "paper"}, "invoice_kind", ""),
    ],
)
def test_checkout_refuses_bad_invoice_details_on_their_field(shopper, fields, field, message):
    response = checkout(shopper, **fields)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors and message in " ".join(errors[field])
    assert not Order.objects.exists()


@pytest.fixture
def issued(shopper, django_capture_on_commit_callbacks):
    checkout(shopper, invoice_kind="mobile", invoice_carrier_number="/ABC1234")
    order = Order.objects.get()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        change_status(order, S.PAID)
    return Invoice.objects.get(order=order)


def test_the_member_sees_the_number_and_random_code(shopper, issued):
    html = shopper.get(
        reverse("storefront:member_order_detail", args=[issued.order.number])
    ).content.decode()
    assert f'<dd id="invoice-number">{issued.number}</dd>' in html
    assert f'<dd id="invoice-random-code">{issued.random_code}</dd>' in html
    assert "/ABC1234" in html


def test_the_paid_mail_carries_the_invoice(issued):
    (message,) = [m for m in mail.outbox if m.to == ["buyer@example.com"]]
    assert issued.number in message.body and issued.random_code in message.body
    assert issued.number in message.alternatives[0][0]


def staff(role="店長") -> Client:
    user = UserFactory(is_staff=True)
    user.groups.add(role_group(role))
    client = Client()
    client.force_login(user)
    return client


def test_staff_see_the_invoice_on_the_order(issued):
    html = staff().get(reverse("admin:orders_order_change", args=[issued.order.pk]))
    html = html.content.decode()
    assert f'<span id="admin-invoice-number">{issued.number}</span>' in html
    assert issued.random_code in html and 'id="invoice-error"' not in html


def test_staff_see_a_failed_issue_and_retry_it(shopper, django_capture_on_commit_callbacks):
    checkout(shopper, invoice_kind="donation", invoice_love_code="168")
    order = Order.objects.get()
    standin.fail_next("Issue")
    with django_capture_on_commit_callbacks(execute=True):
        change_status(order, S.PAID)
    owner = staff()
    page = owner.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()
    assert 'id="invoice-error"' in page and "9999999" in page
    failing = owner.get(reverse("admin:invoices_invoice_changelist") + "?failing=yes")
    assert order.number in failing.content.decode()
    invoice = Invoice.objects.get(order=order)
    retry = reverse("admin:invoices_invoice_retry", args=[invoice.pk])
    # Fulfilment staff see the failure but may not retry it.
    assert staff("出貨").post(retry).status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        response = owner.post(retry)
    assert response.status_code == 302
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.ISSUED and not invoice.needs_staff
    page = owner.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()
    assert 'id="invoice-error"' not in page and invoice.number in page


def test_the_order_page_after_checkout_shows_them_too(shopper, issued):
    # A guest has no member centre: the page checkout leads to is where they find the invoice.
    html = shopper.get(reverse("orders:placed", args=[issued.order.number])).content.decode()
    assert f'<dd id="invoice-number">{issued.number}</dd>' in html
    assert f'<dd id="invoice-random-code">{issued.random_code}</dd>' in html
