"""Demo plans: the seed's two-level plan as the default, a three-level 經銷商方案 for one
category; then the commissions of the demo's completed orders. Idempotent."""

from decimal import Decimal

from django.db import transaction

from fenrun.accounts.demo import STAFF_EMAIL
from fenrun.accounts.models import User
from fenrun.catalog.models import Category
from fenrun.commissions import engine, selectors, services
from fenrun.commissions.forms import PlanSpec
from fenrun.commissions.models import (
    Commission,
    CommissionPlan,
    OrderLinePlan,
    OrderSettlement,
)
from fenrun.orders.models import Order
from fenrun.orders.status import OrderStatus

SEED_PLAN = "推薦獎金（兩層）"
DEALER_PLAN = "經銷商方案"
DEALER_CATEGORY = "tea"

D = Decimal


def seed_plan_spec() -> PlanSpec:
    """The seed's example: a level-1 member's order pays the source 5%; a level-2 member's
    order pays the source 4% and level 1 3%; at most 7%."""
    return PlanSpec(
        name=SEED_PLAN,
        description=(
            "源頭分享產生層1，層1分享產生層2。層1消費提撥5%給源頭；"
            "層2消費提撥4%給源頭、3%給層1；訂單最高提撥7%。不含運費。"
        ),
        is_default=True,
        rules=engine.PlanRules(
            levels=2,
            mode=engine.MATRIX,
            matrix=((D(5),), (D(3), D(4))),
            cap=D(7),
        ),
    )


def dealer_plan_spec() -> PlanSpec:
    return PlanSpec(
        name=DEALER_PLAN,
        description="經銷商團隊的三層獎金（已向主管機關報備），並保障創始團隊（第1階層）1%。",
        is_default=False,
        rules=engine.PlanRules(
            levels=3,
            mode=engine.LEVELS,
            rates=(D(10), D(5), D(3)),
            cap=D(20),
            guaranteed=((1, D(1)),),
        ),
        legal_acknowledged=True,
        note="demo",
    )


def seed(stdout) -> None:
    staff = User.objects.filter(email=STAFF_EMAIL).first()
    created = []
    if not CommissionPlan.objects.filter(name=SEED_PLAN).exists():
        services.save_plan(spec=seed_plan_spec(), actor=staff)
        created.append(SEED_PLAN)
    dealer = CommissionPlan.objects.filter(name=DEALER_PLAN).first()
    if dealer is None:
        dealer = services.save_plan(spec=dealer_plan_spec(), actor=staff)
        created.append(DEALER_PLAN)
    category = Category.objects.filter(slug=DEALER_CATEGORY).first() or Category.objects.first()
    if category is not None and not dealer.assignments.exists():
        services.assign_plan(plan=dealer, target="category", obj=category)

    # The demo's orders were completed before any plan (and before the referral tree) existed:
    # their settlements, if any, paid nothing. Settle them again now that both are in place.
    demo_orders = Order.objects.filter(source="demo", status=OrderStatus.COMPLETED)
    with transaction.atomic():
        stale = [
            s.pk
            for s in OrderSettlement.objects.filter(order__in=demo_orders, commissions__isnull=True)
            if not OrderLinePlan.objects.filter(order_line__order_id=s.order_id).exists()
            or (s.referrer_id is None and selectors.order_referrer_id(s.order_id) is not None)
        ]
        OrderSettlement.objects.filter(pk__in=stale).delete()
    settled = 0
    for order_id in demo_orders.filter(commission_settlement__isnull=True).values_list(
        "id", flat=True
    ):
        services.create_commissions_for_order(order_id, actor=staff, automatic=True)
        settled += 1
    released = services.release_due_commissions()
    stdout.write(
        f"commissions: plans {', '.join(created) or 'kept'}; {settled} orders settled, "
        f"{Commission.objects.count()} commissions ({released} released)"
    )
