from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from fenrun.catalog.tests.factories import ProductFactory
from fenrun.orders.models import Cart, CartLine

pytestmark = pytest.mark.django_db


def add(client, product, quantity="1", **extra):
    return client.post(
        reverse("storefront:cart_add"), {"product": product.pk, "quantity": quantity, **extra}
    )


def texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_guest_adds_to_cart_and_sees_it(client, product, home_method):
    response = add(client, product, "2")
    assert response.status_code == 302
    assert response.url == product.get_absolute_url()
    cart = Cart.objects.get(session_key=client.session.session_key)
    assert cart.lines.get().quantity == 2
    html = client.get(reverse("storefront:cart")).content.decode()
    assert "梨山高冷茶" in html
    assert "NT$1,360" in html
    assert 'data-count="2"' in html


def test_adding_again_sums_quantities(client, product):
    add(client, product, "2")
    add(client, product, "1")
    assert CartLine.objects.get().quantity == 3


def test_member_cart_is_kept_in_the_database(member_client, member, product):
    add(member_client, product, "1")
    assert Cart.objects.get(user=member).lines.get().quantity == 1


@pytest.mark.parametrize(
    ("quantity", "message"),
    [
        ("0", "數量至少為 1。"),
        ("-3", "數量不能是負數。"),
        ("abc", "數量必須是整數。"),
        ("", "數量必須是整數。"),
        ("1.5", "數量必須是整數。"),
        ("6", "梨山高冷茶 只剩 5 件。"),
        ("100000", "每項商品每筆訂單最多 999 件。"),
    ],
)
def test_bad_quantities_are_refused_with_a_message(client, product, quantity, message):
    add(client, product, "1")
    response = add(client, product, quantity)
    assert response.status_code == 302
    assert message in texts(response)
    assert CartLine.objects.get().quantity == 1


def test_bad_quantity_creates_no_cart(client, product):
    add(client, product, "abc")
    assert not Cart.objects.exists()


def test_adding_over_stock_across_two_adds_is_refused(client, product):
    add(client, product, "4")
    response = add(client, product, "2")
    assert any("只剩 5 件" in text for text in texts(response))
    assert CartLine.objects.get().quantity == 4


def test_unknown_or_inactive_product_cannot_be_added(client, product):
    for raw in ("999999", "abc", ""):
        response = client.post(reverse("storefront:cart_add"), {"product": raw, "quantity": 1})
        assert response.status_code == 302
    hidden = ProductFactory(is_active=False)
    response = add(client, hidden)
    assert "此商品目前不販售。" in texts(response)
    assert not CartLine.objects.exists()


def test_next_must_stay_on_the_site(client, product):
    response = add(client, product, "1", next="https://evil.example.com/")
    assert response.url == product.get_absolute_url()
    response = add(client, product, "1", next="/cart/")
    assert response.url == "/cart/"


def test_cart_add_needs_post(client, product):
    assert client.get(reverse("storefront:cart_add")).status_code == 405


def test_update_quantity_and_remove(client, product):
    add(client, product, "1")
    update = reverse("storefront:cart_update")
    response = client.post(update, {"product": product.pk, "quantity": "3"})
    assert response.status_code == 302
    assert CartLine.objects.get().quantity == 3
    client.post(update, {"product": product.pk, "quantity": "0"})
    assert not CartLine.objects.exists()
    add(client, product, "1")
    client.post(update, {"product": product.pk, "remove": "1"})
    assert not CartLine.objects.exists()


@pytest.mark.parametrize("quantity", ["-1", "abc", "99", ""])
def test_bad_update_changes_nothing(client, product, quantity):
    add(client, product, "2")
    response = client.post(
        reverse("storefront:cart_update"), {"product": product.pk, "quantity": quantity}
    )
    assert response.status_code == 302
    assert texts(response)
    assert CartLine.objects.get().quantity == 2


def test_update_of_a_product_not_in_the_cart(client, product):
    other = ProductFactory()
    add(client, product, "1")
    response = client.post(reverse("storefront:cart_update"), {"product": other.pk, "quantity": 2})
    assert "購物車裡沒有這項商品。" in texts(response)
    assert not CartLine.objects.filter(product=other).exists()
    response = client.post(reverse("storefront:cart_update"), {"product": "x", "quantity": 2})
    assert response.status_code == 302


def test_htmx_update_gets_the_cart_fragment(client, product):
    add(client, product, "1")
    response = client.post(
        reverse("storefront:cart_update"),
        {"product": product.pk, "quantity": "2"},
        HTTP_HX_REQUEST="true",
        follow=True,
    )
    html = response.content.decode()
    assert 'id="cart"' in html and 'id="cart-count"' in html
    assert "購物車已更新。" in html  # the message is inside the swapped fragment


def test_cart_shows_the_free_shipping_gap(client, product, home_method):
    add(client, product, "1")  # NT$680; free from NT$1,500
    html = client.get(reverse("storefront:cart")).content.decode()
    assert "再買 NT$820 即可免運" in html
    assert "NT$780" in html  # 680 + 100 shipping
    add(client, product, "2")  # NT$2,040
    html = client.get(reverse("storefront:cart")).content.decode()
    assert "本單免運" in html
    assert "NT$2,040" in html


def test_empty_cart_page(client):
    response = client.get(reverse("storefront:cart"))
    assert response.status_code == 200
    assert "購物車是空的" in response.content.decode()


def test_product_priced_with_cents_shows_cents(client, home_method):
    product = ProductFactory(price=Decimal("99.50"))
    add(client, product, "1")
    assert "NT$99.50" in client.get(reverse("storefront:cart")).content.decode()


def test_a_form_without_its_csrf_token_gets_a_friendly_403(product):
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post(
        reverse("storefront:cart_add"), {"product": product.pk, "quantity": 1}
    )
    assert response.status_code == 403
    assert "請再試一次" in response.content.decode()
    assert not CartLine.objects.exists()
