#!/usr/bin/env python3
"""Benchmark of the analytics queries on a large synthetic shop (PostgreSQL).

Loads a referral tree grown by preferential attachment (the generator of
benchmarks/tree_representations.py), members who joined over the last year, orders over the
last 90 days and level-1/level-2 commissions on the completed ones, into a fresh database
built by the project's migrations. The orders are bulk-inserted without events, so the sales
roll-ups are then rebuilt (``fenrun.analytics.rollups.rebuild``, timed, with the tables'
sizes). Then times, against the app's own selectors:

* per-level figures (levels 1-20 and deeper: members, new members, orders, sales,
  commissions) of the root, of a member with about 10,000 descendants and of one with about
  100,000 (the largest below 150,000 if none is that close);
* the first chart load of each (the member's node and its first page of direct referrals,
  every figure included);
* leaderboards over the last calendar month and over the last 30 days (downline sales,
  personal sales, new members, commissions);
* one order's payment (``change_status`` to paid) with and without the roll-up upsert: the
  maintenance cost;

and, in the same run and on the same data, a naive recursive query (WITH RECURSIVE over the
sponsor links) computing the same numbers, checking that both agree. Results are written to
docs/benchmarks/analytics.md. A script, not a test.

Usage::

    .venv/bin/python benchmarks/analytics_levels.py --members 100000
    .venv/bin/python benchmarks/analytics_levels.py --members 1000000 --orders 2000000 \\
        --db-url postgres://postgres@127.0.0.1:5432/fenrun_bench_analytics
"""

import argparse
import os
import platform
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT_DIR))
sys.path.insert(0, str(ROOT_DIR / "benchmarks"))

from tree_representations import build_tree, paths, subtree_sizes  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/fenrun_bench_analytics"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--orders", type=int, default=0, help="default: 2 per member")
    parser.add_argument("--db-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=20251126)
    parser.add_argument("--reuse", action="store_true", help="keep the loaded database")
    parser.add_argument("--output", default=str(ROOT_DIR / "docs" / "benchmarks" / "analytics.md"))
    return parser.parse_args(argv)


def setup_django(url: str):
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def recreate_database(url: str):
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def log(message: str):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def load(n_members: int, n_orders: int, seed: int):
    from django.core.management import call_command
    from django.db import connection

    log("migrating")
    call_command("migrate", verbosity=0)
    parents, depths = build_tree(n_members, seed)
    tree_paths = paths(parents)
    with connection.cursor() as cur:
        log(f"members: {n_members:,}")
        # Joined over the last 365 days, in id order (a sponsor always joined first).
        cur.execute(
            """
            INSERT INTO accounts_user (id, password, is_superuser, first_name, last_name,
                is_staff, is_active, date_joined, email, name, phone, is_banned)
            SELECT i, '!', false, '', '', false, true,
                   now() - interval '365 days' + (i::float / %s) * interval '365 days',
                   'bench' || i || '@example.com', '會員' || i, '', false
            FROM generate_series(1, %s) AS i
            """,
            [n_members, n_members],
        )
        cur.execute("SELECT setval(pg_get_serial_sequence('accounts_user', 'id'), %s)", [n_members])
        log("tree nodes")
        with cur.copy(
            "COPY referrals_referralnode (user_id, sponsor_id, depth, path, bound_via, created_at)"
            " FROM STDIN"
        ) as copy:
            for i in range(1, n_members + 1):
                copy.write_row(
                    (i, parents[i] or None, depths[i], tree_paths[i], "import", "2025-01-01")
                )
        log(f"orders: {n_orders:,}")
        cur.execute(
            "INSERT INTO orders_shippingmethod (code, name, kind, fee, is_active, sort_order)"
            " VALUES ('home', 'home', 'home', 100, true, 0) RETURNING id"
        )
        shipping_id = cur.fetchone()[0]
        # Buyers skewed towards older members; statuses mostly sales.
        cur.execute(
            """
            INSERT INTO orders_order (number, user_id, email, status, source, external_ref,
                recipient_name, recipient_phone, county, district, street, postal_code,
                shipping_method_id, cvs_store_name, cvs_store_id, payment_method,
                payment_reference, note, goods_total, discount_total, shipping_fee, credit_used,
                grand_total, placed_at, updated_at)
            SELECT 'B' || lpad(o::text, 12, '0'), u, 'b@example.com',
                   (ARRAY['completed','completed','completed','shipped','paid','pending',
                          'cancelled'])[1 + (o %% 7)],
                   'bench', '', 'x', '0912345678', '', '', '', '', %s, '', '', 'atm', '', '',
                   g, 0, 100, 0, g + 100,
                   now() - (random() * interval '90 days'), now()
            FROM (
                SELECT o, 1 + floor(power(random(), 1.5) * %s)::int AS u,
                       (100 + floor(random() * 3000))::numeric AS g
                FROM generate_series(1, %s) AS o
            ) s
            """,
            [shipping_id, n_members, n_orders],
        )
        log("commissions (levels 1 and 2 of completed orders)")
        cur.execute(
            "INSERT INTO commissions_commissionplan (name, description, is_default, created_at,"
            " updated_at) VALUES ('bench', '', true, now(), now()) RETURNING id"
        )
        plan_id = cur.fetchone()[0]
        cur.execute(
            "INSERT INTO commissions_planversion (plan_id, number, mode, levels, include_shipping,"
            " include_credit, inactive_rule, self_pay, rounding_mode, rounding_places, note,"
            " created_at) VALUES (%s, 1, 'levels', 2, false, false, 'pass_up', false,"
            " 'half_up', 0, '', now()) RETURNING id",
            [plan_id],
        )
        version_id = cur.fetchone()[0]
        cur.execute(
            """
            INSERT INTO orders_orderline (order_id, product_name, product_slug, unit_price,
                quantity, line_total, discount)
            SELECT id, 'p', 'p', goods_total, 1, goods_total, 0 FROM orders_order
            WHERE status = 'completed'
            """
        )
        cur.execute(
            """
            INSERT INTO commissions_ordersettlement (order_id, total, automatic, created_at)
            SELECT id, 0, true, placed_at + interval '3 days' FROM orders_order
            WHERE status = 'completed'
            """
        )
        cur.execute(
            """
            INSERT INTO commissions_commission (order_id, order_line_id, settlement_id,
                plan_version_id, payee_id, level, tree_level, base, rate, exact_amount, amount,
                rule, rule_detail, status, available_at, created_at)
            SELECT o.id, l.id, s.id, %s,
                   CAST(SUBSTR(n.path, (n.depth - lv - 1) * 9 + 1, 9) AS BIGINT), lv,
                   n.depth - lv, o.goods_total, r, o.goods_total * r / 100,
                   round(o.goods_total * r / 100), 'levels', '{}',
                   CASE WHEN o.id %% 11 = 0 THEN 'reversed' ELSE 'available' END,
                   s.created_at + interval '7 days', s.created_at
            FROM orders_order o
            JOIN orders_orderline l ON l.order_id = o.id
            JOIN commissions_ordersettlement s ON s.order_id = o.id
            JOIN referrals_referralnode n ON n.user_id = o.user_id
            CROSS JOIN (VALUES (1, 5), (2, 3)) AS rates(lv, r)
            WHERE n.depth > lv
            """,
            [version_id],
        )
        for table in (
            "accounts_user",
            "referrals_referralnode",
            "orders_order",
            "commissions_commission",
        ):
            # A running shop is vacuumed by autovacuum; without it the visibility map is empty
            # and index-only scans would read the table anyway.
            cur.execute(f"VACUUM (ANALYZE) {table}")
        cur.execute("SELECT count(*) FROM commissions_commission")
        log(f"commissions: {cur.fetchone()[0]:,}")
    return parents, depths


# ---------------------------------------------------------------- naive recursive queries


NAIVE_LEVELS = """
WITH RECURSIVE d(user_id, lvl) AS (
    SELECT user_id, 1 FROM referrals_referralnode WHERE sponsor_id = %(m)s
    UNION ALL
    SELECT n.user_id, d.lvl + 1 FROM referrals_referralnode n JOIN d ON n.sponsor_id = d.user_id
)
SELECT LEAST(d.lvl, 21) AS lvl, COUNT(*) AS members,
       COUNT(*) FILTER (WHERE u.date_joined >= %(start)s AND u.date_joined < %(end)s),
       COALESCE(SUM(o.orders), 0), COALESCE(SUM(o.sales), 0)
FROM d
JOIN accounts_user u ON u.id = d.user_id
LEFT JOIN (
    SELECT user_id, COUNT(*) AS orders, SUM(goods_total - discount_total) AS sales
    FROM orders_order
    WHERE status IN ('paid', 'shipped', 'completed')
      AND placed_at >= %(start)s AND placed_at < %(end)s
    GROUP BY user_id
) o ON o.user_id = d.user_id
GROUP BY 1 ORDER BY 1
"""

NAIVE_COMMISSIONS = """
SELECT LEAST(level, 21), SUM(amount) FROM commissions_commission
WHERE payee_id = %(m)s AND status <> 'reversed'
  AND created_at >= %(start)s AND created_at < %(end)s
GROUP BY 1
"""

NAIVE_SUBTREE = """
WITH RECURSIVE d(user_id) AS (
    SELECT %(m)s::bigint
    UNION ALL
    SELECT n.user_id FROM referrals_referralnode n JOIN d ON n.sponsor_id = d.user_id
)
SELECT COUNT(*) - 1,
       (SELECT COUNT(*) FROM orders_order o JOIN d d2 ON o.user_id = d2.user_id
        WHERE d2.user_id <> %(m)s AND o.status IN ('paid', 'shipped', 'completed')
          AND o.placed_at >= %(start)s AND o.placed_at < %(end)s),
       (SELECT COALESCE(SUM(o.goods_total - o.discount_total), 0) FROM orders_order o
        JOIN d d2 ON o.user_id = d2.user_id
        WHERE d2.user_id <> %(m)s AND o.status IN ('paid', 'shipped', 'completed')
          AND o.placed_at >= %(start)s AND o.placed_at < %(end)s)
FROM d
"""

NAIVE_LEADERBOARD = """
WITH RECURSIVE b AS (
    SELECT user_id, SUM(goods_total - discount_total) AS sales
    FROM orders_order
    WHERE status IN ('paid', 'shipped', 'completed')
      AND placed_at >= %(start)s AND placed_at < %(end)s AND user_id IS NOT NULL
    GROUP BY user_id
), up(ancestor, sales) AS (
    SELECT n.sponsor_id, b.sales FROM b JOIN referrals_referralnode n ON n.user_id = b.user_id
    WHERE n.sponsor_id IS NOT NULL
    UNION ALL
    SELECT n.sponsor_id, up.sales FROM up JOIN referrals_referralnode n ON n.user_id = up.ancestor
    WHERE n.sponsor_id IS NOT NULL
)
SELECT ancestor, SUM(sales) AS total FROM up GROUP BY ancestor ORDER BY total DESC, ancestor
LIMIT 20
"""


def timed(fn, repeats: int):
    fn()  # warm-up: caches and plans, as on a running shop
    samples = []
    result = None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples), result


def run(args):
    from decimal import Decimal

    from django.db import connection

    from fenrun.analytics import rollups, selectors
    from fenrun.analytics.models import Metric
    from fenrun.analytics.periods import DateRange, today
    from fenrun.referrals.models import ReferralNode

    n = args.members
    n_orders = args.orders or 2 * n
    if args.reuse:
        from django.core.management import call_command
        from django.db import connection as c

        call_command("migrate", verbosity=0)
        with c.cursor() as cur:
            cur.execute("SELECT count(*) FROM referrals_referralnode")
            present = cur.fetchone()[0]
            for table in ("accounts_user", "referrals_referralnode", "orders_order"):
                cur.execute(f"VACUUM (ANALYZE) {table}")
        if present != n:
            sys.exit(f"--reuse: the database holds {present:,} members, not {n:,}")
        parents, _depths = build_tree(n, args.seed)
    else:
        recreate_database(args.db_url)
        connection.close()
        t0 = time.perf_counter()
        parents, _depths = load(n, n_orders, args.seed)
        log(f"loaded in {time.perf_counter() - t0:.0f} s")
    log("rebuilding the sales roll-ups")
    start = time.perf_counter()
    rebuilt = rollups.rebuild()
    rebuild_s = time.perf_counter() - start
    log(
        f"rebuilt in {rebuild_s:.0f} s: {rebuilt.day_rows:,} day rows, {rebuilt.month_rows:,} month rows"
    )
    table_sizes = {}
    with connection.cursor() as cur:
        for table in ("analytics_downlinesalesday", "analytics_salesmonth"):
            cur.execute(f"VACUUM (ANALYZE) {table}")
            cur.execute("SELECT count(*), pg_total_relation_size(%s) FROM " + table, [table])
            rows, size = cur.fetchone()
            table_sizes[table] = (rows, size / 1024 / 1024)
    sizes = subtree_sizes(parents)
    mid = min(range(2, n + 1), key=lambda i: abs(sizes[i] - 1 - 10_000))
    below_150k = [i for i in range(2, n + 1) if sizes[i] - 1 < 150_000]
    big = min(below_150k, key=lambda i: abs(sizes[i] - 1 - 100_000))
    month = DateRange(today() - timedelta(days=29), today())
    last_month_end = today().replace(day=1) - timedelta(days=1)
    calendar_month = DateRange(last_month_end.replace(day=1), last_month_end)
    quarter = DateRange(today() - timedelta(days=89), today())
    params = lambda m, p: {"m": m, "start": p.start_at, "end": p.end_before}  # noqa: E731

    def naive_levels(m, period):
        with connection.cursor() as cur:
            cur.execute(NAIVE_LEVELS, params(m, period))
            rows = cur.fetchall()
            cur.execute(NAIVE_COMMISSIONS, params(m, period))
            commissions = dict(cur.fetchall())
        return rows, commissions

    def naive_first_load(m, period):
        node = ReferralNode.objects.get(pk=m)
        children = list(ReferralNode.objects.filter(sponsor_id=m).order_by("pk")[:50])
        out = []
        with connection.cursor() as cur:
            for target in [node, *children]:
                cur.execute(NAIVE_SUBTREE, params(target.pk, period))
                out.append((target.pk, *cur.fetchone()))
        return out

    def naive_leaderboard(period):
        with connection.cursor() as cur:
            cur.execute(NAIVE_LEADERBOARD, params(None, period))
            return cur.fetchall()

    def ours_levels(m, period):
        node = ReferralNode.objects.get(pk=m)
        return selectors.level_figures(m, node, period)

    def ours_first_load(m, period):
        from django.contrib.auth import get_user_model

        member = get_user_model().objects.get(pk=m)
        node = ReferralNode.objects.get(pk=m)
        root = selectors.member_figures(member, node, period)
        page = selectors.children_page(node, period)
        return [root, *page.children]

    def ours_structure_load(m, period):
        from django.contrib.auth import get_user_model

        member = get_user_model().objects.get(pk=m)
        node = ReferralNode.objects.get(pk=m)
        root = selectors.member_figures(member, node, period, with_sales=False)
        page = selectors.children_page(node, period, with_sales=False)
        return [root, *page.children]

    results = []
    big_label = "~100k member" if abs(sizes[big] - 1 - 100_000) <= 20_000 else "largest below 150k"
    members = [("root", 1), ("~10k member", mid), (big_label, big)]
    if big in (1, mid):
        members = members[:2]
    for label, member in members:
        downline = sizes[member] - 1
        log(f"per-level figures: {label} (#{member}, {downline:,} below)")
        ours_ms, ours = timed(lambda m=member: ours_levels(m, quarter), args.repeats)
        naive_ms, (naive_rows, naive_comm) = timed(
            lambda m=member: naive_levels(m, quarter), args.repeats
        )
        expected = {row[0]: row[1:] for row in naive_rows}
        for row in ours.rows:
            key = row.level or 21
            members, new, orders, sales = expected.get(key, (0, 0, 0, Decimal(0)))
            got = (row.members, row.new_members, row.orders, row.sales)
            assert got == (members, new, orders, sales), (label, key, got, expected.get(key))
            assert row.commissions == naive_comm.get(key, Decimal(0)), (label, key)
        results.append(("Per-level figures, 90 days", label, downline, ours_ms, naive_ms))

        log(f"first chart load: {label}")
        ours_ms, ours_nodes = timed(lambda m=member: ours_first_load(m, quarter), args.repeats)
        naive_ms, naive_nodes = timed(lambda m=member: naive_first_load(m, quarter), args.repeats)
        got = [(f.user_id, f.downline, f.downline_orders, f.downline_sales) for f in ours_nodes]
        assert got == [tuple(r) for r in naive_nodes], label
        quick_ms, quick_nodes = timed(
            lambda m=member: ours_structure_load(m, quarter), args.repeats
        )
        assert [(f.user_id, f.downline) for f in quick_nodes] == [
            (r[0], r[1]) for r in naive_nodes
        ], label
        results.append(
            (
                "First chart draw: structure and counts (sales follow)",
                label,
                downline,
                quick_ms,
                None,
            )
        )
        results.append(
            (
                f"First chart load (node + {len(ours_nodes) - 1} children)",
                label,
                downline,
                ours_ms,
                naive_ms,
            )
        )

    for name, period in (("last calendar month", calendar_month), ("30 days", month)):
        log(f"leaderboards: {name}")
        ours_ms, ours = timed(
            lambda p=period: selectors.leaderboard(Metric.DOWNLINE_SALES, p), args.repeats
        )
        naive_ms, naive = timed(lambda p=period: naive_leaderboard(p), args.repeats)
        assert [(r.user_id, r.value) for r in ours] == [(a, s) for a, s in naive]
        results.append(
            (f"Leaderboard: downline sales, {name}", "all members", n - 1, ours_ms, naive_ms)
        )
        for metric in (
            Metric.PERSONAL_SALES,
            Metric.NEW_MEMBERS,
            Metric.COMMISSIONS,
            Metric.DOWNLINE_NEW_MEMBERS,
        ):
            ms, _rows = timed(lambda m=metric, p=period: selectors.leaderboard(m, p), args.repeats)
            results.append((f"Leaderboard: {metric}, {name}", "all members", n - 1, ms, None))

    log("maintenance: one order's payment with and without the roll-up upsert")
    maintenance = time_payments(args.repeats)
    with connection.cursor() as cur:
        cur.execute(
            "SELECT max(depth), count(*) FILTER (WHERE depth = 1) FROM referrals_referralnode"
        )
        max_depth, sources = cur.fetchone()
        cur.execute("SELECT count(*) FROM orders_order")
        orders = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM commissions_commission")
        commissions = cur.fetchone()[0]
        cur.execute("SELECT version()")
        pg_version = cur.fetchone()[0].split(",")[0]
    return {
        "rebuild_s": rebuild_s,
        "table_sizes": table_sizes,
        "maintenance": maintenance,
        "calendar_month": calendar_month,
        "results": results,
        "members": n,
        "orders": orders,
        "commissions": commissions,
        "max_depth": max_depth,
        "sources": sources,
        "mid": mid,
        "pg": pg_version,
    }


def time_payments(repeats: int, sample: int = 40):
    """Median time of ``change_status(order, PAID)`` for pending orders, with every subscriber
    and with the analytics one removed; each payment is rolled back, so both variants pay the
    same orders. Returns (with ms, without ms, mean buyer depth)."""
    from django.db import connection, transaction

    from fenrun.analytics import subscribers
    from fenrun.core import events
    from fenrun.orders.events import OrderStatusChanged
    from fenrun.orders.models import Order
    from fenrun.orders.services import change_status
    from fenrun.orders.status import OrderStatus

    with connection.cursor() as cur:
        cur.execute(
            "SELECT o.id, n.depth FROM orders_order o"
            " JOIN referrals_referralnode n ON n.user_id = o.user_id"
            " WHERE o.status = 'pending' ORDER BY md5(o.id::text) LIMIT %s",
            [sample],
        )
        picked = cur.fetchall()
    orders = list(Order.objects.filter(pk__in=[p[0] for p in picked]))
    mean_depth = sum(p[1] for p in picked) / len(picked)

    def pay_all():
        samples = []
        for order in orders:
            with transaction.atomic():
                start = time.perf_counter()
                change_status(order, OrderStatus.PAID)
                samples.append((time.perf_counter() - start) * 1000)
                transaction.set_rollback(True)
            order.status = OrderStatus.PENDING
        return statistics.median(samples)

    pay_all()  # warm-up
    with_rollups = statistics.median(pay_all() for _ in range(repeats))
    events.unsubscribe(OrderStatusChanged, subscribers.on_order_status_changed)
    try:
        without = statistics.median(pay_all() for _ in range(repeats))
    finally:
        events.subscribe(OrderStatusChanged, subscribers.on_order_status_changed)
    return with_rollups, without, mean_depth, len(orders)


# The hand-written reading of the figures and the previous design's figures follow this line
# in the report; a new run rewrites what is above it only.
KEPT_MARKER = "<!-- Written by hand below this line; benchmarks/analytics_levels.py keeps it. -->"


def write_report(args, data):
    lines = [
        "# Analytics benchmark",
        "",
        "Produced by `benchmarks/analytics_levels.py` (a script, not a test). Command:",
        "",
        "```",
        " ".join(["$ .venv/bin/python benchmarks/analytics_levels.py", *sys.argv[1:]]),
        "```",
        "",
        f"- Data: {data['members']:,} members in a tree grown by preferential attachment "
        f"({data['sources']:,} sources, deepest level {data['max_depth']}), "
        f"{data['orders']:,} orders over 90 days, {data['commissions']:,} commissions.",
        f"- Database: {data['pg']}; machine: {platform.machine()}, {os.cpu_count()} cores "
        "(shared with other work while it ran).",
        f"- Each figure is the median of {args.repeats} runs after one warm-up run. Both "
        "columns compute the same numbers; the script asserts that they agree.",
        "- *Ours*: the app's selectors (`fenrun/analytics/selectors/`): member counts from "
        "range scans of the path-head index, sales from the roll-ups (`DownlineSalesDay`, "
        "`SalesMonth`). *Naive*: WITH RECURSIVE over the sponsor links and the orders (one "
        "recursive query per node for the chart).",
        "",
        "| query | member | downline | ours (ms) | naive (ms) | naive / ours |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for query, who, downline, ours, naive in data["results"]:
        ratio = f"{naive / ours:.1f}×" if naive else "—"
        naive_text = f"{naive:,.0f}" if naive else "—"
        lines.append(f"| {query} | {who} | {downline:,} | {ours:,.0f} | {naive_text} | {ratio} |")
    with_ms, without_ms, depth, count = data["maintenance"]
    lines += [
        "",
        f"Last calendar month: {data['calendar_month']}.",
        "",
        "### The roll-ups",
        "",
        f"- Rebuild from the orders (`manage.py rebuild_sales_rollups`): "
        f"{data['rebuild_s']:,.0f} s.",
    ]
    for table, (rows, mb) in data["table_sizes"].items():
        lines.append(f"- `{table}`: {rows:,} rows, {mb:,.0f} MB with its indexes.")
    lines += [
        f"- One order's payment (`change_status` to paid, median over {count} pending orders,"
        f" buyers {depth:.1f} levels deep on average): {with_ms:.1f} ms with the roll-up"
        f" upsert, {without_ms:.1f} ms without ({with_ms / without_ms:.1f}×).",
        "",
    ]
    output = Path(args.output)
    kept = ""
    if output.exists():
        old = output.read_text(encoding="utf-8")
        if KEPT_MARKER in old:
            kept = old[old.index(KEPT_MARKER) :]
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text("\n".join(lines) + "\n" + kept, encoding="utf-8")
    print("\n".join(lines))


def main(argv=None):
    args = parse_args(argv)
    if not args.db_url.startswith("postgres"):
        sys.exit("This benchmark needs PostgreSQL (--db-url postgres://...).")
    setup_django(args.db_url)
    data = run(args)
    write_report(args, data)


if __name__ == "__main__":
    main()
