"""The back office's front page: today's and this month's orders and revenue at a glance."""

from django.urls import reverse
from django.utils.translation import gettext as _

from fenrun.core.money import format_twd
from fenrun.core.permissions import Capability, has, has_any
from fenrun.orders import selectors
from fenrun.orders.status import OrderStatus


def dashboard_callback(request, context):
    """Unfold calls this for the admin index (settings.UNFOLD["DASHBOARD_CALLBACK"]).

    Days and months are the shop's local ones (Asia/Taipei); revenue (營收) is the grand total of
    the orders that count as a sale (``SALE_STATUSES``), the same figure as the analytics
    dashboard's; the order counts include every order placed. The panel is for staff who work
    on orders; the revenue cards only for those who may read reports.
    """
    if not has_any(request.user, (Capability.MANAGE_ORDERS, Capability.FULFIL_ORDERS)):
        return context
    periods = selectors.local_day_and_month()
    today = selectors.period_figures(*periods["today"])
    month = selectors.period_figures(*periods["month"])
    changelist = reverse("admin:orders_order_changelist")
    with_revenue = has(request.user, Capability.VIEW_REPORTS)
    cards = [
        {"title": _("Orders today"), "value": today.orders, "id": "orders-today"},
        {"title": _("Revenue today"), "value": format_twd(today.revenue), "id": "revenue-today"},
        {"title": _("Orders this month"), "value": month.orders, "id": "orders-month"},
        {
            "title": _("Revenue this month"),
            "value": format_twd(month.revenue),
            "id": "revenue-month",
        },
    ]
    if not with_revenue:
        cards = [card for card in cards if not card["id"].startswith("revenue-")]
    context["fenrun_dashboard"] = {
        "cards": cards,
        "by_status": [
            {
                "status": status,
                "label": label,
                "count": count,
                "url": f"{changelist}?status__exact={status}",
            }
            for status, label, count in selectors.orders_by_status()
        ],
        "latest": [
            {
                "number": order.number,
                "url": reverse("admin:orders_order_change", args=[order.pk]),
                "recipient": order.recipient_name,
                "status": OrderStatus(order.status).label,
                "total": format_twd(order.grand_total),
                "placed_at": order.placed_at,
            }
            for order in selectors.latest_orders(10)
        ],
        "orders_url": changelist,
    }
    return context
