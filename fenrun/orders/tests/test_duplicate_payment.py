"""An order is paid once: a second successful payment is given back and the buyer told.

Issue 12, item 7: a second payment started while the first was open, and a success callback
for each, left both payments "succeeded", the order paid once and nobody told: with a real
gateway, a double charge.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from fenrun.accounts.tests.factories import UserFactory
from fenrun.catalog.tests.factories import ProductFactory
from fenrun.core import testing
from fenrun.core.testing import role_group
from fenrun.orders import payments
from fenrun.orders.models import Payment
from fenrun.orders.payments import TestGateway, record_callback
from fenrun.orders.services import change_status, place_order
from fenrun.orders.status import OrderStatus
from fenrun.orders.tests.factories import ShippingMethodFactory, home_recipient

pytestmark = pytest.mark.django_db

STAFF_INBOX = "orders@shop.example"


@pytest.fixture(autouse=True)
def _settings(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.FENRUN_ORDER_NOTIFY_EMAIL = STAFF_INBOX
    settings.FENRUN_TEST_GATEWAY_SECRET = "s3cret"


class NoRefundGateway(TestGateway):
    """A gateway without a refund operation (as the real ones are until they implement it)."""

    __test__ = False
    can_refund = False

    def refund(self, payment):
        raise AssertionError("a gateway that cannot refund is never asked to")


def _gateway_order(buyer=None):
    buyer = buyer or UserFactory(email="buyer@example.com")
    product = ProductFactory(stock=3, price=Decimal("800"))
    return place_order(
        items=[(product.pk, 1)],
        recipient=home_recipient(email=buyer.email),
        shipping_method=ShippingMethodFactory(),
        payment_method="gateway",
        user=buyer,
    )


def _succeed(gateway, payment, capture):
    payload = {"reference": payment.reference, "result": "success", "amount": str(payment.amount)}
    with capture(execute=True):
        record_callback(gateway, payload, gateway.sign(payload))
    payment.refresh_from_db()
    return payment


def _mails_to(address):
    return [m for m in mail.outbox if address in m.to]


def _two_payments_of_one_order():
    """Two payments open for one order at once, as before payments were reused."""
    gateway = TestGateway()
    order = _gateway_order()
    return gateway, order, gateway.start(order), gateway.start(order)


def test_a_second_success_is_refunded_at_once_and_the_buyer_told(
    django_capture_on_commit_callbacks,
):
    gateway, order, first, second = _two_payments_of_one_order()
    _succeed(gateway, first, django_capture_on_commit_callbacks)
    mail.outbox.clear()

    second = _succeed(gateway, second, django_capture_on_commit_callbacks)

    assert first.status == "succeeded"
    assert second.status == "refunded"
    assert second.refund_reference == "R" + second.reference
    assert second.refunded_at is not None
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert order.status_changes.filter(to_status=OrderStatus.PAID).count() == 1
    (told,) = _mails_to("buyer@example.com")
    assert order.number in told.subject
    assert "退款" in told.subject  # zh-Hant: the shop's language
    assert "NT$900" in told.body
    assert second.refund_reference in told.body
    # Refunded by itself: nothing for staff to do, so no staff notice.
    assert _mails_to(STAFF_INBOX) == []


def test_the_same_duplicate_callback_twice_refunds_once(
    django_capture_on_commit_callbacks, monkeypatch
):
    gateway, _order, first, second = _two_payments_of_one_order()
    refunds = []
    real_refund = TestGateway.refund
    monkeypatch.setattr(
        TestGateway, "refund", lambda self, p: refunds.append(p.pk) or real_refund(self, p)
    )
    _succeed(gateway, first, django_capture_on_commit_callbacks)
    mail.outbox.clear()

    _succeed(gateway, second, django_capture_on_commit_callbacks)
    _succeed(gateway, second, django_capture_on_commit_callbacks)  # the gateway retries

    assert refunds == [second.pk]
    assert Payment.objects.get(pk=second.pk).status == "refunded"
    assert len(_mails_to("buyer@example.com")) == 1


def test_without_a_refund_operation_the_duplicate_goes_to_staff_who_refund_it(
    django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setitem(payments.GATEWAYS, TestGateway.code, NoRefundGateway)
    gateway = NoRefundGateway()
    order = _gateway_order()
    first, second = gateway.start(order), gateway.start(order)
    _succeed(gateway, first, django_capture_on_commit_callbacks)
    mail.outbox.clear()

    second = _succeed(gateway, second, django_capture_on_commit_callbacks)

    assert second.status == "duplicate"
    (buyer_mail,) = _mails_to("buyer@example.com")
    assert "NT$900" in buyer_mail.body
    (staff_mail,) = _mails_to(STAFF_INBOX)
    assert order.number in staff_mail.subject
    assert reverse("admin:orders_order_change", args=[order.pk]) in staff_mail.body

    # The order's admin page shows it, with the form to record the refund made by hand.
    manager = UserFactory(is_staff=True)
    manager.groups.add(role_group("店長"))
    client = Client()
    client.force_login(manager)
    page = client.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()
    assert 'id="order-duplicate-charges"' in page
    assert second.reference in page
    refund_url = reverse("admin:orders_order_refund_payment", args=[order.pk, second.pk])
    assert refund_url in page
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(refund_url, {"refund_reference": "ECPAY-RF-123"})

    second.refresh_from_db()
    assert (second.status, second.refund_reference) == ("refunded", "ECPAY-RF-123")
    (refunded_mail,) = _mails_to("buyer@example.com")
    assert "ECPAY-RF-123" in refunded_mail.body
    page = client.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()
    assert 'id="order-duplicate-charges"' not in page


def test_a_refund_the_gateway_refuses_is_left_to_staff_and_retried_from_the_admin(
    django_capture_on_commit_callbacks, monkeypatch
):
    from fenrun.orders.payments import RefundError

    gateway, order, first, second = _two_payments_of_one_order()
    _succeed(gateway, first, django_capture_on_commit_callbacks)

    def refuse(self, payment):
        raise RefundError("gateway timeout")

    monkeypatch.setattr(TestGateway, "refund", refuse)
    mail.outbox.clear()
    second = _succeed(gateway, second, django_capture_on_commit_callbacks)
    assert (second.status, second.refund_note) == ("duplicate", "gateway timeout")
    assert len(_mails_to(STAFF_INBOX)) == 1

    monkeypatch.undo()
    staff = UserFactory(is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(staff)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("admin:orders_order_refund_payment", args=[order.pk, second.pk]))
    second.refresh_from_db()
    assert (second.status, second.refund_reference) == ("refunded", "R" + second.reference)


def test_only_order_managers_refund(monkeypatch):
    monkeypatch.setitem(payments.GATEWAYS, TestGateway.code, NoRefundGateway)
    gateway = NoRefundGateway()
    order = _gateway_order()
    payment = gateway.start(order)
    Payment.objects.filter(pk=payment.pk).update(status="duplicate")
    shipper = UserFactory(is_staff=True)
    shipper.groups.add(role_group("出貨"))
    client = Client()
    client.force_login(shipper)
    response = client.post(
        reverse("admin:orders_order_refund_payment", args=[order.pk, payment.pk]),
        {"refund_reference": "x"},
    )
    assert response.status_code == 403
    assert Payment.objects.get(pk=payment.pk).status == "duplicate"


def test_a_success_after_the_order_was_cancelled_is_given_back(
    django_capture_on_commit_callbacks,
):
    gateway = TestGateway()
    order = _gateway_order()
    payment = gateway.start(order)
    change_status(order, OrderStatus.CANCELLED)

    payment = _succeed(gateway, payment, django_capture_on_commit_callbacks)

    assert payment.status == "refunded"
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED


def test_the_database_refuses_two_successes_for_one_order():
    gateway, _order, first, second = _two_payments_of_one_order()
    Payment.objects.filter(pk=first.pk).update(status="succeeded")
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.filter(pk=second.pk).update(status="succeeded")


# -- paying again reuses the open payment ----------------------------------------------------


def test_paying_again_while_a_payment_is_open_sends_the_buyer_back_to_it():
    buyer = UserFactory(email="buyer@example.com")
    order = _gateway_order(buyer)
    client = Client()
    client.force_login(buyer)
    pay = reverse("orders:pay", args=[order.number])

    first = client.post(pay)
    second = client.post(pay)

    assert order.payments.count() == 1
    assert (
        first.url
        == second.url
        == reverse("orders:test_gateway", args=[order.payments.get().reference])
    )


def test_a_payment_abandoned_long_ago_is_not_reused():
    buyer = UserFactory(email="buyer@example.com")
    order = _gateway_order(buyer)
    old = TestGateway().start(order)
    Payment.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=2))
    client = Client()
    client.force_login(buyer)

    client.post(reverse("orders:pay", args=[order.number]))

    assert order.payments.count() == 2


# -- two successes at once (real PostgreSQL) -------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
@testing.POSTGRES_ONLY[1]
def test_two_payments_succeeding_at_once_pay_the_order_once_and_refund_the_other():
    gateway, order, *both = _two_payments_of_one_order()

    def callback(i):
        payload = {
            "reference": both[i].reference,
            "result": "success",
            "amount": str(both[i].amount),
        }
        return record_callback(gateway, payload, gateway.sign(payload))

    results = testing.run_at_once(2, callback)

    assert not [r for r in results if isinstance(r, Exception)], results
    statuses = sorted(Payment.objects.filter(order=order).values_list("status", flat=True))
    assert statuses == ["refunded", "succeeded"]
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert order.status_changes.filter(to_status=OrderStatus.PAID).count() == 1


def test_the_buyer_paying_a_second_open_payment_is_told_it_comes_back(client):
    buyer = UserFactory(email="buyer@example.com")
    order = _gateway_order(buyer)
    gateway = TestGateway()
    first, second = gateway.start(order), gateway.start(order)
    client.force_login(buyer)
    client.post(reverse("orders:test_gateway", args=[first.reference]), {"result": "success"})

    back = client.post(
        reverse("orders:test_gateway", args=[second.reference]), {"result": "success"}
    )

    page = client.get(back.url).content.decode()
    assert "這筆付款已退還給您" in page
    assert Payment.objects.get(pk=second.pk).status == "refunded"
