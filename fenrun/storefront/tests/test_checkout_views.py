from decimal import Decimal
from uuid import uuid4

import pytest
from django.urls import reverse

from fenrun.accounts.tests.factories import UserFactory
from fenrun.catalog.models import Product
from fenrun.orders import views as order_views
from fenrun.orders.models import CartLine, Order, Payment

pytestmark = pytest.mark.django_db

CHECKOUT = "/checkout/"


def fill_cart(client, product, quantity=1):
    response = client.post(
        reverse("storefront:cart_add"), {"product": product.pk, "quantity": quantity}
    )
    assert response.status_code == 302


def home_form(method, **overrides):
    data = {
        "recipient_name": "王小明",
        "recipient_phone": "0912-345-678",
        "email": "buyer@example.com",
        "shipping_method": method.pk,
        "county": "臺北市",
        "district": "大安區",
        "street": "復興南路一段1號",
        "postal_code": "106",
        "payment_method": "atm",
        "note": "請下午送",
        "token": uuid4().hex,  # the form's one-time token: each call is a page of its own
    }
    data.update(overrides)
    return data


def cvs_form(method, **overrides):
    data = {
        "recipient_name": "林小華",
        "recipient_phone": "+886 912 345 679",
        "email": "guest@example.com",
        "shipping_method": method.pk,
        "cvs_store_name": "7-ELEVEN 復興門市",
        "cvs_store_id": "123456",
        "payment_method": "cod",
        "token": uuid4().hex,
    }
    data.update(overrides)
    return data


def test_empty_cart_redirects_to_the_cart(client, home_method):
    response = client.get(CHECKOUT)
    assert response.status_code == 302
    assert response.url == reverse("storefront:cart")


def test_checkout_page_shows_the_server_side_summary(client, product, home_method, cvs_method):
    fill_cart(client, product, 2)  # NT$1,360
    response = client.get(CHECKOUT)
    assert response.status_code == 200
    html = response.content.decode()
    assert "NT$1,360" in html
    assert "NT$1,460" in html  # + NT$100 home delivery
    assert "臺北市" in html and "連江縣" in html
    assert 'data-kind="cvs"' in html
    assert "ATM 轉帳" in html and "貨到付款" in html
    # The form never carries a price or a total.
    assert 'name="price' not in html and 'name="total' not in html


def test_summary_follows_the_chosen_shipping_method(client, product, home_method, cvs_method):
    fill_cart(client, product, 2)  # NT$1,360: free with 超商取貨 (from NT$999)
    html = client.get(
        reverse("orders:checkout_summary"), {"shipping_method": cvs_method.pk}
    ).content.decode()
    assert "超商取貨" in html and "免運" in html
    assert "NT$1,360" in html
    html = client.get(reverse("orders:checkout_summary"), {"shipping_method": "x"}).content.decode()
    assert "NT$1,460" in html


def test_member_sees_prefilled_email_and_name(member_client, member, product, home_method):
    fill_cart(member_client, product)
    html = member_client.get(CHECKOUT).content.decode()
    assert 'value="amei@example.com"' in html
    assert 'value="阿美"' in html


def test_guest_checkout_home_delivery_atm(client, product, home_method):
    fill_cart(client, product, 1)
    response = client.post(CHECKOUT, home_form(home_method))
    order = Order.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("orders:placed", args=[order.number])
    assert order.user is None
    assert order.email == "buyer@example.com"
    assert order.recipient_phone == "0912345678"
    assert order.goods_total == Decimal("680")
    assert order.shipping_fee == Decimal("100")
    assert order.grand_total == Decimal("780")
    assert (order.county, order.district, order.postal_code) == ("臺北市", "大安區", "106")
    assert order.note == "請下午送"
    assert not CartLine.objects.exists()
    assert Product.objects.get(pk=product.pk).stock == 4

    html = client.get(response.url).content.decode()
    assert order.number in html
    assert "812 台新銀行" in html
    assert "2888-1000-123456" in html
    assert order.payment_reference in html
    assert "NT$780" in html


def test_member_checkout_cvs_cod(member_client, member, product, cvs_method):
    fill_cart(member_client, product, 2)
    response = member_client.post(CHECKOUT, cvs_form(cvs_method, email="amei@example.com"))
    order = Order.objects.get()
    assert response.status_code == 302
    assert order.user == member
    assert order.recipient_phone == "0912345679"
    assert (order.cvs_store_name, order.cvs_store_id) == ("7-ELEVEN 復興門市", "123456")
    assert order.county == "" and order.street == ""
    assert order.shipping_fee == Decimal("0")  # over the NT$999 threshold
    assert order.payment_reference == ""
    html = member_client.get(response.url).content.decode()
    assert "貨到付款" in html
    assert "NT$1,360" in html


def test_gateway_checkout_goes_to_the_test_gateway_and_back(client, product, home_method):
    fill_cart(client, product, 1)
    response = client.post(CHECKOUT, home_form(home_method, payment_method="gateway"))
    payment = Payment.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("orders:test_gateway", args=[payment.reference])
    assert payment.amount == Decimal("780")
    page = client.get(response.url)
    assert page.status_code == 200
    assert "NT$780" in page.content.decode()

    back = client.post(response.url, {"result": "success"})
    order = Order.objects.get()
    assert back.url == reverse("orders:placed", args=[order.number])
    assert order.status == "paid"
    assert Payment.objects.get().status == Payment.Status.SUCCEEDED
    html = client.get(back.url).content.decode()
    assert "已付款" in html


def test_failed_gateway_payment_can_be_retried(client, product, home_method):
    fill_cart(client, product, 1)
    response = client.post(CHECKOUT, home_form(home_method, payment_method="gateway"))
    back = client.post(response.url, {"result": "fail"})
    order = Order.objects.get()
    assert order.status == "pending"
    html = client.get(back.url).content.decode()
    assert "上一次付款失敗" in html
    retry = client.post(reverse("orders:pay", args=[order.number]))
    assert Payment.objects.count() == 2
    assert retry.url.startswith("/pay/test/")
    client.post(retry.url, {"result": "success"})
    order.refresh_from_db()
    assert order.status == "paid"
    # The first (failed) payment page cannot be replayed into another status change.
    first = Payment.objects.get(status=Payment.Status.FAILED)
    client.post(reverse("orders:test_gateway", args=[first.reference]), {"result": "success"})
    assert Payment.objects.get(pk=first.pk).status == Payment.Status.FAILED


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"recipient_phone": "0212345678"}, "recipient_phone", "09 開頭"),
        ({"recipient_phone": "09123"}, "recipient_phone", "09 開頭"),
        ({"recipient_name": ""}, "recipient_name", "這個欄位是必須的"),
        ({"email": "not-an-email"}, "email", "有效的電子郵件"),
        ({"county": ""}, "county", "請選擇縣市"),
        ({"county": "火星市"}, "county", "有效的選項"),
        ({"district": ""}, "district", "請填寫鄉鎮市區"),
        ({"street": "  "}, "street", "請填寫街道地址"),
        ({"postal_code": "1a6"}, "postal_code", "郵遞區號"),
        ({"postal_code": ""}, "postal_code", "請填寫郵遞區號"),
        ({"payment_method": "bitcoin"}, "payment_method", "有效的選項"),
        ({"shipping_method": "999999"}, "shipping_method", "有效的選項"),
    ],
)
def test_bad_checkout_input_shows_field_errors(
    client, product, home_method, overrides, field, message
):
    fill_cart(client, product, 1)
    response = client.post(CHECKOUT, home_form(home_method, **overrides))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert message in " ".join(response.context["form"].errors[field])
    assert not Order.objects.exists()
    assert CartLine.objects.get().quantity == 1
    assert Product.objects.get(pk=product.pk).stock == 5


def test_cvs_needs_store_name_and_id(client, product, cvs_method):
    fill_cart(client, product, 1)
    response = client.post(CHECKOUT, cvs_form(cvs_method, cvs_store_name="", cvs_store_id="12-34"))
    errors = response.context["form"].errors
    assert "cvs_store_name" in errors and "cvs_store_id" in errors
    assert not Order.objects.exists()


def test_tampered_prices_in_the_form_are_ignored(client, product, home_method):
    fill_cart(client, product, 1)
    client.post(
        CHECKOUT,
        home_form(home_method, price="1", goods_total="1", grand_total="1", shipping_fee="0"),
    )
    order = Order.objects.get()
    assert order.grand_total == Decimal("780")


def test_stock_gone_since_adding_is_a_form_error_and_the_cart_stays(client, product, home_method):
    fill_cart(client, product, 3)
    Product.objects.filter(pk=product.pk).update(stock=2)  # someone else bought some
    response = client.post(CHECKOUT, home_form(home_method))
    assert response.status_code == 200
    assert "梨山高冷茶 只剩 2 件。" in response.content.decode()
    assert not Order.objects.exists()
    assert CartLine.objects.get().quantity == 3
    assert Product.objects.get(pk=product.pk).stock == 2


def test_product_withdrawn_since_adding(client, product, home_method):
    fill_cart(client, product, 1)
    Product.objects.filter(pk=product.pk).update(is_active=False)
    response = client.post(CHECKOUT, home_form(home_method))
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert CartLine.objects.count() == 1


def test_checkout_passes_the_attribution_to_the_order_event(
    client, product, home_method, monkeypatch
):
    seen = {}

    def fake_place_order(**kwargs):
        seen.update(kwargs)
        raise order_views.CheckoutError("stop here")

    monkeypatch.setattr(order_views, "place_order", fake_place_order)
    fill_cart(client, product, 2)
    client.post(CHECKOUT, home_form(home_method))
    assert seen["items"] == [(product.pk, 2)]
    assert seen["context"] == {
        "attribution": None,
        # The invoice section's answer (the member carrier when the form leaves it out).
        "invoice_choice": {
            "kind": "member",
            "carrier_number": "",
            "love_code": "",
            "ban": "",
            "company_name": "",
        },
    }
    assert seen["user"] is None
    assert seen["recipient"].phone == "0912345678"


def test_guest_sees_only_orders_placed_in_their_session(client, product, home_method):
    fill_cart(client, product, 1)
    response = client.post(CHECKOUT, home_form(home_method))
    placed = response.url
    assert client.get(placed).status_code == 200
    client.cookies.clear()
    assert client.get(placed).status_code == 404


def test_member_order_placed_page_is_private(client, product, home_method):
    owner = UserFactory()
    client.force_login(owner)
    fill_cart(client, product, 1)
    placed = client.post(CHECKOUT, home_form(home_method)).url
    client.logout()
    assert client.get(placed).status_code == 404
    client.force_login(UserFactory())
    assert client.get(placed).status_code == 404
    client.force_login(owner)
    assert client.get(placed).status_code == 200


def test_unknown_order_and_payment_are_404(client):
    assert client.get(reverse("orders:placed", args=["FR000000XXXXX"])).status_code == 404
    assert client.post(reverse("orders:pay", args=["FR000000XXXXX"])).status_code == 404
    assert client.get(reverse("orders:test_gateway", args=["TNOPE"])).status_code == 404


def test_shopping_credit_field_appears_only_with_a_provider(
    member_client, product, home_method, monkeypatch
):
    fill_cart(member_client, product, 1)
    assert 'name="credit_to_use"' not in member_client.get(CHECKOUT).content.decode()
    monkeypatch.setattr(order_views, "CREDIT_PROVIDERS", [lambda request, quote: Decimal("50")])
    assert 'name="credit_to_use"' in member_client.get(CHECKOUT).content.decode()
    response = member_client.post(CHECKOUT, home_form(home_method, credit_to_use="80"))
    assert "credit_to_use" in response.context["form"].errors
    assert not Order.objects.exists()


def test_member_checkout_starts_from_the_last_address(member_client, member, product, home_method):
    fill_cart(member_client, product, 1)
    member_client.post(CHECKOUT, home_form(home_method, street="忠孝東路四段 100 號"))
    fill_cart(member_client, product, 1)
    html = member_client.get(CHECKOUT).content.decode()
    assert 'value="忠孝東路四段 100 號"' in html
    assert 'value="0912345678"' in html
