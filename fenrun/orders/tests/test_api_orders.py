import json
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from django.test import Client

from fenrun.accounts.tests.factories import UserFactory
from fenrun.catalog.models import Product
from fenrun.catalog.tests.factories import ProductFactory
from fenrun.core import events
from fenrun.core.auth import hash_key, issue_integrator_token
from fenrun.core.errors import ConflictError
from fenrun.core.models import IntegratorToken
from fenrun.core.testing import role_group
from fenrun.orders import services as order_services
from fenrun.orders.events import OrderStatusChanged
from fenrun.orders.models import Order, OrderStatusChange
from fenrun.orders.services import change_status, place_order
from fenrun.orders.status import OrderStatus
from fenrun.orders.tests.factories import ShippingMethodFactory, home_recipient

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The production hasher is slow on purpose; these tests are about the back office, not it.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


URL = "/api/v1/orders"


@pytest.fixture
def shop():
    ShippingMethodFactory()
    return {
        "mango": ProductFactory(slug="mango", name="愛文芒果", price=Decimal("990"), stock=5),
        "tea": ProductFactory(slug="tea", name="烏龍茶", price=Decimal("350"), stock=10),
    }


@pytest.fixture
def member():
    return UserFactory(email="member@example.com")


@pytest.fixture
def member_client(member):
    client = Client()
    client.force_login(member)
    return client


@pytest.fixture
def staff():
    return UserFactory(email="staff@example.com", is_staff=True, is_superuser=True)


@pytest.fixture
def staff_client(staff):
    client = Client()
    client.force_login(staff)
    return client


@pytest.fixture
def integrator():
    token, key = issue_integrator_token("pos-taipei")
    client = Client(headers={"Authorization": f"Bearer {key}"})
    return token, client


def order_body(**overrides):
    body = {
        "items": [{"product": "mango", "quantity": 1}],
        "recipient_name": "王小明",
        "recipient_phone": "0912-345-678",
        "county": "臺北市",
        "district": "大安區",
        "street": "復興南路一段1號",
        "postal_code": "106",
        "shipping_method": "home",
        "payment_method": "atm",
    }
    body.update(overrides)
    return body


def post(client, body, url=URL):
    return client.post(url, json.dumps(body), content_type="application/json")


def make_order(user=None, source="web", **kwargs):
    product = ProductFactory(stock=10)
    return place_order(
        items=[(product.pk, 1)],
        recipient=home_recipient(),
        shipping_method=ShippingMethodFactory(),
        payment_method=kwargs.pop("payment_method", "atm"),
        user=user,
        source=source,
        **kwargs,
    )


# -- authentication ----------------------------------------------------------------------------


def test_anonymous_callers_get_401_everywhere(client, shop):
    order = make_order()
    answers = [
        post(client, order_body()),
        client.get(URL),
        client.get(f"{URL}/{order.number}"),
        post(client, {"status": "paid"}, f"{URL}/{order.number}/status"),
    ]
    assert [r.status_code for r in answers] == [401] * 4
    assert all("detail" in r.json() for r in answers)
    assert Order.objects.count() == 1


@pytest.mark.parametrize(
    "header", ["Bearer wrong-key", "Bearer ", "Token abc", "Basic dXNlcjpwYXNz"]
)
def test_a_bad_authorization_header_is_401_even_with_a_session(member, shop, header):
    client = Client(headers={"Authorization": header})
    client.force_login(member)
    assert post(client, order_body()).status_code == 401
    assert client.get(URL).status_code == 401
    assert Order.objects.count() == 0


def test_an_inactive_token_is_refused(shop, integrator):
    token, client = integrator
    IntegratorToken.objects.filter(pk=token.pk).update(is_active=False)
    assert client.get(URL).status_code == 401


def test_member_writes_need_the_csrf_token_but_integrators_do_not(member, shop, integrator):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(member)
    refused = post(browser, order_body())
    assert refused.status_code == 403
    assert browser.get(URL).status_code == 200  # reads are safe
    _token, pos = integrator
    pos.handler.enforce_csrf_checks = True
    assert post(pos, order_body()).status_code == 201


def test_the_token_records_when_it_was_last_used(integrator):
    token, client = integrator
    assert token.last_used_at is None
    client.get(URL)
    token.refresh_from_db()
    assert token.last_used_at is not None


# -- placing orders ----------------------------------------------------------------------------


def test_member_places_an_order_priced_by_the_server(member, member_client, shop):
    response = post(
        member_client,
        order_body(
            items=[{"product": "mango", "quantity": 1}, {"product": shop["tea"].pk, "quantity": 2}]
        ),
    )
    assert response.status_code == 201, response.content
    body = response.json()
    order = Order.objects.get(number=body["number"])
    assert order.user == member and order.source == "api" and order.email == member.email
    assert order.recipient_phone == "0912345678"
    assert Decimal(body["goods_total"]) == Decimal("1690")
    assert Decimal(body["shipping_fee"]) == Decimal("0")  # over the NT$1,500 threshold
    assert Decimal(body["grand_total"]) == Decimal("1690")
    assert [(line["product_slug"], line["quantity"]) for line in body["lines"]] == [
        ("mango", 1),
        ("tea", 2),
    ]
    assert body["status"] == "pending" and body["next_statuses"] == ["paid", "cancelled"]
    assert Product.objects.get(slug="mango").stock == 4
    assert Product.objects.get(slug="tea").stock == 8


@pytest.mark.parametrize(
    ("tamper", "field"),
    [
        ({"items": [{"product": "mango", "quantity": 1, "unit_price": "1"}]}, "items.0.unit_price"),
        ({"grand_total": "1"}, "grand_total"),
        ({"goods_total": 0}, "goods_total"),
        ({"shipping_fee": "0"}, "shipping_fee"),
    ],
)
def test_prices_or_totals_in_the_request_are_refused(member_client, shop, tamper, field):
    response = post(member_client, order_body(**tamper))
    assert response.status_code == 422
    assert field in response.json()["errors"]
    assert Order.objects.count() == 0
    assert Product.objects.get(slug="mango").stock == 5


@pytest.mark.parametrize("quantity", [0, -1, 1.5, "2", "two", None, True, 10**30])
def test_bad_quantities_are_422_on_the_item(member_client, shop, quantity):
    response = post(member_client, order_body(items=[{"product": "mango", "quantity": quantity}]))
    assert response.status_code == 422
    assert "items.0.quantity" in response.json()["errors"]
    assert Order.objects.count() == 0


def test_quantity_over_stock_is_422_and_takes_nothing(member_client, shop):
    response = post(
        member_client,
        order_body(
            items=[
                {"product": "tea", "quantity": 1},
                {"product": "mango", "quantity": 4},
                {"product": "mango", "quantity": 2},  # 6 in all, 5 in stock
            ]
        ),
    )
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert "items.2.quantity" in errors and "5" in errors["items.2.quantity"][0]
    assert "items.0.quantity" not in errors
    assert Order.objects.count() == 0
    assert Product.objects.get(slug="tea").stock == 10


def test_unknown_or_retired_products_are_named(member_client, shop):
    ProductFactory(slug="retired", name="舊茶", is_active=False)
    response = post(
        member_client,
        order_body(
            items=[
                {"product": "mango", "quantity": 1},
                {"product": "nope", "quantity": 1},
                {"product": 999999, "quantity": 1},
                {"product": "retired", "quantity": 1},
            ]
        ),
    )
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert set(errors) == {"items.1.product", "items.2.product", "items.3.product"}
    assert errors["items.1.product"] == errors["items.2.product"]
    assert "舊茶" in errors["items.3.product"][0]
    assert response.json()["code"] == "product_unavailable"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"recipient_phone": "12345"}, "recipient_phone"),
        ({"postal_code": "1"}, "postal_code"),
        ({"county": ""}, "county"),
        ({"recipient_name": ""}, "recipient_name"),
        ({"shipping_method": "pigeon"}, "shipping_method"),
        ({"payment_method": "bitcoin"}, "payment_method"),
        ({"email": "not-an-email"}, "email"),
        ({"items": []}, "items"),
        ({"street": "路" * 121}, "street"),
    ],
)
def test_recipient_and_method_errors_name_the_field(member_client, shop, overrides, field):
    response = post(member_client, order_body(**overrides))
    assert response.status_code == 422, response.content
    assert field in response.json()["errors"]
    assert Order.objects.count() == 0
    assert Product.objects.get(slug="mango").stock == 5


def test_malformed_json_is_a_4xx_not_a_500(member_client, shop):
    response = member_client.post(URL, "{not json", content_type="application/json")
    assert 400 <= response.status_code < 500


def test_members_cannot_send_an_external_reference(member_client, shop):
    response = post(member_client, order_body(external_ref="X1"))
    assert response.status_code == 422
    assert "external_ref" in response.json()["errors"]


def test_integrator_orders_carry_its_name_and_the_buyers_email(shop, integrator):
    token, client = integrator
    response = post(client, order_body(email="buyer@example.com", external_ref="POS-1"))
    assert response.status_code == 201, response.content
    order = Order.objects.get(number=response.json()["number"])
    assert order.user is None and order.source == "pos-taipei"
    assert order.email == "buyer@example.com" and order.external_ref == "POS-1"


def test_a_repeated_external_ref_answers_409_with_the_first_order(shop, integrator):
    _token, client = integrator
    first = post(client, order_body(external_ref="POS-7"))
    again = post(
        client, order_body(external_ref="POS-7", items=[{"product": "tea", "quantity": 3}])
    )
    assert first.status_code == 201 and again.status_code == 409
    assert again.json()["code"] == "already_imported"
    assert again.json()["errors"]["order_number"] == [first.json()["number"]]
    assert "external_ref" in again.json()["errors"]
    assert Order.objects.count() == 1
    assert Product.objects.get(slug="tea").stock == 10
    # Another integrator's reference space is its own.
    _other, key = issue_integrator_token("other-shop")
    other = Client(headers={"Authorization": f"Bearer {key}"})
    assert post(other, order_body(external_ref="POS-7")).status_code == 201


def test_the_database_decides_when_two_pushes_race(shop, integrator, monkeypatch):
    _token, client = integrator
    first = post(client, order_body(external_ref="POS-9"))
    # As if the second push had checked before the first committed.
    real_check, calls = order_services._refuse_if_imported, []

    def skip_the_check_before_stock(source, ref):
        calls.append(ref)
        if len(calls) > 1:
            real_check(source, ref)

    monkeypatch.setattr(order_services, "_refuse_if_imported", skip_the_check_before_stock)
    again = post(client, order_body(external_ref="POS-9"))
    assert again.status_code == 409
    assert again.json()["errors"]["order_number"] == [first.json()["number"]]
    assert Order.objects.count() == 1
    assert Product.objects.get(slug="mango").stock == 4


# -- reading orders ----------------------------------------------------------------------------


def test_members_read_only_their_own_orders(member, member_client, shop):
    mine = make_order(user=member)
    theirs = make_order(user=UserFactory())
    listing = member_client.get(URL).json()
    assert [o["number"] for o in listing["items"]] == [mine.number]
    assert listing["count"] == 1
    assert member_client.get(f"{URL}/{mine.number}").status_code == 200
    hidden = member_client.get(f"{URL}/{theirs.number}")
    assert hidden.status_code == 404 and "number" in hidden.json()["errors"]
    assert member_client.get(f"{URL}/FR000000XXXXX").status_code == 404


def test_integrators_read_their_own_source_only(shop, integrator, member):
    _token, client = integrator
    own = Order.objects.get(number=post(client, order_body()).json()["number"])
    web = make_order(user=member)
    foreign = make_order(source="other-shop")
    assert [o["number"] for o in client.get(URL).json()["items"]] == [own.number]
    assert client.get(f"{URL}/{own.number}").status_code == 200
    assert client.get(f"{URL}/{web.number}").status_code == 404
    assert client.get(f"{URL}/{foreign.number}").status_code == 404


def test_staff_read_every_order_and_filter_by_status(staff_client, staff, member):
    pending = make_order(user=member)
    paid = make_order(source="pos")
    from fenrun.orders.services import change_status

    change_status(paid, OrderStatus.PAID, actor=staff, note="matched transfer")
    assert staff_client.get(URL).json()["count"] == 2
    only_paid = staff_client.get(URL, {"status": "paid"}).json()
    assert [o["number"] for o in only_paid["items"]] == [paid.number]
    assert staff_client.get(URL, {"status": "lost"}).status_code == 422
    detail = staff_client.get(f"{URL}/{paid.number}").json()
    assert [h["to_status"] for h in detail["history"]] == ["pending", "paid"]
    assert detail["history"][-1]["note"] == "matched transfer"
    assert staff_client.get(f"{URL}/{pending.number}").status_code == 200


def test_buyers_see_when_but_not_staff_notes(member, member_client, staff):
    from fenrun.orders.services import change_status

    order = make_order(user=member)
    change_status(order, OrderStatus.PAID, actor=staff, note="internal remark")
    history = member_client.get(f"{URL}/{order.number}").json()["history"]
    assert [h["to_status"] for h in history] == ["pending", "paid"]
    assert all(h["note"] is None for h in history)


def test_order_list_paginates(member, member_client):
    numbers = {make_order(user=member).number for _ in range(3)}
    first = member_client.get(URL, {"limit": 2}).json()
    second = member_client.get(URL, {"limit": 2, "offset": 2}).json()
    assert first["count"] == 3 and len(first["items"]) == 2 and len(second["items"]) == 1
    assert {o["number"] for o in first["items"] + second["items"]} == numbers


# -- status changes ----------------------------------------------------------------------------


def test_staff_move_an_order_and_it_is_recorded(staff_client, staff, member):
    order = make_order(user=member)
    seen = []
    events.subscribe(OrderStatusChanged, seen.append)
    try:
        response = post(
            staff_client, {"status": "paid", "note": "ATM 812"}, f"{URL}/{order.number}/status"
        )
    finally:
        events.unsubscribe(OrderStatusChanged, seen.append)
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "paid"
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID and order.paid_at is not None
    change = OrderStatusChange.objects.filter(order=order).last()
    assert (change.from_status, change.to_status, change.actor, change.note) == (
        "pending",
        "paid",
        staff,
        "ATM 812",
    )
    assert [(e.from_status, e.to_status, e.actor_id) for e in seen] == [
        ("pending", "paid", staff.pk)
    ]


def test_a_forbidden_transition_is_409_with_the_reason_and_changes_nothing(staff_client, member):
    order = make_order(user=member)  # ATM: cannot ship before it is paid
    response = post(staff_client, {"status": "completed"}, f"{URL}/{order.number}/status")
    assert response.status_code == 409
    body = response.json()
    assert body["detail"] and "status" in body["errors"]
    assert body["code"] == "transition_refused"
    assert body["errors"]["allowed"] == ["paid", "cancelled"]
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING
    assert OrderStatusChange.objects.filter(order=order).count() == 1


def test_a_subscriber_refusing_the_move_is_409_and_rolls_back(staff_client, member):
    order = make_order(user=member)

    def refuse(event):
        raise ConflictError("not enough credit to give back", code="insufficient_credit")

    events.subscribe(OrderStatusChanged, refuse)
    try:
        response = post(staff_client, {"status": "cancelled"}, f"{URL}/{order.number}/status")
    finally:
        events.unsubscribe(OrderStatusChanged, refuse)
    assert response.status_code == 409
    assert "not enough credit" in response.json()["detail"]
    assert response.json()["code"] == "insufficient_credit"
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING


def test_status_input_errors(staff_client, member):
    order = make_order(user=member)
    unknown = post(staff_client, {"status": "lost"}, f"{URL}/{order.number}/status")
    assert unknown.status_code == 422 and "status" in unknown.json()["errors"]
    extra = post(staff_client, {"status": "paid", "grand_total": 1}, f"{URL}/{order.number}/status")
    assert extra.status_code == 422
    missing = post(staff_client, {"status": "paid"}, f"{URL}/NOPE/status")
    assert missing.status_code == 404


def role_client(role: str):
    user = UserFactory(is_staff=True)
    user.groups.add(role_group(role))
    client = Client()
    client.force_login(user)
    return client


def status_of(client, order, target):
    return post(client, {"status": target}, f"{URL}/{order.number}/status").status_code


def test_only_staff_with_an_order_capability_change_statuses(member, member_client, integrator):
    order = make_order(user=member)
    _token, pos = integrator
    assert status_of(member_client, order, "cancelled") == 403
    # A token is no credential for staff work: known, and refused.
    assert status_of(pos, order, "cancelled") == 403
    clerk = UserFactory(is_staff=True)
    clerk_client = Client()
    clerk_client.force_login(clerk)
    assert status_of(clerk_client, order, "cancelled") == 403
    # Without an order capability a staff user is just a member in the API.
    assert clerk_client.get(URL).json()["count"] == 0
    clerk.user_permissions.add(Permission.objects.get(codename="manage_orders"))
    clerk_client.force_login(clerk)
    assert status_of(clerk_client, order, "cancelled") == 200
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED


def test_fulfilment_ships_but_may_not_cancel_or_refund(member):
    shipper = role_client("出貨")
    cod = make_order(user=member, payment_method="cod")
    paid = make_order(user=member)
    change_status(paid, OrderStatus.PAID)
    assert shipper.get(URL).json()["count"] == 2
    assert status_of(shipper, cod, "cancelled") == 403
    assert status_of(shipper, paid, "refunded") == 403
    assert status_of(shipper, paid, "shipped") == 200
    shipped = post(
        shipper, {"status": "shipped", "note": "黑貓 1234"}, f"{URL}/{cod.number}/status"
    )
    assert shipped.status_code == 200
    assert shipped.json()["history"][-1]["note"] == "黑貓 1234"
    # Fulfilment ships to the recipient but does not read the buyer's e-mail address.
    assert shipped.json()["recipient"]["email"] == "b***@example.com"
    assert shipped.json()["recipient"]["phone"] == cod.recipient_phone
    paid.refresh_from_db()
    cod.refresh_from_db()
    assert (paid.status, cod.status) == (OrderStatus.SHIPPED, OrderStatus.SHIPPED)


def test_the_owner_reads_contact_data(member):
    owner = role_client("店長")
    order = make_order(user=member)
    assert owner.get(f"{URL}/{order.number}").json()["recipient"]["email"] == "buyer@example.com"


def test_marketing_does_not_see_orders(member):
    marketing = role_client("行銷")
    order = make_order(user=member)
    assert marketing.get(URL).json()["count"] == 0
    assert marketing.get(f"{URL}/{order.number}").status_code == 404
    assert status_of(marketing, order, "paid") == 403


def test_every_order_operation_declares_who_may_call_it(client):
    schema = client.get("/api/v1/openapi.json").json()
    access = {
        (method, path): op.get("x-access")
        for path, ops in schema["paths"].items()
        if path.startswith(URL)
        for method, op in ops.items()
    }
    assert access[("post", URL)] == ["member", "integrator:orders.write"]
    assert access[("get", URL)] == ["member", "integrator:orders.read"]
    assert access[("get", URL + "/{number}")] == ["member", "integrator:orders.read"]
    assert access[("post", URL + "/{number}/status")] == [
        "core.fulfil_orders",
        "core.manage_orders",
        "integrator:orders.status",
    ]


# -- issuing keys ------------------------------------------------------------------------------


def test_the_command_prints_a_working_key_once_and_stores_its_hash(shop):
    out = StringIO()
    call_command("create_integrator_token", "pos-kaohsiung", stdout=out)
    key = next(
        line.split(": ", 1)[1] for line in out.getvalue().splitlines() if line.startswith("Key")
    )
    token = IntegratorToken.objects.get(name="pos-kaohsiung")
    assert token.key_hash == hash_key(key) and key not in (token.key_hash, token.prefix)
    assert token.prefix == key[:8]
    client = Client(headers={"Authorization": f"Bearer {key}"})
    assert post(client, order_body()).status_code == 201
    with pytest.raises(CommandError):
        call_command("create_integrator_token", "pos-kaohsiung", stdout=StringIO())


@pytest.mark.parametrize("name", ["web", "API", "demo", " "])
def test_integrator_names_cannot_pose_as_the_shop(name):
    with pytest.raises(CommandError):
        call_command("create_integrator_token", name, stdout=StringIO())
    assert not IntegratorToken.objects.exists()


@pytest.mark.parametrize("offset", [2**63, 2**63 - 1, 10**7])
def test_an_offset_past_any_list_is_422_not_a_crash(member_client, offset):
    response = member_client.get(URL, {"offset": offset})
    assert response.status_code == 422
    assert "offset" in response.json()["errors"]
