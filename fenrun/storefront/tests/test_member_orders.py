import pytest
from django.urls import reverse

from fenrun.accounts.tests.factories import UserFactory
from fenrun.catalog.tests.factories import ProductFactory
from fenrun.orders.services import change_status, place_order
from fenrun.orders.tests.factories import ShippingMethodFactory, home_recipient

pytestmark = pytest.mark.django_db


def order_for(user, name="高山烏龍"):
    product = ProductFactory(name=name, stock=5)
    return place_order(
        items=[(product.pk, 2)],
        recipient=home_recipient(email=user.email),
        shipping_method=ShippingMethodFactory(),
        payment_method="atm",
        user=user,
    )


def test_member_pages_need_login(client):
    response = client.get(reverse("storefront:member_orders"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_member_sees_their_orders_only(member_client, member):
    mine = order_for(member, "我的茶")
    theirs = order_for(UserFactory(), "別人的茶")
    html = member_client.get(reverse("storefront:member_orders")).content.decode()
    assert mine.number in html
    assert theirs.number not in html
    assert "待付款" in html
    assert "我的訂單" in html


def test_order_detail_for_the_owner(member_client, member):
    order = order_for(member)
    change_status(order, "paid")
    html = member_client.get(
        reverse("storefront:member_order_detail", args=[order.number])
    ).content.decode()
    assert order.number in html
    assert "高山烏龍" in html
    assert "NT$1,100" in html  # 2 × 500 + 100 shipping
    assert "已付款" in html  # status and history
    assert "臺北市大安區復興南路一段1號" in html


def test_another_members_order_is_404(member_client):
    other = order_for(UserFactory())
    response = member_client.get(reverse("storefront:member_order_detail", args=[other.number]))
    assert response.status_code == 404
    assert member_client.get("/member/orders/NOPE/").status_code == 404


def test_pending_atm_order_shows_how_to_pay(member_client, member):
    order = order_for(member)
    html = member_client.get(
        reverse("storefront:member_order_detail", args=[order.number])
    ).content.decode()
    assert order.payment_reference in html
    assert "2888-1000-123456" in html


def test_member_nav_links_only_to_pages_that_exist(member_client, member):
    from django.urls import NoReverseMatch

    html = member_client.get(reverse("storefront:member_orders")).content.decode()
    for name in ("referrals:my_links", "wallet:my_account", "analytics:my_downline"):
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        assert f'href="{url}"' in html
    assert reverse("accounts:password_change") in html


def test_url_if_exists_swallows_unknown_names():
    from django.template import Context, Template

    html = Template(
        "{% load shop_tags %}{% url_if_exists 'nope:nothing' as u %}[{{ u }}]"
        "{% url_if_exists 'storefront:member_orders' as v %}[{{ v }}]"
    ).render(Context())
    assert html == "[][/member/orders/]"


def test_many_orders_paginate(member_client, member):
    product = ProductFactory(stock=100)
    for _ in range(12):
        place_order(
            items=[(product.pk, 1)],
            recipient=home_recipient(),
            shipping_method=ShippingMethodFactory(),
            payment_method="cod",
            user=member,
        )
    first = member_client.get(reverse("storefront:member_orders")).content.decode()
    assert first.count('class="order-number"') == 10
    assert '?page=2" rel="next"' in first
    second = member_client.get(reverse("storefront:member_orders"), {"page": "2"}).content.decode()
    assert second.count('class="order-number"') == 2


def test_include_optional_renders_a_partial_only_when_it_exists(settings, tmp_path):
    from django.template import Context, Template

    (tmp_path / "partials").mkdir()
    (tmp_path / "partials" / "hello.html").write_text("hello {{ who }}")
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], tmp_path]}
    ]
    html = Template(
        "{% load shop_tags %}[{% include_optional 'partials/hello.html' %}]"
        "[{% include_optional 'partials/missing.html' %}]"
    ).render(Context({"who": "阿美"}))
    assert html == "[hello 阿美][]"
