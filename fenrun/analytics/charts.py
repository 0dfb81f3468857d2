"""ECharts options for the report pages, built on the server from the same figures as the
tables: the page's script only hands them to ECharts (static/analytics/charts.js)."""

from django.utils import timezone
from django.utils.translation import gettext as _

from fenrun.analytics.tables import level_label

PALETTE = ["#2f6b3a", "#d9480f", "#1c7ed6", "#ae3ec9", "#f59f00", "#0ca678"]


def _num(value) -> float:
    return float(value or 0)


def _base(**extra) -> dict:
    option = {
        "color": PALETTE,
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "grid": {"left": 48, "right": 48, "top": 40, "bottom": 40, "containLabel": True},
    }
    option.update(extra)
    return option


def levels_chart(report, rows) -> dict:
    labels = [level_label(r.level) for r in rows]
    return _base(
        xAxis={"type": "category", "data": labels, "name": _("Level")},
        yAxis=[
            {"type": "value", "name": _("Members")},
            {"type": "value", "name": "NT$", "splitLine": {"show": False}},
        ],
        series=[
            {"name": _("Members"), "type": "bar", "data": [r.members for r in rows]},
            {"name": _("New members"), "type": "bar", "data": [r.new_members for r in rows]},
            {
                "name": _("Sales"),
                "type": "line",
                "yAxisIndex": 1,
                "smooth": True,
                "data": [_num(r.sales) for r in rows],
            },
            {
                "name": _("Commissions earned"),
                "type": "line",
                "yAxisIndex": 1,
                "smooth": True,
                "data": [_num(r.commissions) for r in rows],
            },
        ],
    )


def campaign_chart(report) -> dict:
    fmt = {"minute": "%H:%M", "hour": "%m-%d %H:00", "day": "%m-%d"}[report.bucket]
    labels = [timezone.localtime(p.at).strftime(fmt) for p in report.series]
    return _base(
        dataZoom=[{"type": "inside"}, {"type": "slider", "height": 18, "bottom": 4}],
        xAxis={"type": "category", "data": labels},
        yAxis=[
            {"type": "value", "name": _("Count")},
            {"type": "value", "name": "NT$", "splitLine": {"show": False}},
        ],
        series=[
            {"name": _("Clicks"), "type": "line", "data": [p.clicks for p in report.series]},
            {"name": _("Sign-ups"), "type": "bar", "data": [p.signups for p in report.series]},
            {"name": _("Orders"), "type": "bar", "data": [p.orders for p in report.series]},
            {
                "name": _("Revenue"),
                "type": "line",
                "yAxisIndex": 1,
                "areaStyle": {"opacity": 0.15},
                "data": [_num(p.revenue) for p in report.series],
            },
        ],
    )


def utm_chart(rows, fields) -> dict:
    top = rows[:12]
    labels = [" / ".join(getattr(r, f) or "—" for f in fields) for r in top]
    return _base(
        tooltip={"trigger": "axis", "axisPointer": {"type": "shadow"}},
        xAxis={"type": "value"},
        yAxis={"type": "category", "data": labels[::-1]},
        series=[
            {"name": _("Clicks"), "type": "bar", "data": [r.clicks for r in top][::-1]},
            {"name": _("Sign-ups"), "type": "bar", "data": [r.signups for r in top][::-1]},
            {"name": _("Orders"), "type": "bar", "data": [r.orders for r in top][::-1]},
        ],
    )


def leaderboard_chart(rows, value_name: str) -> dict:
    top = rows[:10][::-1]
    return _base(
        legend={"show": False},
        tooltip={"trigger": "axis", "axisPointer": {"type": "shadow"}},
        xAxis={"type": "value"},
        yAxis={"type": "category", "data": [r.name or f"#{r.user_id}" for r in top]},
        series=[{"name": value_name, "type": "bar", "data": [_num(r.value) for r in top]}],
    )


def depth_chart(report) -> dict:
    rows = [r for r in report.tree_levels if r.members or r.sales]
    return _base(
        xAxis={
            "type": "category",
            "data": [level_label(r.level) for r in rows],
            "name": _("Tree level"),
        },
        yAxis=[
            {"type": "value", "name": _("Members")},
            {"type": "value", "name": "NT$", "splitLine": {"show": False}},
        ],
        series=[
            {"name": _("Members"), "type": "bar", "data": [r.members for r in rows]},
            {
                "name": _("Sales"),
                "type": "line",
                "yAxisIndex": 1,
                "data": [_num(r.sales) for r in rows],
            },
        ],
    )
