"""Report tables as header + rows, shared by the pages' exports (CSV, Excel)."""

from django.utils.translation import gettext as _

from fenrun.analytics import selectors
from fenrun.analytics.access import Viewer, display_name
from fenrun.analytics.exports import Table
from fenrun.analytics.models import Metric


def level_label(level: int | None) -> str:
    return str(level) if level is not None else _("Deeper than %(n)d") % {"n": selectors.MAX_LEVEL}


def levels_table(report: selectors.LevelReport, member_label: str) -> Table:
    rows = [
        [
            level_label(r.level),
            r.members,
            r.new_members,
            r.orders,
            r.sales,
            r.commissions,
            r.commission_count,
        ]
        for r in report.rows
    ]
    t = report.total
    rows.append(
        [_("Total"), t.members, t.new_members, t.orders, t.sales, t.commissions, t.commission_count]
    )
    if report.own_commissions:
        rows.append([_("Own orders"), "", "", "", "", report.own_commissions, ""])
    return Table(
        title=_("Levels"),
        filename=f"levels-{report.member_id}-{report.period.start}-{report.period.end}",
        header=[
            _("Level"),
            _("Members"),
            _("New members"),
            _("Orders"),
            _("Sales"),
            _("Commissions earned"),
            _("Commission count"),
        ],
        rows=rows,
    )


def leaderboard_table(metric: str, rows, period) -> Table:
    """``rows`` as the viewer may see them (``presenters.shown_all``)."""
    header = [_("Rank"), _("Member ID"), _("Name"), _("E-mail"), Metric(metric).label]
    with_orders = metric == Metric.DOWNLINE_SALES
    if with_orders:
        header.append(_("Orders"))
    header.append(_("Tags"))
    body = []
    for r in rows:
        line = [r.rank, r.user_id, r.name, r.email, r.value]
        if with_orders:
            line.append(r.orders)
        line.append(", ".join(t["name"] for t in r.tags))
        body.append(line)
    return Table(
        title=_("Leaderboard"),
        filename=f"leaderboard-{metric}-{period.start}-{period.end}",
        header=header,
        rows=body,
    )


def depth_table(report: selectors.DepthReport) -> Table:
    rows = []
    for r in report.tree_levels:
        rows.append([_("Tree level"), level_label(r.level), r.members, r.orders, r.sales, "", ""])
    for r in report.commission_levels:
        label = _("Own orders") if r.level == 0 else level_label(r.level)
        rows.append([_("Commission level"), label, "", "", "", r.commission_count, r.commissions])
    return Table(
        title=_("Depth analysis"),
        filename=f"depth-{report.period.start}-{report.period.end}",
        header=[
            _("Kind"),
            _("Level"),
            _("Members"),
            _("Orders"),
            _("Sales"),
            _("Commission count"),
            _("Commissions"),
        ],
        rows=rows,
    )


def _funnel_cells(r) -> list:
    return [
        r.clicks,
        r.signups,
        r.orders,
        r.revenue,
        r.signup_rate,
        r.order_rate,
        r.revenue_per_click,
    ]


def _funnel_header() -> list[str]:
    return [
        _("Clicks"),
        _("Sign-ups"),
        _("Orders"),
        _("Revenue"),
        _("Sign-ups ÷ clicks (%)"),
        _("Orders ÷ clicks (%)"),
        _("Revenue per click"),
    ]


def campaign_promoters_table(report: selectors.CampaignReport) -> Table:
    """The promoters as the viewer may see them (``presenters.shown_all``)."""
    rows = [
        [r.user_id or "", r.name, r.email, *_funnel_cells(r), r.commissions]
        for r in report.promoters
    ]
    return Table(
        title=_("Promoters"),
        filename=f"campaign-{report.campaign.slug}-promoters",
        header=[_("Member ID"), _("Name"), _("E-mail"), *_funnel_header(), _("Commissions")],
        rows=rows,
    )


def campaign_series_table(report: selectors.CampaignReport) -> Table:
    rows = [[p.at, p.clicks, p.signups, p.orders, p.revenue] for p in report.series]
    return Table(
        title=_("Timeline"),
        filename=f"campaign-{report.campaign.slug}-{report.bucket}",
        header=[_("Time"), _("Clicks"), _("Sign-ups"), _("Orders"), _("Revenue")],
        rows=rows,
    )


def utm_table(rows, total, period, by: str) -> Table:
    fields = selectors.UTM_DIMENSIONS[by]
    names = {"utm_source": "utm_source", "utm_medium": "utm_medium", "utm_campaign": "utm_campaign"}
    body = [[getattr(r, f) or _("(none)") for f in fields] + _funnel_cells(r) for r in rows]
    body.append([_("Total")] + [""] * (len(fields) - 1) + _funnel_cells(total))
    return Table(
        title="UTM",
        filename=f"utm-{by}-{period.start}-{period.end}",
        header=[names[f] for f in fields] + _funnel_header(),
        rows=body,
    )


def downline_table(viewer: Viewer, root_id: int, period, rows) -> Table:
    staff = viewer.is_staff
    header = [
        _("Member ID"),
        _("Level"),
        _("Name"),
        _("Joined"),
        _("Sponsor ID"),
        _("Direct referrals"),
        _("Orders"),
        _("Sales"),
        _("Tags"),
    ]
    if staff:
        header += [_("E-mail"), _("Phone")]

    def body():
        for r in rows:
            email, phone = viewer.contact(r.user_id, r.email, r.phone)
            line = [
                r.user_id,
                r.level,
                display_name(viewer, r.user_id, r.name, r.email),
                r.joined,
                r.sponsor_id or "",
                r.direct_referrals,
                r.orders,
                r.sales,
                ", ".join(t["name"] for t in r.tags),
            ]
            if staff:
                line += [email, phone]
            yield line

    return Table(
        title=_("Downline"),
        filename=f"downline-{root_id}-{period.start}-{period.end}",
        header=header,
        rows=body(),
    )


def tag_members_table(viewer: Viewer, rule, tags) -> Table:
    def body():
        for t in tags:
            email, _phone = viewer.contact(t.member_id, t.member.email, "")
            name = display_name(viewer, t.member_id, t.member.name, t.member.email)
            yield [t.member_id, name, email, t.value, t.computed_at]

    return Table(
        title=rule.name[:31],
        filename=f"tag-{rule.pk}",
        header=[_("Member ID"), _("Name"), _("E-mail"), rule.get_metric_display(), _("Computed")],
        rows=body(),
    )


def dashboard_table(board: selectors.Dashboard, labels: dict) -> Table:
    rows = [
        [
            labels[c.key],
            c.period.start,
            c.period.end,
            c.orders,
            c.revenue,
            c.commissions,
            c.new_members,
        ]
        for c in board.columns
    ]
    return Table(
        title=_("Dashboard"),
        filename="dashboard",
        header=[
            _("Period"),
            _("From"),
            _("To"),
            _("Orders"),
            _("Revenue"),
            _("Commissions"),
            _("New members"),
        ],
        rows=rows,
    )
