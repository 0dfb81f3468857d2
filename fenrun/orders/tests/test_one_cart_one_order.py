"""One cart makes one order, however many submissions of it arrive at once (real PostgreSQL).

Issue 12, item 1: 10 parallel POSTs of one cart of 2 items made 4 orders and took 8 units;
50 parallel POSTs spending 200 of credit from a balance of 1,000 made 4 orders and spent 800.
Each thread here is a browser request through the whole stack (session, form, view, service).
"""

import re
from decimal import Decimal

import pytest
from django.test import Client

from fenrun.accounts.tests.factories import UserFactory
from fenrun.catalog.models import Product
from fenrun.catalog.tests.factories import ProductFactory
from fenrun.core import testing
from fenrun.orders.models import CartLine, Order
from fenrun.orders.tests.factories import ShippingMethodFactory
from fenrun.wallet import selectors
from fenrun.wallet import services as wallet
from fenrun.wallet.models import Transaction, TransactionKind
from fenrun.wallet.tests.conftest import wallet_problems

pytestmark = [*testing.POSTGRES_ONLY, pytest.mark.django_db(transaction=True)]

TOKEN = re.compile(r'name="token" value="([0-9a-f]+)"')


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _form(method, **extra) -> dict:
    return {
        "recipient_name": "王小明",
        "recipient_phone": "0912345678",
        "email": "buyer@example.com",
        "shipping_method": method.pk,
        "county": "臺北市",
        "district": "大安區",
        "street": "復興南路一段1號",
        "postal_code": "106",
        "payment_method": "atm",
        **extra,
    }


def _token(client) -> str:
    """The checkout form's one-time token, as the page the buyer submits carries it."""
    found = TOKEN.search(client.get("/checkout/").content.decode())
    return found.group(1) if found else ""


def _browser_like(client) -> Client:
    """Another connection of the same browser: the same session cookie, its own thread."""
    twin = Client()
    twin.cookies = client.cookies
    return twin


def _member_with_cart(client, quantities):
    member = UserFactory()
    client.force_login(member)
    products = [ProductFactory(price=Decimal("500"), stock=10) for _ in quantities]
    for product, quantity in zip(products, quantities, strict=True):
        client.post("/cart/add/", {"product": product.pk, "quantity": quantity})
    assert CartLine.objects.filter(cart__user=member).count() == len(quantities)
    return member, products


def test_ten_submissions_of_one_cart_make_one_order():
    client = Client()
    member, (a, b) = _member_with_cart(client, [1, 2])
    method = ShippingMethodFactory()
    data = _form(method, token=_token(client))  # one form, submitted ten times (double clicks)

    def submit(_i):
        return _browser_like(client).post("/checkout/", data)

    responses = testing.run_at_once(10, submit)

    assert Order.objects.count() == 1
    assert all(getattr(r, "status_code", None) == 302 for r in responses), responses
    order = Order.objects.get()
    assert order.user == member
    assert {line.product_id: line.quantity for line in order.lines.all()} == {a.pk: 1, b.pk: 2}
    assert Product.objects.get(pk=a.pk).stock == 9
    assert Product.objects.get(pk=b.pk).stock == 8
    # Every submission lands on the one order's page, the first and the repeats alike.
    assert {r.url for r in responses} == {f"/checkout/placed/{order.number}/"}
    assert not CartLine.objects.filter(cart__user=member).exists()


def test_fifty_submissions_spending_credit_spend_it_once():
    client = Client()
    member, (a, b) = _member_with_cart(client, [1, 1])
    staff = UserFactory(is_staff=True)
    wallet.adjust_balance(
        member, account_kind="credit", amount=1000, reason="t", actor=staff, idempotency_key="g"
    )
    method = ShippingMethodFactory()
    # Fifty checkout pages open at once (tabs, retries): each has a token of its own, so only
    # the cart itself can tell they are one purchase.
    data = [_form(method, credit_to_use="200", token=_token(client)) for _ in range(50)]

    def submit(i):
        return _browser_like(client).post("/checkout/", data[i])

    responses = testing.run_at_once(50, submit)

    assert not [r for r in responses if isinstance(r, Exception)], responses
    assert Order.objects.count() == 1
    order = Order.objects.get()
    assert order.credit_used == Decimal("200")
    assert selectors.balances(member).credit == Decimal("800")
    assert Transaction.objects.filter(kind=TransactionKind.CHECKOUT_SPEND).count() == 1
    assert Product.objects.get(pk=a.pk).stock == 9
    assert Product.objects.get(pk=b.pk).stock == 9
    assert wallet_problems() == []
