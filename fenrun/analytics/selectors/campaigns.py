"""Campaign reports (直播導流分析): clicks, sign-ups, orders, revenue and commissions of a
campaign by promoter and over time, and the list of campaigns with their totals."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Count, F, Sum
from django.db.models.functions import TruncDay, TruncHour, TruncMinute
from django.utils import timezone

from fenrun.analytics.selectors.base import (
    ZERO,
    User,
    earned_commissions,
    money,
    olap,
)
from fenrun.core.money import round_money
from fenrun.orders.status import SALE_STATUSES
from fenrun.referrals.models import Campaign, Click, OrderAttribution, ReferralNode


@dataclass
class FunnelRow:
    """Clicks and what followed, per row of a report. ``signups`` and ``orders`` count
    everything credited to the row. The rates divide those shown counts by the row's clicks
    (sign-ups ÷ clicks, orders ÷ clicks), so a reader can check them against the table; a
    click that brings several orders, or orders credited without a recorded click, can take
    the order rate past 100%. ``signup_clicks`` and ``order_clicks`` (clicks that led to at
    least one sign-up or sale) are extra figures for the API, not part of the rates."""

    clicks: int = 0
    signups: int = 0
    orders: int = 0
    revenue: Decimal = ZERO
    commissions: Decimal = ZERO
    signup_clicks: int = 0
    order_clicks: int = 0

    def add(self, other: "FunnelRow") -> None:
        self.clicks += other.clicks
        self.signups += other.signups
        self.orders += other.orders
        self.revenue += other.revenue
        self.commissions += other.commissions
        self.signup_clicks += other.signup_clicks
        self.order_clicks += other.order_clicks

    @property
    def signup_rate(self) -> Decimal | None:
        return _rate(self.signups, self.clicks)

    @property
    def order_rate(self) -> Decimal | None:
        return _rate(self.orders, self.clicks)

    @property
    def revenue_per_click(self) -> Decimal | None:
        return round_money(self.revenue / self.clicks, places=2) if self.clicks else None


def _rate(part: int, whole: int) -> Decimal | None:
    """A percentage with one decimal; None when there is nothing to divide by."""
    if not whole:
        return None
    return round_money(Decimal(part) * 100 / Decimal(whole), places=1)


@dataclass
class PromoterRow(FunnelRow):
    user_id: int | None = None
    name: str = ""
    email: str = ""


@dataclass
class SeriesPoint:
    at: datetime
    clicks: int = 0
    signups: int = 0
    orders: int = 0
    revenue: Decimal = ZERO


@dataclass
class CampaignReport:
    campaign: Campaign
    total: FunnelRow
    promoters: list[PromoterRow]
    series: list[SeriesPoint]
    bucket: str  # minute, hour or day
    commissions_total: Decimal = ZERO


MAX_BUCKETS = 24 * 60


def campaign_bucket(campaign: Campaign) -> str:
    span = campaign.ends_at - campaign.starts_at
    if span <= timedelta(hours=12):
        return "minute"
    if span <= timedelta(days=31):
        return "hour"
    return "day"


def _trunc(bucket: str, field_name: str):
    tz = timezone.get_current_timezone()
    cls = {"minute": TruncMinute, "hour": TruncHour, "day": TruncDay}[bucket]
    return cls(field_name, tzinfo=tz)


def _step(bucket: str) -> timedelta:
    return {"minute": timedelta(minutes=1), "hour": timedelta(hours=1), "day": timedelta(days=1)}[
        bucket
    ]


def _floor(moment: datetime, bucket: str) -> datetime:
    local = timezone.localtime(moment)
    if bucket == "minute":
        local = local.replace(second=0, microsecond=0)
    elif bucket == "hour":
        local = local.replace(minute=0, second=0, microsecond=0)
    else:
        local = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return local


@olap
def campaign_report(campaign: Campaign) -> CampaignReport:
    """Clicks, sign-ups, orders, revenue and commissions of a campaign, by promoter, and their
    evolution (per minute for a live stream) between its start and end."""
    promoters: dict[int | None, PromoterRow] = {}

    def row_for(uid):
        if uid not in promoters:
            promoters[uid] = PromoterRow(user_id=uid)
        return promoters[uid]

    clicks = Click.objects.filter(campaign=campaign)
    for row in clicks.values("referrer_id").annotate(n=Count("pk")).order_by():
        row_for(row["referrer_id"]).clicks = row["n"]
    signups = ReferralNode.objects.filter(signup_campaign=campaign)
    for row in signups.values("sponsor_id").annotate(n=Count("pk")).order_by():
        row_for(row["sponsor_id"]).signups = row["n"]
    orders = OrderAttribution.objects.filter(campaign=campaign, order__status__in=SALE_STATUSES)
    for row in (
        orders.values("referrer_id")
        .annotate(n=Count("pk"), v=Sum(F("order__goods_total") - F("order__discount_total")))
        .order_by()
    ):
        target = row_for(row["referrer_id"])
        target.orders, target.revenue = row["n"], money(row["v"])
    converted = ReferralNode.objects.filter(signup_click__campaign=campaign)
    for row in (
        converted.values("signup_click__referrer_id")
        .annotate(n=Count("signup_click", distinct=True))
        .order_by()
    ):
        row_for(row["signup_click__referrer_id"]).signup_clicks = row["n"]
    ordered_after_click = OrderAttribution.objects.filter(
        click__campaign=campaign, order__status__in=SALE_STATUSES
    )
    for row in (
        ordered_after_click.values("click__referrer_id")
        .annotate(n=Count("click", distinct=True))
        .order_by()
    ):
        row_for(row["click__referrer_id"]).order_clicks = row["n"]
    campaign_commissions = earned_commissions().filter(order__attribution__campaign=campaign)
    for row in campaign_commissions.values("payee_id").annotate(v=Sum("amount")).order_by():
        if row["payee_id"] in promoters:
            promoters[row["payee_id"]].commissions = money(row["v"])
    commissions_total = money(campaign_commissions.aggregate(v=Sum("amount"))["v"])
    users = User.objects.in_bulk([uid for uid in promoters if uid is not None])
    for uid, row in promoters.items():
        if uid in users:
            row.name, row.email = users[uid].name, users[uid].email
    total = FunnelRow()
    for row in promoters.values():
        total.add(row)
    total.commissions = commissions_total
    ordered = sorted(
        promoters.values(), key=lambda r: (-r.revenue, -r.orders, -r.signups, -r.clicks)
    )

    bucket = campaign_bucket(campaign)
    start, end = campaign.starts_at, campaign.ends_at
    points: dict[datetime, SeriesPoint] = {}
    moment = _floor(start, bucket)
    step = _step(bucket)
    while moment < end and len(points) < MAX_BUCKETS:
        points[moment] = SeriesPoint(moment)
        moment += step

    def bucket_rows(qs, time_field, **aggregates):
        return (
            qs.filter(**{f"{time_field}__gte": start, f"{time_field}__lt": end})
            .annotate(at=_trunc(bucket, time_field))
            .values("at")
            .annotate(**aggregates)
            .order_by()
        )

    def point(at):
        return points.get(_floor(at, bucket))

    for row in bucket_rows(clicks, "created_at", n=Count("pk")):
        if (p := point(row["at"])) is not None:
            p.clicks += row["n"]
    for row in bucket_rows(signups, "user__date_joined", n=Count("pk")):
        if (p := point(row["at"])) is not None:
            p.signups += row["n"]
    for row in bucket_rows(
        orders,
        "order__placed_at",
        n=Count("pk"),
        v=Sum(F("order__goods_total") - F("order__discount_total")),
    ):
        if (p := point(row["at"])) is not None:
            p.orders += row["n"]
            p.revenue += money(row["v"])
    return CampaignReport(
        campaign=campaign,
        total=total,
        promoters=ordered,
        series=list(points.values()),
        bucket=bucket,
        commissions_total=commissions_total,
    )


def campaigns_with_totals(limit: int = 100):
    campaigns = list(Campaign.objects.select_related("owner").order_by("-starts_at", "-id")[:limit])
    ids = [c.pk for c in campaigns]
    clicks = dict(
        Click.objects.filter(campaign_id__in=ids)
        .values("campaign_id")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("campaign_id", "n")
    )
    orders = {
        row["campaign_id"]: (row["n"], money(row["v"]))
        for row in OrderAttribution.objects.filter(
            campaign_id__in=ids, order__status__in=SALE_STATUSES
        )
        .values("campaign_id")
        .annotate(n=Count("pk"), v=Sum(F("order__goods_total") - F("order__discount_total")))
        .order_by()
    }
    signups = dict(
        ReferralNode.objects.filter(signup_campaign_id__in=ids)
        .values("signup_campaign_id")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("signup_campaign_id", "n")
    )
    for c in campaigns:
        c.report_clicks = clicks.get(c.pk, 0)
        c.report_signups = signups.get(c.pk, 0)
        c.report_orders, c.report_revenue = orders.get(c.pk, (0, ZERO))
    return campaigns
