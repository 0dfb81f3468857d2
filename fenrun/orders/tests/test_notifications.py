"""Order e-mails: what they say, in which language, to whom, and only after the order commits."""

import logging
import re
import smtplib
from decimal import Decimal

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import translation

from fenrun.accounts.tests.factories import UserFactory
from fenrun.catalog.tests.factories import ProductFactory
from fenrun.core import events
from fenrun.orders import notifications
from fenrun.orders.events import OrderPlaced
from fenrun.orders.models import Order, ShippingMethod
from fenrun.orders.services import change_status, place_order
from fenrun.orders.status import OrderStatus, TransitionError
from fenrun.orders.tests.factories import ShippingMethodFactory, home_recipient

pytestmark = pytest.mark.django_db

SITE = "https://shop.example.tw"


@pytest.fixture(autouse=True)
def _shop(settings):
    settings.FENRUN_SHOP_NAME = "山嵐小農"
    settings.FENRUN_SITE_URL = SITE + "/"
    settings.FENRUN_ORDER_NOTIFY_EMAIL = ""
    settings.LANGUAGE_CODE = "zh-hant"
    settings.FENRUN_BANK_TRANSFER = {
        "bank_code": "812",
        "bank_name": "台新銀行",
        "account": "2888-1000-123456",
    }


def _place(capture, *, user=None, payment_method="atm", **kwargs):
    tea = ProductFactory(name="阿里山烏龍茶 & 蜜香紅茶", price=Decimal("680"), stock=10)
    honey = ProductFactory(name="龍眼蜂蜜", price=Decimal("250"), stock=10)
    kwargs.setdefault("recipient", home_recipient(email="buyer@shanlan.tw"))
    kwargs.setdefault("shipping_method", ShippingMethodFactory())
    with capture(execute=True):
        order = place_order(
            items=[(tea.pk, 1), (honey.pk, 2)],
            user=user,
            payment_method=payment_method,
            **kwargs,
        )
    return order


def _html(message) -> str:
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return html


# ------------------------------------------------------------------------------ confirmation


def test_member_confirmation_has_lines_totals_atm_instructions_and_an_absolute_link(
    django_capture_on_commit_callbacks,
):
    member = UserFactory(name="林阿美", email="amei@shanlan.tw")
    order = _place(django_capture_on_commit_callbacks, user=member)

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["buyer@shanlan.tw"]  # the address given at checkout
    assert message.subject == f"【山嵐小農】訂單 {order.number} 已成立"
    text, html = message.body, _html(message)
    for body in (text, html):
        assert order.number in body
        assert "林阿美 您好" in body
        assert "龍眼蜂蜜" in body
        assert "NT$1,180" in body  # goods: 680 + 2 × 250
        assert "NT$100" in body  # shipping under the free threshold
        assert "NT$1,280" in body  # grand total
        assert "請以 ATM 轉帳付款" in body
        assert order.payment_reference in body
        assert "2888-1000-123456" in body
        assert "臺北市大安區復興南路一段1號" in body
        assert f"{SITE}/member/orders/{order.number}/" in body
    # Plain text is not HTML-escaped; the HTML is.
    assert "阿里山烏龍茶 & 蜜香紅茶" in text and "&amp;" not in text
    assert "阿里山烏龍茶 &amp; 蜜香紅茶" in html
    assert "{%" not in text and "{{" not in text
    assert not re.search(r"\n{3,}", text)


def test_guest_confirmation_has_no_member_link_but_keeps_the_whole_order(
    django_capture_on_commit_callbacks,
):
    order = _place(
        django_capture_on_commit_callbacks,
        recipient=home_recipient(name="王小明", email="guest@shanlan.tw"),
    )
    [message] = mail.outbox
    assert message.to == ["guest@shanlan.tw"]
    for body in (message.body, _html(message)):
        assert "王小明 您好" in body
        assert order.number in body
        assert "/member/orders/" not in body
        assert "請保留這封信作為訂購紀錄" in body


def test_cash_on_delivery_confirmation_says_to_have_the_money_ready(
    django_capture_on_commit_callbacks,
):
    order = _place(django_capture_on_commit_callbacks, payment_method="cod")
    [message] = mail.outbox
    assert "貨到付款" in message.body
    assert "NT$1,280" in message.body
    assert order.payment_reference == ""
    assert "付款識別碼" not in message.body


def test_staff_notice_goes_to_every_configured_address_with_a_back_office_link(
    settings, django_capture_on_commit_callbacks
):
    settings.FENRUN_ORDER_NOTIFY_EMAIL = "orders@shanlan.tw, boss@shanlan.tw"
    order = _place(django_capture_on_commit_callbacks)
    buyer, staff = mail.outbox
    assert buyer.to == ["buyer@shanlan.tw"]
    assert staff.to == ["orders@shanlan.tw", "boss@shanlan.tw"]
    assert staff.subject == f"【山嵐小農】新訂單 {order.number}"
    for body in (staff.body, _html(staff)):
        assert f"{SITE}/admin/orders/order/{order.pk}/change/" in body
        assert "訪客" in body and "buyer@shanlan.tw" in body
        assert "NT$1,280" in body


def test_no_staff_notice_without_an_address(django_capture_on_commit_callbacks):
    _place(django_capture_on_commit_callbacks)
    assert [m.to for m in mail.outbox] == [["buyer@shanlan.tw"]]


def test_demo_orders_are_not_mailed(settings, django_capture_on_commit_callbacks):
    settings.FENRUN_ORDER_NOTIFY_EMAIL = "orders@shanlan.tw"
    order = _place(django_capture_on_commit_callbacks, source="demo")
    with django_capture_on_commit_callbacks(execute=True):
        change_status(order, OrderStatus.PAID)
    assert mail.outbox == []


# ---------------------------------------------------------------------------------- language


def test_mail_is_in_the_shops_language_not_the_language_of_the_request(
    django_capture_on_commit_callbacks,
):
    with translation.override("en"):
        order = _place(django_capture_on_commit_callbacks)
    [message] = mail.outbox
    assert message.subject == f"【山嵐小農】訂單 {order.number} 已成立"
    assert "感謝您在山嵐小農訂購" in message.body


def test_a_shop_that_runs_in_english_mails_in_english(settings, django_capture_on_commit_callbacks):
    settings.LANGUAGE_CODE = "en"
    order = _place(django_capture_on_commit_callbacks)
    [message] = mail.outbox
    assert message.subject == f"[山嵐小農] Order {order.number} received"
    assert "Thank you for your order at 山嵐小農" in message.body
    assert "Please pay by bank transfer" in message.body
    assert 'lang="en"' in _html(message)


# ----------------------------------------------------------------------- after commit only


def test_nothing_is_sent_until_the_transaction_commits(django_capture_on_commit_callbacks):
    product = ProductFactory(stock=5)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        place_order(
            items=[(product.pk, 1)],
            recipient=home_recipient(),
            shipping_method=ShippingMethodFactory(),
            payment_method="atm",
        )
    assert mail.outbox == []
    assert len(callbacks) == 1
    callbacks[0]()
    assert len(mail.outbox) == 1


def test_no_mail_when_the_surrounding_transaction_rolls_back(django_capture_on_commit_callbacks):
    product = ProductFactory(stock=5)

    class Abort(Exception):
        pass

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(Abort), transaction.atomic():
            order = place_order(
                items=[(product.pk, 1)],
                recipient=home_recipient(),
                shipping_method=ShippingMethodFactory(),
                payment_method="atm",
            )
            change_status(order, OrderStatus.PAID)
            raise Abort
    assert callbacks == []
    assert mail.outbox == []
    assert not Order.objects.exists()


def test_no_mail_when_a_subscriber_refuses_the_order(django_capture_on_commit_callbacks):
    product = ProductFactory(stock=5)

    def refuse(event):
        raise RuntimeError("refused")

    events.subscribe(OrderPlaced, refuse)
    try:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            with pytest.raises(RuntimeError):
                place_order(
                    items=[(product.pk, 1)],
                    recipient=home_recipient(),
                    shipping_method=ShippingMethodFactory(),
                    payment_method="atm",
                )
    finally:
        events.unsubscribe(OrderPlaced, refuse)
    assert callbacks == []
    assert mail.outbox == []


def test_a_mail_failure_is_logged_and_does_not_fail_the_order(
    settings, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    settings.FENRUN_ORDER_NOTIFY_EMAIL = "orders@shanlan.tw"
    attempts = []

    def broken_send(self, fail_silently=False):
        attempts.append(self.to)
        raise smtplib.SMTPServerDisconnected("connection lost")

    monkeypatch.setattr(EmailMultiAlternatives, "send", broken_send)
    with caplog.at_level(logging.ERROR, logger="fenrun.orders.notifications"):
        order = _place(django_capture_on_commit_callbacks)

    assert Order.objects.filter(pk=order.pk, status=OrderStatus.PENDING).exists()
    # The buyer's failure did not stop the staff notice from being tried.
    assert attempts == [["buyer@shanlan.tw"], ["orders@shanlan.tw"]]
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 2
    assert all(order.number in r.getMessage() for r in errors)
    assert all(isinstance(r.exc_info[1], smtplib.SMTPServerDisconnected) for r in errors)


def test_a_template_failure_is_logged_too(monkeypatch, caplog, django_capture_on_commit_callbacks):
    def broken_render(*args, **kwargs):
        raise ValueError("template broke")

    monkeypatch.setattr(notifications, "render_to_string", broken_render)
    with caplog.at_level(logging.ERROR, logger="fenrun.orders.notifications"):
        order = _place(django_capture_on_commit_callbacks)
    assert Order.objects.filter(pk=order.pk).exists()
    assert mail.outbox == []
    assert "template broke" in caplog.text


# ------------------------------------------------------------------------------ status mails


def test_paid_mail(django_capture_on_commit_callbacks):
    order = _place(django_capture_on_commit_callbacks, user=UserFactory())
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        change_status(order, OrderStatus.PAID)
    [message] = mail.outbox
    assert message.to == ["buyer@shanlan.tw"]
    assert message.subject == f"【山嵐小農】訂單 {order.number} 已收到付款"
    for body in (message.body, _html(message)):
        assert "我們已收到您支付的 NT$1,280" in body
        assert f"{SITE}/member/orders/{order.number}/" in body


def test_shipped_mail_names_the_method_and_the_pickup_store_and_asks_for_cod_money(
    django_capture_on_commit_callbacks,
):
    cvs = ShippingMethod.objects.create(
        code="cvs-711", name="7-ELEVEN 取貨", kind="cvs", fee=Decimal("60")
    )
    order = _place(
        django_capture_on_commit_callbacks,
        payment_method="cod",
        shipping_method=cvs,
        recipient=home_recipient(
            email="buyer@shanlan.tw", cvs_store_name="大安門市", cvs_store_id="123456"
        ),
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        change_status(order, OrderStatus.SHIPPED)
    [message] = mail.outbox
    assert message.subject == f"【山嵐小農】訂單 {order.number} 已出貨"
    for body in (message.body, _html(message)):
        assert "已透過「7-ELEVEN 取貨」寄出" in body
        assert "取貨門市大安門市" in body
        assert "貨到付款" in body and "NT$1,240" in body  # 1,180 + 60 pickup fee


def test_cancelled_after_payment_says_the_money_comes_back(django_capture_on_commit_callbacks):
    order = _place(django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        change_status(order, OrderStatus.PAID)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        change_status(order, OrderStatus.CANCELLED)
    [message] = mail.outbox
    assert message.subject == f"【山嵐小農】訂單 {order.number} 已取消"
    assert "您的訂單已取消" in message.body
    assert "您已付款，我們會與您聯絡退款事宜" in message.body


def test_cancelled_before_payment_does_not_mention_a_refund(django_capture_on_commit_callbacks):
    order = _place(django_capture_on_commit_callbacks)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        change_status(order, OrderStatus.CANCELLED)
    [message] = mail.outbox
    assert "您的訂單已取消" in message.body
    assert "退款" not in message.body


def test_refunded_mail_gives_the_amount_and_the_returned_credit(django_capture_on_commit_callbacks):
    order = _place(django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        change_status(order, OrderStatus.PAID)
    # As if NT$200 of shopping credit had been spent at checkout (the wallet is not under test).
    Order.objects.filter(pk=order.pk).update(
        credit_used=Decimal("200"), grand_total=Decimal("1080")
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        change_status(order, OrderStatus.REFUNDED)
    [message] = mail.outbox
    assert message.subject == f"【山嵐小農】訂單 {order.number} 已退款"
    for body in (message.body, _html(message)):
        assert "您的訂單已退款：NT$1,080" in body
        assert "NT$200 購物金將退回您的帳戶" in body


@pytest.mark.parametrize("quiet", [OrderStatus.COMPLETED, OrderStatus.RETURNED])
def test_completed_and_returned_are_not_mailed(quiet, django_capture_on_commit_callbacks, settings):
    # A cash-on-delivery order is invoiced when completed: that job is not a mail.
    settings.FENRUN_INVOICES = {**settings.FENRUN_INVOICES, "enabled": False}
    order = _place(django_capture_on_commit_callbacks, payment_method="cod")
    with django_capture_on_commit_callbacks(execute=True):
        change_status(order, OrderStatus.SHIPPED)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        change_status(order, quiet)
    assert callbacks == []
    assert mail.outbox == []


def test_two_changes_in_one_transaction_send_one_mail_each_in_order(
    django_capture_on_commit_callbacks,
):
    order = _place(django_capture_on_commit_callbacks)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        change_status(order, OrderStatus.PAID)
        change_status(order, OrderStatus.SHIPPED)
    assert [m.subject for m in mail.outbox] == [
        f"【山嵐小農】訂單 {order.number} 已收到付款",
        f"【山嵐小農】訂單 {order.number} 已出貨",
    ]


def test_a_refused_status_change_sends_nothing(django_capture_on_commit_callbacks):
    order = _place(django_capture_on_commit_callbacks)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(TransitionError):
            change_status(order, OrderStatus.COMPLETED)  # pending → completed is not allowed
    assert callbacks == []
    assert mail.outbox == []


# ------------------------------------------------------------------------------ as a job


def test_the_mail_job_run_again_sends_nothing_twice(settings, django_capture_on_commit_callbacks):
    from fenrun.orders.tasks import send_order_mail

    settings.FENRUN_ORDER_NOTIFY_EMAIL = "orders@shanlan.tw"
    order = _place(django_capture_on_commit_callbacks)
    assert sorted(m.to[0] for m in mail.outbox) == ["buyer@shanlan.tw", "orders@shanlan.tw"]
    send_order_mail.apply(args=("placed", order.pk))  # a redelivered message, a second worker
    send_order_mail.apply(args=("placed", order.pk))
    assert len(mail.outbox) == 2


def test_a_failed_mail_is_sent_by_the_retry_and_only_the_failed_one(
    settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.FENRUN_ORDER_NOTIFY_EMAIL = "orders@shanlan.tw"
    real_send = EmailMultiAlternatives.send

    def buyer_fails(self, fail_silently=False):
        if self.to == ["buyer@shanlan.tw"]:
            raise smtplib.SMTPServerDisconnected("connection lost")
        return real_send(self, fail_silently)

    monkeypatch.setattr(EmailMultiAlternatives, "send", buyer_fails)
    order = _place(django_capture_on_commit_callbacks)
    assert [m.to for m in mail.outbox] == [["orders@shanlan.tw"]]
    monkeypatch.setattr(EmailMultiAlternatives, "send", real_send)
    with pytest.raises(smtplib.SMTPServerDisconnected):
        monkeypatch.setattr(EmailMultiAlternatives, "send", buyer_fails)
        notifications.send("placed", order.pk)
    monkeypatch.setattr(EmailMultiAlternatives, "send", real_send)
    notifications.send("placed", order.pk)  # what the retry runs
    assert sorted(m.to[0] for m in mail.outbox) == ["buyer@shanlan.tw", "orders@shanlan.tw"]
