"""Two identical ECPay result messages arriving at the same moment pay the order once
(real PostgreSQL: the order and payment rows are locked while a message is applied)."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client

from fenrun.catalog.tests.factories import ProductFactory
from fenrun.core import testing
from fenrun.orders.gateways.ecpay import ECPayGateway
from fenrun.orders.gateways.ecpay_mac import check_mac_value
from fenrun.orders.models import Payment
from fenrun.orders.services import place_order
from fenrun.orders.status import OrderStatus
from fenrun.orders.tests.factories import ShippingMethodFactory, home_recipient
from fenrun.orders.tests.providers import ECPAY_TEST_MERCHANT, configure

pytestmark = testing.POSTGRES_ONLY


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_identical_results_pay_the_order_once():
    assert connection.vendor == "postgresql"
    merchant, key, iv = ECPAY_TEST_MERCHANT
    configure("ecpay", merchant, key, iv, methods=["card"])
    product = ProductFactory(stock=2, price=Decimal("500"))
    order = place_order(
        items=[(product.pk, 1)],
        recipient=home_recipient(),
        shipping_method=ShippingMethodFactory(),
        payment_method="gateway",
        payment_option="ecpay.card",
    )
    payment = ECPayGateway().start(order, "card")
    fields = {
        "MerchantID": merchant,
        "MerchantTradeNo": payment.reference,
        "RtnCode": "1",
        "RtnMsg": "交易成功",
        "TradeNo": "2512021200001234",
        "TradeAmt": str(int(payment.amount)),
        "PaymentType": "Credit_CreditCard",
    }
    fields["CheckMacValue"] = check_mac_value(fields, key, iv)

    answers = testing.run_at_once(2, lambda i: Client().post("/pay/ecpay/return/", fields))

    assert [a.content for a in answers] == [b"1|OK", b"1|OK"]
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert order.status_changes.filter(to_status=OrderStatus.PAID).count() == 1
    assert Payment.objects.get(pk=payment.pk).status == Payment.Status.SUCCEEDED
