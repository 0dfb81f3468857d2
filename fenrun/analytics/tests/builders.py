"""Test data for analytics: trees, orders and commissions written straight to the tables.

The referral tree is built from parent pointers with the referrals app's path arithmetic, so a
generated tree is exactly what ``bind_sponsor`` would have produced, only thousands of times
faster than registering members one by one. Orders written here bypass the order events, so
``make_order`` rebuilds the sales roll-ups the reports read (as a bulk import would).
"""

import itertools
from datetime import datetime, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone

from fenrun.analytics import rollups
from fenrun.commissions.models import (
    Commission,
    CommissionPlan,
    OrderSettlement,
    PlanVersion,
)
from fenrun.orders.models import Order, OrderLine
from fenrun.orders.tests.factories import ShippingMethodFactory
from fenrun.referrals.models import ReferralNode
from fenrun.referrals.tree import segment

User = get_user_model()
_seq = itertools.count(1)


def make_members(count: int, *, joined: datetime | None = None, prefix: str = "m") -> list:
    run = next(_seq)
    users = [
        User(
            email=f"{prefix}{run}-{i}@example.com",
            name=f"會員{run}號{i}",
            password="!",
            date_joined=joined or timezone.now(),
        )
        for i in range(count)
    ]
    return User.objects.bulk_create(users)


def build_tree(parents: list[int | None], *, joined: list[datetime] | None = None) -> list:
    """Members 0..n-1 where member i's sponsor is member parents[i] (None: a source);
    every parent index must be smaller than the child's. Returns the users, in order."""
    users = make_members(len(parents))
    if joined:
        for user, when in zip(users, joined, strict=True):
            user.date_joined = when
        User.objects.bulk_update(users, ["date_joined"])
    nodes = []
    paths: list[str] = []
    depths: list[int] = []
    for i, parent in enumerate(parents):
        own = segment(users[i].pk)
        if parent is None:
            paths.append(own)
            depths.append(1)
        else:
            assert parent < i
            paths.append(paths[parent] + own)
            depths.append(depths[parent] + 1)
        nodes.append(
            ReferralNode(
                user=users[i],
                sponsor=users[parent] if parent is not None else None,
                depth=depths[i],
                path=paths[i],
                bound_at=timezone.now(),
                bound_via=ReferralNode.BoundVia.NONE
                if parent is None
                else ReferralNode.BoundVia.LINK,
            )
        )
    ReferralNode.objects.bulk_create(nodes)
    return users


_order_numbers = itertools.count(1)


def make_order(
    user,
    *,
    goods: Decimal,
    discount: Decimal = Decimal("0"),
    status="completed",
    placed_at=None,
    rebuild: bool = True,
):
    shipping = ShippingMethodFactory()
    fee = Decimal("60")
    order = Order.objects.create(
        number=f"T{next(_order_numbers):011d}",
        user=user,
        email=getattr(user, "email", None) or "guest@example.com",
        status=status,
        recipient_name="王小明",
        recipient_phone="0912345678",
        shipping_method=shipping,
        payment_method="atm",
        goods_total=goods,
        discount_total=discount,
        shipping_fee=fee,
        grand_total=goods - discount + fee,
    )
    if placed_at is not None:
        Order.objects.filter(pk=order.pk).update(placed_at=placed_at)
        order.placed_at = placed_at
    if rebuild:
        rollups.rebuild()
    return order


def plan_version() -> PlanVersion:
    plan, _ = CommissionPlan.objects.get_or_create(name="Analytics test plan")
    version = plan.versions.first()
    if version is None:
        version = PlanVersion.objects.create(plan=plan, number=1, levels=2)
    return version


def make_commission(
    order, payee, *, level: int, amount: Decimal, status="pending", created_at=None
) -> Commission:
    version = plan_version()
    line = OrderLine.objects.create(
        order=order,
        product_name="測試商品",
        unit_price=order.goods_total,
        quantity=1,
        line_total=order.goods_total,
    )
    settlement, _ = OrderSettlement.objects.get_or_create(order=order)
    commission = Commission.objects.create(
        order=order,
        order_line=line,
        settlement=settlement,
        plan_version=version,
        payee=payee,
        level=level,
        tree_level=max(level, 1),
        base=order.goods_total,
        rate=Decimal("5"),
        exact_amount=amount,
        amount=amount,
        rule=Commission.Rule.LEVEL,
        status=status,
        available_at=timezone.now() + timedelta(days=7),
    )
    if created_at is not None:
        Commission.objects.filter(pk=commission.pk).update(created_at=created_at)
    return commission
