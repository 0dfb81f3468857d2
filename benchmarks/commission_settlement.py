#!/usr/bin/env python3
"""Benchmark of commission settlement on SQLite and PostgreSQL.

On a synthetic referral tree (the preferential-attachment generator of
benchmarks/tree_representations.py) every member is active; N completed orders of 1-5 lines,
each bought by a random member who has a sponsor (the order's referrer), follow one 20-level
plan (5%, 3%, then 1% for levels 3-20; pass-up; 7-day hold, so nothing is released).
Orders, lines, attributions and the lines' pinned plan versions are loaded as placement would
leave them; then, per database:

* **settlement**, two ways: ``services.settle_orders`` on batches of ``SETTLE_BATCH`` orders
  (one transaction each: what the ``settle_commissions`` command and the staff page run), and
  ``services.create_commissions_for_order`` once per order for the first ``--per-order``
  orders (one transaction each: the path of an order that completes);
* **floor**: after every chunk, the rows it created are deleted and written again by a bare
  ``bulk_create`` into the same table of the same database (only ``bulk_create`` is timed).
  Settlement and floor alternate chunk by chunk, so both see the same load on a shared machine;

and, once, the **core** alone: ``fenrun.commissions.engine`` (line allocation and
``settle_order``) on the same orders and chains held in memory, no Django, no database.
Both databases must agree with the core on the number of commissions and the total paid.

Usage (one command; PostgreSQL gets its own database, dropped and recreated)::

    .venv/bin/python benchmarks/commission_settlement.py                 # 1,000,000 / 100,000
    .venv/bin/python benchmarks/commission_settlement.py --members 100000 --orders 5000
    .venv/bin/python benchmarks/commission_settlement.py --db postgres \\
        --pg-url postgres://postgres@127.0.0.1:5432/fenrun_bench_commissions   # the default URL

Each database is measured in a child process of its own (Django binds one database per
process), with DJANGO_DEBUG=false as in production (no query log). SQLite uses a fresh file in
a temporary directory, never db.sqlite3.

Writes a table to stdout and to docs/benchmarks/commissions.md. Not part of the test suite.
"""

import argparse
import json
import os
import platform
import random
import secrets
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT_DIR))
sys.path.insert(0, str(ROOT_DIR / "benchmarks"))

from tree_representations import build_tree, paths  # noqa: E402

DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/fenrun_bench_commissions"
LEVELS = 20
RATES = tuple([Decimal(5), Decimal(3)] + [Decimal(1)] * (LEVELS - 2))
CHAIN_READ = 40  # what the app reads for a pass-up plan (selectors.CHAIN_DEPTH_PASS_UP)
SHIPPING_FEE = Decimal(60)
LOAD_CHUNK = 5_000  # orders per bulk_create while loading
SINGLE_CHUNK = 100  # orders settled one by one between two floor measurements
FLOOR_BATCH = 1_000  # rows per INSERT statement in the floor
SETTLE_BATCH = 500  # orders per settle_orders call (one transaction)


def log(message: str):
    print(f"[{time.strftime('%H:%M:%S', time.gmtime())}] {message}", flush=True)


# ---------------------------------------------------------------- the synthetic shop


def make_orders(parents, n_orders: int, seed: int):
    """[(buyer id, [(unit price, quantity), ...]), ...]; buyers have a sponsor."""
    rng = random.Random(seed + 2)
    n = len(parents) - 1
    orders = []
    for _ in range(n_orders):
        buyer = rng.randint(1, n)
        while not parents[buyer]:
            buyer = rng.randint(1, n)
        lines = [
            (Decimal(rng.randrange(100, 3000, 10)), rng.randint(1, 3))
            for _ in range(rng.randint(1, 5))
        ]
        orders.append((buyer, lines))
    return orders


# ---------------------------------------------------------------- the core alone


def run_core(parents, depths, orders):
    from fenrun.commissions import engine

    plan = engine.PlanRules(levels=LEVELS, rates=RATES, version_id=1)
    prepared = []
    line_id = 0
    for buyer, lines in orders:
        referrer = parents[buyer]
        chain, node, level = [], referrer, 1
        while node and level <= CHAIN_READ:
            chain.append(engine.ChainMember(node, level, depths[node]))
            node, level = parents[node], level + 1
        rows = []
        for price, quantity in lines:
            line_id += 1
            rows.append((line_id, price * quantity, Decimal(0), None, None))
        prepared.append((rows, chain))

    def once():
        rows_out, total = 0, Decimal(0)
        for rows, chain in prepared:
            inputs = engine.order_line_inputs(rows, shipping_fee=SHIPPING_FEE)
            result = engine.settle_order([(line, plan) for line in inputs], chain)
            paid = [p.amount for p in result.payouts if p.amount > 0]
            rows_out += len(paid)
            total += sum(paid, Decimal(0))
        return rows_out, total

    once()  # warm-up
    start = time.perf_counter()
    rows_out, total = once()
    elapsed = time.perf_counter() - start
    return {"seconds": elapsed, "rows": rows_out, "total": str(total)}


# ---------------------------------------------------------------- one database (child process)


def setup_django(url: str):
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def recreate_postgres(url: str):
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def load_rows(table, columns, rows):
    from django.db import connection

    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            with cur.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            placeholders = ", ".join(["%s"] * len(columns))
            cur.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})", rows
            )


def analyze(tables):
    from django.db import connection

    with connection.cursor() as cur:
        for table in tables:
            cur.execute(
                f"VACUUM (ANALYZE) {table}" if connection.vendor == "postgresql" else "ANALYZE"
            )


def load_shop(parents, depths, orders):
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from fenrun.commissions.models import (
        CommissionPlan,
        CommissionSettings,
        OrderLinePlan,
        PlanRate,
        PlanVersion,
    )
    from fenrun.orders.models import Order, OrderLine, ShippingMethod
    from fenrun.referrals.models import OrderAttribution

    log("migrating")
    call_command("migrate", verbosity=0)
    n = len(parents) - 1
    joined = "2025-01-01 00:00:00+00:00"
    log(f"members and tree nodes: {n:,}")
    with transaction.atomic():
        load_rows(
            "accounts_user",
            (
                "id",
                "password",
                "is_superuser",
                "first_name",
                "last_name",
                "is_staff",
                "is_active",
                "date_joined",
                "email",
                "name",
                "phone",
                "is_banned",
            ),
            (
                (i, "!", False, "", "", False, True, joined, f"m{i}@example.com", "", "", False)
                for i in range(1, n + 1)
            ),
        )
        tree_paths = paths(parents)
        load_rows(
            "referrals_referralnode",
            ("user_id", "sponsor_id", "depth", "path", "bound_via", "bound_at", "created_at"),
            (
                (i, parents[i] or None, depths[i], tree_paths[i], "import", joined, joined)
                for i in range(1, n + 1)
            ),
        )
        del tree_paths
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("SELECT setval(pg_get_serial_sequence('accounts_user', 'id'), %s)", [n])

    now = timezone.now()
    with transaction.atomic():
        settings = CommissionSettings.load()
        settings.automatic, settings.hold_days = True, 7
        settings.save()
        plan = CommissionPlan.objects.create(name="Benchmark 20 levels", is_default=True)
        version = PlanVersion.objects.create(
            plan=plan, number=1, levels=LEVELS, legal_acknowledged_at=now
        )
        PlanRate.objects.bulk_create(
            PlanRate(version=version, row=0, level=k, rate=r) for k, r in enumerate(RATES, 1)
        )
        shipping = ShippingMethod.objects.create(
            code="bench", name="Bench", kind="home", fee=SHIPPING_FEE
        )

    log(f"orders: {len(orders):,} (completed, lines' plans pinned as at placement)")
    order_ids = []
    for start in range(0, len(orders), LOAD_CHUNK):
        chunk = orders[start : start + LOAD_CHUNK]
        with transaction.atomic():
            objs = []
            for k, (buyer, lines) in enumerate(chunk, start):
                goods = sum((p * q for p, q in lines), Decimal(0))
                objs.append(
                    Order(
                        number=f"B{k:012d}",
                        user_id=buyer,
                        email=f"m{buyer}@example.com",
                        status="completed",
                        source="bench",
                        recipient_name="x",
                        recipient_phone="0912345678",
                        shipping_method=shipping,
                        payment_method="atm",
                        goods_total=goods,
                        shipping_fee=SHIPPING_FEE,
                        grand_total=goods + SHIPPING_FEE,
                        paid_at=now,
                        completed_at=now,
                    )
                )
            objs = Order.objects.bulk_create(objs)
            order_ids += [o.pk for o in objs]
            lines = OrderLine.objects.bulk_create(
                OrderLine(
                    order_id=o.pk,
                    product_name="p",
                    unit_price=p,
                    quantity=q,
                    line_total=p * q,
                )
                for o, (_buyer, ls) in zip(objs, chunk, strict=True)
                for p, q in ls
            )
            OrderAttribution.objects.bulk_create(
                OrderAttribution(order_id=o.pk, referrer_id=parents[buyer])
                for o, (buyer, _ls) in zip(objs, chunk, strict=True)
            )
            OrderLinePlan.objects.bulk_create(
                OrderLinePlan(order_line_id=line.pk, plan_version=version, source="default")
                for line in lines
            )
    analyze(
        (
            "accounts_user",
            "referrals_referralnode",
            "orders_order",
            "orders_orderline",
            "referrals_orderattribution",
            "commissions_orderlineplan",
        )
    )
    return order_ids


def floor_insert(order_ids) -> tuple[float, int]:
    """Delete the commissions of ``order_ids`` and bulk_create them again; only the insert is
    timed: (seconds, rows)."""
    from django.db import transaction

    from fenrun.commissions.models import Commission

    fields = [f.attname for f in Commission._meta.concrete_fields if f.attname != "id"]
    chunk = Commission.objects.filter(order_id__in=order_ids)
    objs = [Commission(**values) for values in chunk.order_by("id").values(*fields)]
    chunk.delete()
    with transaction.atomic():
        begin = time.perf_counter()
        Commission.objects.bulk_create(objs, batch_size=FLOOR_BATCH)
        seconds = time.perf_counter() - begin
    return seconds, len(objs)


def run_settlement(order_ids, per_order: int):
    """Settle the first ``per_order`` orders one transaction each (the path an order takes when
    it completes), the rest in batches of SETTLE_BATCH (``services.settle_orders``, what the
    ``settle_commissions`` command and the back office's bulk action run).

    After every chunk the floor re-inserts the rows that chunk created: settlement and floor
    run side by side, minutes apart at most, so a shared machine's changing load weighs on both
    alike and their ratio stays meaningful.
    """
    from django.db.models import Sum

    from fenrun.commissions import services
    from fenrun.commissions.models import Commission

    single, batched = order_ids[:per_order], order_ids[per_order:]
    result = {}
    for kind, ids, chunk_size in (
        ("single", single, SINGLE_CHUNK),
        ("batch", batched, SETTLE_BATCH),
    ):
        log(f"{kind}: settling {len(ids):,} orders, floor after each {chunk_size:,}")
        settle_s = floor_s = 0.0
        rows = 0
        for k in range(0, len(ids), chunk_size):
            chunk = ids[k : k + chunk_size]
            start = time.perf_counter()
            if kind == "single":
                for order_id in chunk:
                    if not services.create_commissions_for_order(order_id).created:
                        raise RuntimeError(f"order {order_id} was settled already")
            elif len(services.settle_orders(chunk).created) != len(chunk):
                raise RuntimeError("a batch did not settle every order")
            settle_s += time.perf_counter() - start
            seconds, written = floor_insert(chunk)
            floor_s += seconds
            rows += written
        result[kind] = {
            "orders": len(ids),
            "seconds": settle_s,
            "floor_seconds": floor_s,
            "rows": rows,
        }
        if ids:
            log(
                f"{kind}: {len(ids) / settle_s:,.1f} orders/s; floor {len(ids) / floor_s:,.1f} "
                f"orders/s ({rows / floor_s:,.0f} rows/s); ratio {floor_s / settle_s:.2f}"
            )
    result["rows"] = Commission.objects.count()
    result["total"] = str(Commission.objects.aggregate(s=Sum("amount"))["s"] or Decimal(0))
    if result["rows"] != result["single"]["rows"] + result["batch"]["rows"]:
        raise RuntimeError("the floor did not write back every row")
    return result


def worker(args):
    from django.db import connection

    if args.db == "postgres":
        recreate_postgres(args.pg_url)
        url = args.pg_url
    else:
        url = f"sqlite:///{tempfile.mkdtemp(prefix='fenrun-bench-')}/bench.sqlite3"
    setup_django(url)
    parents, depths = build_tree(args.members, args.seed)
    orders = make_orders(parents, args.orders, args.seed)
    started = time.perf_counter()
    order_ids = load_shop(parents, depths, orders)
    load_s = time.perf_counter() - started
    settle = run_settlement(order_ids, min(args.per_order, len(order_ids)))
    if connection.vendor == "postgresql":
        version = (
            "PostgreSQL "
            + connection.cursor().connection.info.parameter_status("server_version").split()[0]
        )
    else:
        import sqlite3

        version = "SQLite " + sqlite3.sqlite_version
    result = {
        "db": version,
        "orders": len(order_ids),
        "lines": sum(len(lines) for _b, lines in orders),
        "load_s": load_s,
        "settle": settle,
    }
    Path(args.result).write_text(json.dumps(result), encoding="utf-8")


# ---------------------------------------------------------------- report (parent process)


def report(args, stats, core, results):
    n = args.orders
    full = args.members >= 1_000_000 and args.orders >= 100_000
    lines = [
        "# Commission settlement benchmark",
        "",
        f"Generated by `benchmarks/commission_settlement.py --members {args.members} "
        f"--orders {args.orders}` on {time.strftime('%Y-%m-%d')} ({platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}).",
        "",
    ]
    if not full:
        lines += [
            f"**This is a reduced run** ({args.members:,} members, {args.orders:,} orders). "
            "The issue's full size (1,000,000 members, 100,000 orders) was not run; it is the "
            "script's default: `.venv/bin/python benchmarks/commission_settlement.py`.",
            "",
        ]
    lines += [
        f"Synthetic tree: {args.members:,} members by preferential attachment, max depth "
        f"{stats['max_depth']}, mean depth {stats['mean_depth']:.2f}. {n:,} completed orders, "
        f"{stats['lines']:,} lines (1-5 per order), each bought by a random member with a "
        f"sponsor. One 20-level plan (5%, 3%, then 1%), pass-up, 7-day hold; every member "
        f"active. {core['rows']:,} commission rows, NT${Decimal(core['total']):,} in all "
        "(both databases agree with the core).",
        "",
        "* **batch settlement**: `services.settle_orders` on "
        f"{SETTLE_BATCH:,} orders per call, one transaction each: what the "
        "`settle_commissions` command and the back office's bulk action run.",
        "* **one by one**: `services.create_commissions_for_order` once per order, serially, "
        "one transaction each: what runs when a single order completes (there the transaction "
        f"is the completion's own). Measured on the first {args.per_order:,} orders; the "
        "batches settle the rest.",
        "* **floor**: a bare `Commission.objects.bulk_create` of the same rows into the same "
        f"table ({FLOOR_BATCH:,} rows per INSERT, one transaction per chunk), expressed as "
        "orders per second (orders ÷ time to insert their rows). Settlement and floor "
        f"alternate: after every chunk ({SETTLE_BATCH:,} orders in batches, {SINGLE_CHUNK:,} "
        "one by one) the rows it created are deleted and bulk-inserted again, timed; so both "
        "see the same load on a shared machine.",
        "* **ratio** = settlement ÷ floor on the same orders; the issue's goal is ≥ 1/3 (0.33).",
        "",
        "| database | path | settlement orders/s | floor orders/s (rows/s) | ratio | "
        "settlement time | floor time |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    names = {"batch": f"batches of {SETTLE_BATCH:,}", "single": "one by one"}
    for r in results:
        for kind in ("batch", "single"):
            part = r["settle"][kind]
            if not part["orders"]:
                continue
            settle_rate = part["orders"] / part["seconds"]
            floor_rate = part["orders"] / part["floor_seconds"]
            floor_rows = part["rows"] / part["floor_seconds"]
            lines.append(
                f"| {r['db']} | {names[kind]} | {settle_rate:,.0f} | {floor_rate:,.0f} "
                f"({floor_rows:,.0f}) | {settle_rate / floor_rate:.2f} | "
                f"{part['seconds']:,.1f} s | {part['floor_seconds']:,.1f} s |"
            )
    lines += [
        "",
        f"Core alone (`fenrun.commissions.engine`: line allocation + `settle_order`, chains in "
        f"memory, no database): **{n / core['seconds']:,.0f} orders/s** "
        f"({core['seconds']:,.1f} s for {n:,} orders).",
        "",
    ]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_PG_URL),
        help="a database of its own: it is dropped and recreated",
    )
    parser.add_argument(
        "--per-order",
        type=int,
        default=5_000,
        help="how many orders are settled one transaction each (the rest in batches)",
    )
    parser.add_argument("--seed", type=int, default=20251126)
    parser.add_argument(
        "--output", default=str(ROOT_DIR / "docs" / "benchmarks" / "commissions.md")
    )
    parser.add_argument("--result", help=argparse.SUPPRESS)  # internal: one database per process
    args = parser.parse_args(argv)
    if args.result:
        worker(args)
        return

    started = time.perf_counter()
    parents, depths = build_tree(args.members, args.seed)
    orders = make_orders(parents, args.orders, args.seed)
    stats = {
        "max_depth": max(depths[1:]),
        "mean_depth": sum(depths[1:]) / args.members,
        "lines": sum(len(lines) for _b, lines in orders),
    }
    log(f"tree of {args.members:,}: max depth {stats['max_depth']}; core on {args.orders:,} orders")
    core = run_core(parents, depths, orders)
    log(f"core: {args.orders / core['seconds']:,.0f} orders/s, {core['rows']:,} rows")
    del parents, depths, orders

    # Django binds one database per process: each database is measured by a child process.
    results = []
    for db in ("sqlite", "postgres") if args.db == "both" else (args.db,):
        with tempfile.NamedTemporaryFile(suffix=".json") as out:
            command = [
                sys.executable,
                __file__,
                f"--members={args.members}",
                f"--orders={args.orders}",
                f"--db={db}",
                f"--pg-url={args.pg_url}",
                f"--seed={args.seed}",
                f"--per-order={args.per_order}",
                f"--result={out.name}",
            ]
            subprocess.run(
                command,
                check=True,
                env={
                    **os.environ,
                    "LOG_LEVEL": "ERROR",
                    "DJANGO_DEBUG": "false",
                    # Production settings refuse to start on the development key.
                    "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY")
                    or secrets.token_urlsafe(50),
                },
            )
            result = json.loads(Path(out.name).read_text(encoding="utf-8"))
        settled = (result["settle"]["rows"], Decimal(result["settle"]["total"]))
        if settled != (core["rows"], Decimal(core["total"])):
            raise RuntimeError(f"{result['db']} disagrees with the core: {result['settle']}")
        results.append(result)

    text = report(args, stats, core, results)
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    print()
    print(text)
    print(f"written to {output} ({time.perf_counter() - started:.0f} s in all)")


if __name__ == "__main__":
    main()
