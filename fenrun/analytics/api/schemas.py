"""What the analytics API answers with. Each schema reads the selectors' dataclasses (or the
models) by attribute; a ``resolve_`` method names where a field comes from when its name differs.
"""

from datetime import date, datetime
from decimal import Decimal

from ninja import Field, Schema

from fenrun.core.api_errors import errors
from fenrun.core.paging import PageFields

# 400: a bad date range (as on the pages); 422: a parameter of the wrong type or out of bounds.
STAFF = errors(401, 403)
FILTERED = errors(401, 403, 422)
STAFF_REPORT = errors(400, 401, 403, 422)
ON_ONE = errors(401, 403, 404, 422)
ON_MEMBER = errors(400, 401, 403, 404, 422)
SALES_FLAG = "false: structure and counts only (fast on huge downlines)."


class DateParams(Schema):
    """The report's days, as on the pages: both days included, in the shop's time zone."""

    start: str | None = Field(None, description="First day, YYYY-MM-DD.")
    end: str | None = Field(None, description="Last day, YYYY-MM-DD.")
    preset: str = Field(
        "", description="today, 7d, 30d, this_month, last_month or this_year (instead of dates)."
    )


class PeriodOut(Schema):
    start: date
    end: date


class TagOut(Schema):
    name: str
    color: str


# ---------------------------------------------------------------- chart


class NodeOut(Schema):
    """Built by ``presenters.node_payload``, which applies the viewer's privacy rules."""

    id: int
    name: str
    joined: date | None
    level: int | None = Field(
        description="層, counted from the top of the chart (1 = direct referral). Staff: levels "
        "below the member's source (0 = a source). Members: levels below themselves "
        "(0 = themselves)."
    )
    tree_level: int | None = Field(
        None,
        description="Staff only: the absolute tree level of guaranteed levels (sources are 1).",
    )
    sponsor_id: int | None
    direct_referrals: int
    downline: int = Field(description="Everyone below, any depth.")
    personal_orders: int
    personal_sales: Decimal
    downline_orders: int
    downline_sales: Decimal
    tags: list[TagOut]
    code: str
    has_sales: bool = Field(
        description="False when asked with sales=false: the sales figures were not computed."
    )
    email: str | None = Field(
        description="The member themselves, and staff: in full with the contact-data "
        "capability, masked without it. Null for other members."
    )
    phone: str | None = Field(description="As email.")


class CrumbOut(Schema):
    id: int
    name: str


class NodeDetailOut(Schema):
    period: PeriodOut
    node: NodeOut
    uplines: list[CrumbOut] = Field(description="From the top of what you may see to the sponsor.")


class ChildrenOut(PageFields):
    """A page of a node's direct referrals (or of the sources): there are more while
    ``offset + len(items) < count``."""

    period: PeriodOut
    parent_id: int | None = Field(
        description="The member whose referrals these are; null: sources."
    )
    items: list[NodeOut]


class SearchHitOut(Schema):
    id: int
    name: str
    code: str
    level: int | None
    joined: date


# ---------------------------------------------------------------- per member


class LevelRowOut(Schema):
    level: int | None = Field(description="1..20; null for deeper than 20.")
    members: int
    new_members: int
    orders: int
    sales: Decimal
    commissions: Decimal
    commission_count: int


def _level_of(row) -> int | None:
    return row.level if row is not None else None


class LevelsOut(Schema):
    member_id: int
    period: PeriodOut
    levels: list[LevelRowOut] = Field(validation_alias="rows")
    total: LevelRowOut
    own_commissions: Decimal
    top_sales_level: int | None
    top_commission_level: int | None
    deepest_level: int

    @staticmethod
    def resolve_top_sales_level(obj):
        return _level_of(obj.top_sales_level)

    @staticmethod
    def resolve_top_commission_level(obj):
        return _level_of(obj.top_commission_level)


class DownlineRowOut(Schema):
    id: int = Field(validation_alias="user_id")
    level: int
    name: str = Field(description="Masked for members, as on the pages.")
    joined: datetime
    sponsor_id: int | None
    direct_referrals: int
    orders: int
    sales: Decimal
    tags: list[TagOut]


class DownlineOut(PageFields):
    period: PeriodOut
    items: list[DownlineRowOut]


# ---------------------------------------------------------------- leaderboards and depth


class LeaderOut(Schema):
    rank: int
    member_id: int = Field(validation_alias="user_id")
    name: str
    value: Decimal
    orders: int | None = Field(None, description="Downline sales: the orders behind the figure.")
    tags: list[TagOut]


class LeaderboardOut(PageFields):
    """Members with a figure above zero, best first; ``rank`` counts from the top of the whole
    ranking, not of the page."""

    metric: str
    period: PeriodOut
    items: list[LeaderOut]


class DepthRowOut(Schema):
    level: int | None
    members: int
    orders: int
    sales: Decimal
    commissions: Decimal
    commission_count: int


class DepthOut(Schema):
    period: PeriodOut
    tree_levels: list[DepthRowOut]
    commission_levels: list[DepthRowOut]
    top_tree_level: int | None
    top_commission_level: int | None

    @staticmethod
    def resolve_top_tree_level(obj):
        return _level_of(obj.top_tree_level)

    @staticmethod
    def resolve_top_commission_level(obj):
        return _level_of(obj.top_commission_level)


# ---------------------------------------------------------------- campaigns and UTM


class FunnelOut(Schema):
    clicks: int
    signups: int
    orders: int
    revenue: Decimal
    signup_clicks: int = Field(description="clicks that led to at least one sign-up")
    order_clicks: int = Field(description="clicks that led to at least one sale")
    signup_rate: Decimal | None = Field(description="signups ÷ clicks × 100, one decimal")
    order_rate: Decimal | None = Field(
        description="orders ÷ clicks × 100, one decimal; may pass 100 when clicks bring "
        "several orders"
    )
    revenue_per_click: Decimal | None


class PromoterOut(FunnelOut):
    member_id: int | None = Field(validation_alias="user_id")
    name: str
    commissions: Decimal


class SeriesPointOut(Schema):
    at: datetime
    clicks: int
    signups: int
    orders: int
    revenue: Decimal


class CampaignReportOut(Schema):
    id: int
    slug: str
    title: str
    starts_at: datetime
    ends_at: datetime
    total: FunnelOut
    commissions: Decimal = Field(validation_alias="commissions_total")
    promoters: list[PromoterOut]
    bucket: str
    series: list[SeriesPointOut]

    @staticmethod
    def resolve_id(obj):
        return obj.campaign.pk

    @staticmethod
    def resolve_slug(obj):
        return obj.campaign.slug

    @staticmethod
    def resolve_title(obj):
        return obj.campaign.title

    @staticmethod
    def resolve_starts_at(obj):
        return obj.campaign.starts_at

    @staticmethod
    def resolve_ends_at(obj):
        return obj.campaign.ends_at


class UtmRowOut(FunnelOut):
    utm_source: str
    utm_medium: str
    utm_campaign: str


class UtmOut(Schema):
    period: PeriodOut
    by: str
    rows: list[UtmRowOut]
    total: FunnelOut


# ---------------------------------------------------------------- dashboard and tags


class DashboardColumnOut(Schema):
    key: str
    period: PeriodOut
    orders: int = Field(description="Orders that count as a sale (paid, shipped, completed).")
    revenue: Decimal = Field(
        description="營收: their grand total, the figure the back office's front page shows."
    )
    commissions: Decimal
    new_members: int
    top_promoters: list[PromoterOut]


class DashboardOut(Schema):
    columns: list[DashboardColumnOut]
    coins_outstanding: Decimal
    commissions_pending: Decimal


class TagRuleOut(Schema):
    id: int
    name: str
    color: str
    metric: str
    period: str
    period_days: int
    threshold: Decimal | None
    top_percent: Decimal | None
    is_active: bool
    members: int = Field(0, validation_alias="member_count")
    last_computed_at: datetime | None


class RecomputeOut(Schema):
    rule: str
    tagged: int
    added: int
    removed: int
