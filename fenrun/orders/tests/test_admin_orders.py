from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.contrib.messages import ERROR, SUCCESS
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from fenrun.accounts.tests.factories import UserFactory
from fenrun.catalog.tests.factories import ProductFactory
from fenrun.core import events
from fenrun.core.auth import hash_key
from fenrun.core.models import IntegratorToken
from fenrun.orders import selectors
from fenrun.orders.events import OrderStatusChanged
from fenrun.orders.models import OrderStatusChange
from fenrun.orders.services import change_status, place_order
from fenrun.orders.status import OrderStatus as S
from fenrun.orders.tests.factories import ShippingMethodFactory, home_recipient

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The production hasher is slow on purpose; these tests are about the back office, not it.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


TAIPEI = ZoneInfo("Asia/Taipei")


def taipei(*args) -> datetime:
    return datetime(*args, tzinfo=TAIPEI)


@pytest.fixture
def staff():
    return UserFactory(email="boss@example.com", is_staff=True, is_superuser=True)


@pytest.fixture
def staff_client(staff):
    client = Client()
    client.force_login(staff)
    return client


def make_order(quantity=1, payment_method="atm", **kwargs):
    product = ProductFactory(price=Decimal("500"), stock=100)
    return place_order(
        items=[(product.pk, quantity)],
        recipient=home_recipient(),
        shipping_method=ShippingMethodFactory(),
        payment_method=payment_method,
        **kwargs,
    )


def status_url(order):
    return reverse("admin:orders_order_status", args=[order.pk])


def change_url(order):
    return reverse("admin:orders_order_change", args=[order.pk])


def messages_of(response):
    return [(m.level, str(m)) for m in response.context["messages"]]


# -- who gets in -------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["anonymous", "member"])
def test_non_staff_are_sent_to_the_admin_login(who):
    client = Client()
    if who == "member":
        client.force_login(UserFactory())
    order = make_order()
    for url in ("/admin/", reverse("admin:orders_order_changelist"), change_url(order)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))
    response = client.post(status_url(order), {"target": "cancelled"})
    assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))
    order.refresh_from_db()
    assert order.status == S.PENDING


# -- dashboard ---------------------------------------------------------------------------------


def test_dashboard_shows_today_and_this_month_in_taipei_days(staff_client, monkeypatch):
    def at(moment, **kwargs):
        monkeypatch.setattr(timezone, "now", lambda: moment)
        return make_order(**kwargs)

    # 00:30 in Taipei is still the previous day in UTC: it must count as today.
    a = at(taipei(2025, 3, 15, 0, 30), quantity=1)  # 600, pending: not a sale (yet)
    b = at(taipei(2025, 3, 15, 9, 0), quantity=2)  # 1,100, cancelled: not revenue
    change_status(b, S.CANCELLED)
    f = at(taipei(2025, 3, 14, 23, 59), quantity=3)  # 1,500, paid: this month, not today
    change_status(f, S.PAID)
    c = at(taipei(2025, 3, 2, 12, 0), quantity=1, payment_method="cod")  # 600, completed
    change_status(c, S.SHIPPED)
    change_status(c, S.COMPLETED)
    d = at(taipei(2025, 3, 3, 12, 0), quantity=4)  # 2,000, refunded: not revenue
    change_status(d, S.PAID)
    change_status(d, S.REFUNDED)
    e = at(taipei(2025, 2, 28, 23, 30), quantity=1)  # last month
    change_status(e, S.PAID)
    assert (a.grand_total, b.grand_total, f.grand_total) == (600, 1100, 1500)

    monkeypatch.setattr(timezone, "now", lambda: taipei(2025, 3, 15, 10, 0))
    response = staff_client.get("/admin/")
    assert response.status_code == 200
    dashboard = response.context["fenrun_dashboard"]
    # Revenue is the grand total of sales (paid f, completed c): pending, cancelled and
    # refunded orders count as orders but not as revenue.
    assert [card["value"] for card in dashboard["cards"]] == [2, "NT$0", 5, "NT$2,100"]
    counts = {row["status"]: row["count"] for row in dashboard["by_status"]}
    assert counts == {
        "pending": 1,
        "paid": 2,
        "shipped": 0,
        "completed": 1,
        "cancelled": 1,
        "returned": 0,
        "refunded": 1,
    }
    assert [row["number"] for row in dashboard["latest"]][:2] == [b.number, a.number]
    html = response.content.decode()
    assert '<span id="orders-today">2</span>' in html
    assert '<span id="revenue-today">NT$0</span>' in html
    assert '<span id="orders-month">5</span>' in html
    assert '<span id="revenue-month">NT$2,100</span>' in html
    assert b.number in html and change_url(b) in html


def test_an_empty_shop_shows_zeros(staff_client):
    response = staff_client.get("/admin/")
    assert [card["value"] for card in response.context["fenrun_dashboard"]["cards"]] == [
        0,
        "NT$0",
        0,
        "NT$0",
    ]


def test_months_roll_over_at_year_end():
    periods = selectors.local_day_and_month(taipei(2024, 12, 31, 23, 0))
    assert periods["today"] == (taipei(2024, 12, 31), taipei(2025, 1, 1))
    assert periods["month"] == (taipei(2024, 12, 1), taipei(2025, 1, 1))


# -- the order page ----------------------------------------------------------------------------


def test_order_page_shows_lines_history_and_the_allowed_moves(staff_client):
    order = make_order(quantity=2)
    response = staff_client.get(change_url(order))
    assert response.status_code == 200
    html = response.content.decode()
    assert order.lines.get().product_name in html
    assert 'id="order-status-panel"' in html
    assert [t for t, _label in response.context["status_actions"]] == ["paid", "cancelled"]
    assert 'value="paid"' in html and 'value="shipped"' not in html
    # Money and lines are a record: no inputs for them, only for where the parcel goes.
    assert 'name="grand_total"' not in html and 'name="goods_total"' not in html
    assert 'name="status"' not in html
    assert 'name="lines-0-quantity"' not in html
    assert 'name="recipient_name"' in html


def test_status_button_moves_the_order_and_records_who_and_why(staff_client, staff):
    order = make_order()
    response = staff_client.post(
        status_url(order), {"target": "paid", "note": "ATM 已對帳"}, follow=True
    )
    assert response.redirect_chain[-1][0] == change_url(order)
    order.refresh_from_db()
    assert order.status == S.PAID and order.paid_at is not None
    change = OrderStatusChange.objects.filter(order=order).last()
    assert (change.from_status, change.to_status, change.actor, change.note) == (
        "pending",
        "paid",
        staff,
        "ATM 已對帳",
    )
    assert [level for level, _text in messages_of(response)] == [SUCCESS]
    assert "ATM 已對帳" in response.content.decode()  # the history inline
    assert [t for t, _label in response.context["status_actions"]] == [
        "shipped",
        "cancelled",
        "refunded",
    ]


def test_a_forbidden_move_shows_the_reason_and_changes_nothing(staff_client):
    order = make_order()  # ATM: may not ship or complete before payment
    for target in ("completed", "shipped", "pending", "nonsense"):
        response = staff_client.post(status_url(order), {"target": target}, follow=True)
        assert [level for level, _text in messages_of(response)] == [ERROR], target
    order.refresh_from_db()
    assert order.status == S.PENDING
    assert OrderStatusChange.objects.filter(order=order).count() == 1


def test_a_subscriber_refusing_the_move_is_reported_and_rolls_back(staff_client):
    order = make_order()

    def refuse(event):
        raise RuntimeError("wallet says no")

    events.subscribe(OrderStatusChanged, refuse)
    try:
        response = staff_client.post(status_url(order), {"target": "cancelled"}, follow=True)
    finally:
        events.unsubscribe(OrderStatusChanged, refuse)
    assert [level for level, _text in messages_of(response)] == [ERROR]
    assert "wallet says no" in messages_of(response)[0][1]
    order.refresh_from_db()
    assert order.status == S.PENDING
    assert OrderStatusChange.objects.filter(order=order).count() == 1


def test_the_status_url_only_takes_post(staff_client):
    order = make_order()
    assert staff_client.get(status_url(order)).status_code == 405


def test_final_orders_offer_no_moves(staff_client):
    order = make_order()
    change_status(order, S.CANCELLED)
    response = staff_client.get(change_url(order))
    assert response.context["status_actions"] == []


def test_orders_cannot_be_added_or_deleted_in_the_back_office(staff_client):
    order = make_order()
    assert staff_client.get(reverse("admin:orders_order_add")).status_code == 403
    assert (
        staff_client.get(reverse("admin:orders_order_delete", args=[order.pk])).status_code == 403
    )


def test_saving_the_page_keeps_the_money_as_it_was(staff_client):
    order = make_order(quantity=2)
    page = staff_client.get(change_url(order))
    data = {}
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        data.update({f"{management.prefix}-{k}": v for k, v in management.initial.items()})
        for form in formset.forms:
            for name in form.fields:
                value = form[name].value()
                if value is not None:
                    data[form.add_prefix(name)] = value
    data.update(
        recipient_name="陳大文",
        recipient_phone="0987654321",
        county="臺中市",
        district="西屯區",
        street="台灣大道三段99號",
        postal_code="407",
        note="",
        grand_total="1",
        goods_total="1",
        status="completed",
    )
    response = staff_client.post(change_url(order), data)
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.recipient_name == "陳大文" and order.county == "臺中市"
    assert order.grand_total == Decimal("1100") and order.status == S.PENDING


# -- the order list ----------------------------------------------------------------------------


def test_bulk_action_moves_what_it_may_and_reports_the_rest(staff_client, staff):
    movable = make_order()
    cancelled = make_order()
    change_status(cancelled, S.CANCELLED)
    response = staff_client.post(
        reverse("admin:orders_order_changelist"),
        {"action": "mark_paid", "_selected_action": [movable.pk, cancelled.pk]},
        follow=True,
    )
    levels = sorted(level for level, _text in messages_of(response))
    assert levels == [SUCCESS, ERROR]
    assert any(cancelled.number in text for level, text in messages_of(response) if level == ERROR)
    movable.refresh_from_db()
    cancelled.refresh_from_db()
    assert (movable.status, cancelled.status) == (S.PAID, S.CANCELLED)
    assert OrderStatusChange.objects.filter(order=movable, to_status=S.PAID, actor=staff).exists()


def test_list_filters_by_status_and_date_and_searches(staff_client, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: taipei(2025, 3, 1, 0, 10))
    march = make_order()
    monkeypatch.setattr(timezone, "now", lambda: taipei(2025, 2, 28, 23, 50))
    february = make_order()
    monkeypatch.undo()
    change_status(february, S.PAID)
    url = reverse("admin:orders_order_changelist")

    def numbers(params):
        response = staff_client.get(url, params)
        assert response.status_code == 200
        return {o.number for o in response.context["cl"].result_list}

    assert numbers({}) == {march.number, february.number}
    assert numbers({"status__exact": "paid"}) == {february.number}
    assert numbers({"placed_at_from": "2025-03-01"}) == {march.number}
    assert numbers({"placed_at_to": "2025-02-28"}) == {february.number}
    assert numbers({"q": march.number}) == {march.number}
    assert numbers({"payment_method__exact": "cod"}) == set()


# -- integrator keys ---------------------------------------------------------------------------


def test_adding_an_integrator_shows_its_key_once(staff_client):
    response = staff_client.post(
        reverse("admin:core_integratortoken_add"), {"name": "pos-tainan", "is_active": "on"}
    )
    assert response.status_code == 200
    key = response.context["key"]
    token = IntegratorToken.objects.get(name="pos-tainan")
    assert token.key_hash == hash_key(key) and key in response.content.decode()
    page = staff_client.get(reverse("admin:core_integratortoken_change", args=[token.pk]))
    assert key not in page.content.decode()


def test_an_integrator_cannot_take_the_shops_own_source_name(staff_client):
    response = staff_client.post(reverse("admin:core_integratortoken_add"), {"name": "web"})
    assert response.status_code == 200
    assert "name" in response.context["adminform"].form.errors
    assert not IntegratorToken.objects.exists()


def test_logging_in_at_the_admin_login_page_lands_in_the_back_office(staff):
    staff.set_password("pass-word-123")
    staff.save()
    client = Client()
    page = client.get(reverse("admin:login"))
    assert 'action="/admin/login/?next=/admin/"' in page.content.decode()
    response = client.post(
        "/admin/login/?next=/admin/", {"username": staff.email, "password": "pass-word-123"}
    )
    assert response.status_code == 302 and response["Location"] == "/admin/"
