"""i追蹤分析表: clicks by UTM tags and the sign-ups and orders they led to."""

from dataclasses import dataclass

from django.db.models import Count, F, Sum

from fenrun.analytics.periods import DateRange
from fenrun.analytics.selectors.base import money, olap
from fenrun.analytics.selectors.campaigns import FunnelRow
from fenrun.orders.status import SALE_STATUSES
from fenrun.referrals.models import Click, OrderAttribution, ReferralNode

UTM_DIMENSIONS = {
    "source": ("utm_source",),
    "source_medium": ("utm_source", "utm_medium"),
    "all": ("utm_source", "utm_medium", "utm_campaign"),
}


@dataclass
class UtmRow(FunnelRow):
    utm_source: str = ""
    utm_medium: str = ""
    utm_campaign: str = ""


@olap
def utm_report(period: DateRange, by: str = "all") -> tuple[list[UtmRow], UtmRow]:
    """Clicks in the period by UTM tags, and the sign-ups and orders those clicks led to (at any
    time since: the clicks are the cohort). Rates are the shown counts ÷ clicks (``FunnelRow``)."""
    fields = UTM_DIMENSIONS[by]
    clicks = Click.objects.filter(created_at__gte=period.start_at, created_at__lt=period.end_before)
    rows: dict[tuple, UtmRow] = {}

    def row_for(values: dict, prefix: str = "") -> UtmRow:
        key = tuple(values[prefix + f] or "" for f in fields)
        if key not in rows:
            rows[key] = UtmRow(**dict(zip(fields, key, strict=True)))
        return rows[key]

    for row in clicks.values(*fields).annotate(n=Count("pk")).order_by():
        row_for(row).clicks = row["n"]
    signup_fields = [f"signup_click__{f}" for f in fields]
    signups = ReferralNode.objects.filter(
        signup_click__created_at__gte=period.start_at,
        signup_click__created_at__lt=period.end_before,
    )
    for row in (
        signups.values(*signup_fields)
        .annotate(n=Count("pk"), c=Count("signup_click", distinct=True))
        .order_by()
    ):
        target = row_for(row, "signup_click__")
        target.signups, target.signup_clicks = row["n"], row["c"]
    order_fields = [f"click__{f}" for f in fields]
    orders = OrderAttribution.objects.filter(
        click__created_at__gte=period.start_at,
        click__created_at__lt=period.end_before,
        order__status__in=SALE_STATUSES,
    )
    for row in (
        orders.values(*order_fields)
        .annotate(
            n=Count("pk"),
            c=Count("click", distinct=True),
            v=Sum(F("order__goods_total") - F("order__discount_total")),
        )
        .order_by()
    ):
        target = row_for(row, "click__")
        target.orders, target.order_clicks, target.revenue = row["n"], row["c"], money(row["v"])
    ordered = sorted(rows.values(), key=lambda r: (-r.revenue, -r.clicks, r.utm_source))
    total = UtmRow(utm_source="")
    for row in ordered:
        total.add(row)
    return ordered, total
