"""Demo data for the reports: high-contribution tag rules (recomputed), and a live stream that
people actually bought during, so the minute-by-minute campaign chart has sign-ups and orders,
not only clicks; then the sales roll-ups rebuilt from every seeded order. Idempotent: rules by
name, live members by e-mail, live orders by source."""

import random
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction

from fenrun.analytics.models import Metric, Period, TagRule
from fenrun.analytics.rollups import rebuild
from fenrun.analytics.services import recompute_member_tags

LIVE_SLUG = "live-2025-11"
LIVE_ORDER_SOURCE = "demo-live"
LIVE_SIGNUPS = ["周家瑜", "鄭宇翔", "謝佩珊", "郭品妤", "洪志偉", "曾雅雯"]
LIVE_ORDERS = 10

RULES = [
    dict(
        name="轉單王",
        description="近 30 天下線業績前 10%",
        color="#d9480f",
        metric=Metric.DOWNLINE_SALES,
        period=Period.ROLLING,
        period_days=30,
        top_percent=Decimal("10"),
    ),
    dict(
        name="招募達人",
        description="本月新推薦會員前 20%",
        color="#1c7ed6",
        metric=Metric.NEW_MEMBERS,
        period=Period.THIS_MONTH,
        top_percent=Decimal("20"),
    ),
    dict(
        name="業績達標",
        description="近 30 天個人消費滿 NT$2,000",
        color="#2f9e44",
        metric=Metric.PERSONAL_SALES,
        period=Period.ROLLING,
        period_days=30,
        threshold=Decimal("2000"),
    ),
    dict(
        name="獎金王",
        description="近 60 天推薦獎金前 5%",
        color="#ae3ec9",
        metric=Metric.COMMISSIONS,
        period=Period.ROLLING,
        period_days=60,
        top_percent=Decimal("5"),
    ),
]


def _rules() -> int:
    created = 0
    for spec in RULES:
        spec = dict(spec)
        _rule, was_created = TagRule.objects.get_or_create(name=spec.pop("name"), defaults=spec)
        created += was_created
    return created


def _live_campaign():
    from fenrun.referrals.models import Campaign

    return Campaign.objects.filter(slug=LIVE_SLUG).first()


def _live_clicks(campaign) -> dict[int, list[int]]:
    from fenrun.referrals.models import Click

    clicks: dict[int, list[int]] = {}
    rows = Click.objects.filter(campaign=campaign).values_list("referrer_id", "pk").order_by("pk")
    for referrer_id, pk in rows:
        clicks.setdefault(referrer_id, []).append(pk)
    return clicks


def _live_signups(campaign, rng) -> int:
    """New members who registered through a promoter's live-stream link during the stream."""
    from fenrun.referrals import services as referrals
    from fenrun.referrals.models import Click, ReferralNode

    User = get_user_model()
    clicks = _live_clicks(campaign)
    promoters = sorted(clicks)
    if not promoters:
        return 0
    created = 0
    for n, name in enumerate(LIVE_SIGNUPS, start=1):
        email = f"demo-live-{n:02d}@example.com"
        if User.objects.filter(email=email).exists():
            continue
        sponsor = User.objects.get(pk=rng.choice(promoters))
        joined = campaign.starts_at + timedelta(minutes=rng.randint(5, 110))
        user = User.objects.create(email=email, name=name, password="!", date_joined=joined)
        click_id = rng.choice(clicks[sponsor.pk])
        referrals.bind_sponsor(
            user,
            sponsor,
            via=ReferralNode.BoundVia.LINK,
            click=Click.objects.get(pk=click_id),
            campaign=campaign,
        )
        ReferralNode.objects.filter(pk=user.pk).update(bound_at=joined)
        created += 1
    return created


def _live_orders(campaign, rng) -> int:
    """Orders placed during the stream, attributed to the campaign and the buyer's sponsor."""
    from fenrun.catalog.models import Product
    from fenrun.orders.models import Order, OrderStatusChange, PaymentMethod, ShippingMethod
    from fenrun.orders.services import Recipient, change_status, place_order
    from fenrun.orders.status import OrderStatus
    from fenrun.referrals.models import OrderAttribution, ReferralNode

    if Order.objects.filter(source=LIVE_ORDER_SOURCE).exists():
        return 0
    User = get_user_model()
    clicks = _live_clicks(campaign)
    buyers = list(
        User.objects.filter(
            referral_node__sponsor__isnull=False, email__startswith="demo-"
        ).order_by("pk")
    )
    products = list(Product.objects.filter(is_active=True, stock__gte=5).order_by("pk"))
    method = ShippingMethod.objects.filter(is_active=True).order_by("pk").first()
    staff = User.objects.filter(is_staff=True).order_by("pk").first()
    if not (buyers and products and method):
        return 0
    placed = 0
    for _n in range(LIVE_ORDERS):
        buyer = rng.choice(buyers)
        product = rng.choice(products)
        with transaction.atomic():
            order = place_order(
                items=[(product.pk, rng.randint(1, 3))],
                recipient=Recipient(
                    name=buyer.name or "直播觀眾",
                    phone=buyer.phone or "0911222333",
                    email=buyer.email,
                    county="臺北市",
                    district="大安區",
                    street="復興南路一段100號",
                    postal_code="106",
                ),
                shipping_method=method,
                payment_method=PaymentMethod.ATM,
                user=buyer,
                source=LIVE_ORDER_SOURCE,
            )
            change_status(order, OrderStatus.PAID, actor=staff, note="demo live stream")
            when = campaign.starts_at + timedelta(minutes=rng.randint(10, 115))
            Order.objects.filter(pk=order.pk).update(placed_at=when, paid_at=when)
            OrderStatusChange.objects.filter(order=order).update(created_at=when)
            sponsor_id = (
                ReferralNode.objects.filter(pk=buyer.pk)
                .values_list("sponsor_id", flat=True)
                .first()
            )
            click_id = rng.choice(clicks[sponsor_id]) if clicks.get(sponsor_id) else None
            OrderAttribution.objects.update_or_create(
                order=order,
                defaults={"referrer_id": sponsor_id, "campaign": campaign, "click_id": click_id},
            )
        placed += 1
        products = list(Product.objects.filter(is_active=True, stock__gte=5).order_by("pk"))
        if not products:
            break
    return placed


def seed(stdout) -> None:
    rng = random.Random(20261126)
    new_rules = _rules()
    campaign = _live_campaign()
    signups = orders = 0
    if campaign is not None:
        with transaction.atomic():
            signups = _live_signups(campaign, rng)
        orders = _live_orders(campaign, rng)
    # Earlier seeders back-date orders and write some without events: recompute the sales
    # roll-ups from the orders so the reports and the tags below see the true figures.
    rebuilt = rebuild()
    results = recompute_member_tags()
    tagged = ", ".join(f"{r.rule} {r.tagged}" for r in results)
    stdout.write(
        f"analytics: {len(results)} tag rules ({new_rules} new; tagged: {tagged}), "
        f"live stream: {signups} new sign-ups, {orders} orders during the stream; "
        f"sales roll-ups rebuilt ({rebuilt.day_rows} day rows, {rebuilt.month_rows} month rows)"
    )
