"""Builders for commission tests: a real referral chain, plans, orders taken to "completed"."""

from decimal import Decimal

import pytest

from fenrun.accounts.tests.factories import UserFactory
from fenrun.catalog.tests.factories import ProductFactory
from fenrun.commissions import engine, services
from fenrun.commissions.forms import PlanSpec
from fenrun.commissions.models import CommissionSettings
from fenrun.core.testing import role_group
from fenrun.orders.services import change_status, place_order
from fenrun.orders.status import OrderStatus
from fenrun.orders.tests.factories import ShippingMethodFactory, home_recipient

D = Decimal


def role_user(role: str, **kwargs):
    """A staff user holding one of the default roles (店長, 財務, 出貨, 行銷)."""
    user = UserFactory(is_staff=True, **kwargs)
    user.groups.add(role_group(role))
    return user


def make_chain(depth: int):
    """Members bound one under the other: chain[0] is the source (tree level 1)."""
    from fenrun.referrals.models import ReferralNode
    from fenrun.referrals.services import bind_sponsor

    members = []
    for _i in range(depth):
        user = UserFactory()
        bind_sponsor(user, members[-1] if members else None, via=ReferralNode.BoundVia.CODE)
        members.append(user)
    return members


def make_plan(name="方案", *, levels=None, rates=None, matrix=None, default=True, **options):
    mode = engine.MATRIX if matrix is not None else engine.LEVELS
    rates = tuple(D(str(r)) for r in (rates or ()))
    matrix_rows = tuple(tuple(D(str(r)) for r in row) for row in (matrix or ()))
    levels = levels or (len(matrix_rows) if matrix is not None else len(rates))
    if "cap" in options and options["cap"] is not None:
        options["cap"] = D(str(options["cap"]))
    if "guaranteed" in options:
        options["guaranteed"] = tuple((t, D(str(r))) for t, r in options["guaranteed"])
    rules = engine.PlanRules(levels=levels, mode=mode, rates=rates, matrix=matrix_rows, **options)
    return services.save_plan(
        spec=PlanSpec(
            name=name,
            description="",
            is_default=default,
            rules=rules,
            legal_acknowledged=levels >= 3,
        )
    )


def seed_plan(default=True):
    return make_plan("seed", matrix=[[5], [3, 4]], cap=7, default=default)


def place(buyer, *, products=None, price=None, quantity=1, shipping_fee=None, context=None):
    price = D(1000) if price is None else price
    shipping_fee = D(0) if shipping_fee is None else shipping_fee
    method = ShippingMethodFactory(fee=shipping_fee, free_threshold=None)
    products = products or [ProductFactory(price=price, stock=100)]
    return place_order(
        items=[(p.pk, quantity) for p in products],
        recipient=home_recipient(email=buyer.email if buyer else "guest@example.com"),
        shipping_method=method,
        payment_method="atm",
        user=buyer,
        context=context or {},
    )


def complete(order, actor=None):
    for target in (OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.COMPLETED):
        order = change_status(order, target, actor=actor)
    return order


@pytest.fixture
def hold(db):
    """Set the hold period (days)."""

    def set_hold(days: int):
        services.update_settings(automatic=CommissionSettings.load().automatic, hold_days=days)

    return set_hold


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Members are made by the dozen here; the production hasher takes most of a second each.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
