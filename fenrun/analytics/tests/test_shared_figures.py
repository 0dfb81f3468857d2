"""Figures the shop shows in more than one place are computed once: revenue (營收), the local
day and month, and the formula escaping of every spreadsheet export."""

import csv
import io
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from fenrun.analytics.exports import Table, csv_lines, write_xlsx
from fenrun.analytics.periods import DateRange
from fenrun.analytics.tests.builders import build_tree, make_order
from fenrun.core.periods import day_after, day_and_month, day_start
from fenrun.core.spreadsheet import safe_text
from fenrun.orders import selectors as order_selectors
from fenrun.referrals.models import ReferralNode
from fenrun.referrals.tree import segment

TAIPEI = ZoneInfo("Asia/Taipei")


def taipei(*args) -> datetime:
    return datetime(*args, tzinfo=TAIPEI)


# ---------------------------------------------------------------- revenue


def test_back_office_and_analytics_dashboards_show_the_same_revenue(staff_client, monkeypatch):
    now = taipei(2025, 3, 15, 10, 0)
    monkeypatch.setattr(timezone, "now", lambda: now)
    (buyer,) = build_tree([None])
    make_order(buyer, goods=Decimal("1000"), status="paid", placed_at=taipei(2025, 3, 15, 0, 30))
    make_order(buyer, goods=Decimal("500"), status="shipped", placed_at=taipei(2025, 3, 15, 9))
    make_order(buyer, goods=Decimal("700"), status="pending", placed_at=taipei(2025, 3, 15, 8))
    make_order(buyer, goods=Decimal("900"), status="cancelled", placed_at=taipei(2025, 3, 15, 7))
    make_order(buyer, goods=Decimal("300"), status="completed", placed_at=taipei(2025, 3, 2))
    make_order(buyer, goods=Decimal("400"), status="refunded", placed_at=taipei(2025, 3, 3))
    make_order(buyer, goods=Decimal("800"), status="paid", placed_at=taipei(2025, 2, 28, 23))

    admin_cards = {
        card["id"]: card["value"]
        for card in staff_client.get("/admin/").context["fenrun_dashboard"]["cards"]
    }
    board = staff_client.get("/staff/analytics/").context["board"]
    columns = {c.key: c for c in board.columns}
    # Grand totals (goods + NT$60 shipping) of the paid, shipped and completed orders only.
    assert columns["today"].revenue == Decimal("1620")
    assert columns["month"].revenue == Decimal("1980")
    assert admin_cards["revenue-today"] == "NT$1,620"
    assert admin_cards["revenue-month"] == "NT$1,980"
    assert (columns["today"].orders, columns["month"].orders) == (2, 3)
    api = staff_client.get("/api/v1/analytics/dashboard").json()
    assert [c["revenue"] for c in api["columns"] if c["key"] in ("today", "month")] == [
        "1620.00",
        "1980.00",
    ]


def test_revenue_cards_need_view_reports(client, db):
    from fenrun.analytics.tests.conftest import staff_in

    client.force_login(staff_in("出貨"))  # fulfilment works on orders, reads no reports
    cards = client.get("/admin/").context["fenrun_dashboard"]["cards"]
    assert [c["id"] for c in cards] == ["orders-today", "orders-month"]


# ---------------------------------------------------------------- the shop's days


def test_one_day_range_helper():
    assert day_start(date(2025, 3, 15)) == taipei(2025, 3, 15)
    assert day_after(date(2025, 3, 15)) == taipei(2025, 3, 16)
    periods = day_and_month(taipei(2024, 12, 31, 23, 0))
    assert periods == {
        "today": (taipei(2024, 12, 31), taipei(2025, 1, 1)),
        "month": (taipei(2024, 12, 1), taipei(2025, 1, 1)),
    }
    assert order_selectors.local_day_and_month(taipei(2024, 12, 31, 23, 0)) == periods
    report = DateRange(date(2024, 12, 1), date(2024, 12, 31))
    assert (report.start_at, report.end_before) == periods["month"]


def test_a_moment_just_after_midnight_utc_is_the_next_local_day():
    # 16:30 UTC is 00:30 the next day in Taipei.
    moment = datetime(2025, 3, 14, 16, 30, tzinfo=ZoneInfo("UTC"))
    start, end = day_and_month(moment)["today"]
    assert start == taipei(2025, 3, 15) and end - start == timedelta(days=1)


# ---------------------------------------------------------------- spreadsheet cells


@pytest.mark.parametrize(
    "value, cell",
    [
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("@x", "'@x"),
        ("\t=x", "'\t=x"),
        ("\r=x", "'\r=x"),
        ("-1+cmd|' /C calc'!A0", "'-1+cmd|' /C calc'!A0"),
        ("+1", "+1"),  # a number stays a number
        ("-1", "-1"),
        ("-12.50", "-12.50"),
        ("王小明", "王小明"),
        (None, ""),
    ],
)
def test_safe_text(value, cell):
    assert safe_text(value) == cell


def test_every_export_escapes_the_same_way():
    table = Table(
        title="t",
        filename="t",
        header=["a"],
        rows=[["=HYPERLINK(1)"], ["+1"], ["-1"], ["@x"], ["\t=x"], [Decimal("-1")]],
    )
    rows = list(csv.reader(io.StringIO("".join(csv_lines(table)).lstrip("\ufeff"))))
    assert [r[0] for r in rows[1:]] == ["'=HYPERLINK(1)", "+1", "-1", "'@x", "'\t=x", "-1"]
    spool = io.BytesIO()
    write_xlsx(table, spool)
    sheet = load_workbook(io.BytesIO(spool.getvalue())).active
    cells = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert cells == ["'=HYPERLINK(1)", "+1", "-1", "'@x", "'\t=x", -1]


def test_downline_export_escapes_member_names(staff_client, db):
    (user,) = build_tree([None])
    child = build_tree([None])[0]
    ReferralNode.objects.filter(pk=child.pk).update(
        sponsor=user, depth=2, path=ReferralNode.objects.get(pk=user.pk).path + segment(child.pk)
    )
    child.name, child.phone = "+1", "-1"
    child.save()
    response = staff_client.get(f"/staff/analytics/members/{user.pk}/downline/", {"format": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[1][2] == "+1" and rows[1][-1] == "-1"
