"""Read queries behind the organisation chart, the per-level figures and the reports, one module
per report family (see docs/analytics.md for the layout):

- ``base``: the definitions every report shares, the report transaction (``olap``), SQL helpers;
- ``levels``: per-level figures of a member; ``chart``: the organisation chart and search;
- ``downline``: a member's downline list (pages and exports);
- ``leaderboards``: metric values per member (tags use them too) and the rankings;
- ``depth``: the depth analysis; ``campaigns``, ``utm``: the traffic reports;
- ``dashboard``: the staff dashboard; ``tags``: the tag rules and their members.

Member counts come from the referral tree's materialized path, read through the fragments
``fenrun.referrals.tree`` and ``fenrun.referrals.tree_queries`` expose; sales from the roll-ups
the order events keep (``fenrun.analytics.rollups``).

Definitions shared by every report:

- a *sale* is an order in ``fenrun.orders.status.SALE_STATUSES``, dated by ``placed_at``; its
  amount (業績) is goods after discounts (``goods_total - discount_total``), shipping excluded;
- *revenue* (營收) on the dashboard is the grand total of those orders, the same figure the
  back office's front page shows (``fenrun.orders.selectors.period_figures``);
- a *new member* is one whose account was created (``date_joined``) within the range;
- *commissions* are Commission rows created within the range and not reversed.
"""

from fenrun.analytics.selectors.base import MAX_LEVEL, User, money, olap
from fenrun.analytics.selectors.campaigns import (
    CampaignReport,
    FunnelRow,
    PromoterRow,
    SeriesPoint,
    campaign_report,
    campaigns_with_totals,
)
from fenrun.analytics.selectors.chart import (
    CHILDREN_PAGE,
    ChildrenPage,
    NodeFigures,
    SearchHit,
    children_page,
    figures_for_nodes,
    member_figures,
    search_members,
    sources_page,
    upline_ids_within,
)
from fenrun.analytics.selectors.dashboard import Dashboard, DashboardColumn, dashboard
from fenrun.analytics.selectors.depth import DepthReport, DepthRow, depth_analysis
from fenrun.analytics.selectors.downline import DownlineRow, downline_page, iter_downline
from fenrun.analytics.selectors.leaderboards import (
    LEADERBOARD_LIMIT,
    LeaderRow,
    downline_new_members_by_member,
    downline_sales_by_member,
    leaderboard,
    leaderboard_size,
    metric_values,
    month_segments,
    ranked,
)
from fenrun.analytics.selectors.levels import LevelReport, LevelRow, level_figures
from fenrun.analytics.selectors.tags import active_rules, rule_members, rules_with_counts
from fenrun.analytics.selectors.utm import UTM_DIMENSIONS, UtmRow, utm_report

__all__ = [
    "CHILDREN_PAGE",
    "LEADERBOARD_LIMIT",
    "MAX_LEVEL",
    "UTM_DIMENSIONS",
    "CampaignReport",
    "ChildrenPage",
    "Dashboard",
    "DashboardColumn",
    "DepthReport",
    "DepthRow",
    "DownlineRow",
    "FunnelRow",
    "LeaderRow",
    "LevelReport",
    "LevelRow",
    "NodeFigures",
    "PromoterRow",
    "SearchHit",
    "SeriesPoint",
    "User",
    "UtmRow",
    "active_rules",
    "campaign_report",
    "campaigns_with_totals",
    "children_page",
    "dashboard",
    "depth_analysis",
    "downline_new_members_by_member",
    "downline_page",
    "downline_sales_by_member",
    "figures_for_nodes",
    "iter_downline",
    "leaderboard",
    "leaderboard_size",
    "level_figures",
    "member_figures",
    "metric_values",
    "money",
    "month_segments",
    "olap",
    "ranked",
    "rule_members",
    "rules_with_counts",
    "search_members",
    "sources_page",
    "upline_ids_within",
    "utm_report",
]
