#!/usr/bin/env python3
"""Benchmark of referral-tree representations on SQLite and PostgreSQL.

Builds a synthetic tree by preferential attachment (a member with more referrals is more
likely to bring the next one, as in a viral campaign) and times, for each representation:

* the first 20 uplines of random members (look-ups per second),
* the downline count and the downline count per relative level of the root and of a member
  with about 10,000 descendants.

Representations: ``adjacency`` (sponsor id + naive recursive CTE), ``mpath`` (the app's
materialized path: fixed-width decimal segments, a stored path head with a (head, depth)
index for range scans, uplines sliced from the path), ``closure`` (closure table; only up to --closure-max members, as it
holds members x mean depth rows).

Usage::

    .venv/bin/python benchmarks/tree_representations.py                 # 1,000,000 members
    .venv/bin/python benchmarks/tree_representations.py --members 100000 --db sqlite
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/fenrun .venv/bin/python \\
        benchmarks/tree_representations.py --db both

Writes a table to stdout and to docs/benchmarks/tree.md. Not part of the test suite.
"""

import argparse
import os
import platform
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

W = 9  # digits per path segment, as in fenrun.referrals.tree
HEAD = W * 200
ROOT_SHARE = 0.001  # share of members who joined without a sponsor
UPLINE_SAMPLE = 2000
REPEATS = 5

ROOT_DIR = Path(__file__).resolve().parent.parent


# ---------------------------------------------------------------- the synthetic tree


def build_tree(n: int, seed: int):
    """parents[i] (0 for roots; ids are 1..n), depths[i]; preferential attachment."""
    rng = random.Random(seed)
    parents = [0] * (n + 1)
    depths = [0] * (n + 1)
    urn: list[int] = []  # each member once, plus once per referral they brought
    for i in range(1, n + 1):
        if i == 1 or rng.random() < ROOT_SHARE:
            parents[i], depths[i] = 0, 1
        else:
            p = urn[int(rng.random() * len(urn))]
            parents[i], depths[i] = p, depths[p] + 1
            urn.append(p)
        urn.append(i)
    return parents, depths


def subtree_sizes(parents):
    sizes = [1] * len(parents)
    for i in range(len(parents) - 1, 0, -1):  # children have larger ids than their sponsor
        if parents[i]:
            sizes[parents[i]] += sizes[i]
    return sizes


def paths(parents):
    result = [""] * len(parents)
    for i in range(1, len(parents)):
        result[i] = (result[parents[i]] if parents[i] else "") + f"{i:0{W}d}"
    return result


def closure_rows(parents):
    for i in range(1, len(parents)):
        distance, node = 0, i
        while node:
            yield (node, i, distance)
            node, distance = parents[node], distance + 1


def successor(prefix: str) -> str:
    stripped = prefix.rstrip("9")
    return stripped[:-1] + str(int(stripped[-1]) + 1) + "0" * (len(prefix) - len(stripped))


# ---------------------------------------------------------------- databases


class SQLiteDB:
    name = "SQLite"
    param = "?"

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="fenrun-bench-")
        self.conn = sqlite3.connect(os.path.join(self.dir, "bench.sqlite3"), isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.execute("PRAGMA cache_size=-262144")  # 256 MB, like a small server
        self.version = "SQLite " + sqlite3.sqlite_version
        self.substr = "SUBSTR"
        self.bigint = "INTEGER"

    def execute(self, sql, params=()):
        return self.conn.execute(sql.replace("%s", "?"), params)

    def fetchall(self, sql, params=()):
        return self.execute(sql, params).fetchall()

    def load(self, table, columns, rows):
        placeholders = ",".join("?" * len(columns))
        self.conn.execute("BEGIN")
        self.conn.executemany(
            f"INSERT INTO {table} ({','.join(columns)}) VALUES ({placeholders})", rows
        )
        self.conn.execute("COMMIT")

    def analyze(self, table):
        self.conn.execute(f"ANALYZE {table}")

    def size(self, table):
        try:
            row = self.conn.execute(
                "SELECT SUM(pgsize) FROM dbstat WHERE name = ? OR name IN "
                "(SELECT name FROM sqlite_master WHERE tbl_name = ? AND type = 'index')",
                (table, table),
            ).fetchone()
            return row[0]
        except sqlite3.OperationalError:
            return None

    def close(self):
        self.conn.close()


class PostgresDB:
    name = "PostgreSQL"

    def __init__(self, url):
        import psycopg

        self.conn = psycopg.connect(url, autocommit=True)
        self.version = self.conn.execute("SHOW server_version").fetchone()[0]
        self.version = "PostgreSQL " + self.version.split()[0]
        self.substr = "SUBSTR"
        self.bigint = "BIGINT"

    def execute(self, sql, params=()):
        return self.conn.execute(sql, params)

    def fetchall(self, sql, params=()):
        return self.conn.execute(sql, params).fetchall()

    def load(self, table, columns, rows):
        with (
            self.conn.cursor() as cur,
            cur.copy(f"COPY {table} ({','.join(columns)}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)

    def analyze(self, table):
        self.conn.execute(f"VACUUM ANALYZE {table}")

    def size(self, table):
        return self.conn.execute("SELECT pg_total_relation_size(%s)", (table,)).fetchone()[0]

    def close(self):
        self.conn.close()


# ---------------------------------------------------------------- representations


class Adjacency:
    name = "adjacency list + recursive CTE"
    table = "bench_adj"

    def build(self, db, parents, depths, tree_paths):
        db.execute(f"DROP TABLE IF EXISTS {self.table}")
        db.execute(
            f"CREATE TABLE {self.table} (id {db.bigint} PRIMARY KEY, sponsor_id {db.bigint})"
        )
        db.load(
            self.table,
            ("id", "sponsor_id"),
            ((i, parents[i] or None) for i in range(1, len(parents))),
        )
        db.execute(f"CREATE INDEX bench_adj_sponsor ON {self.table} (sponsor_id)")
        db.analyze(self.table)

    def uplines(self, db, member, limit=20):
        return db.fetchall(
            f"""WITH RECURSIVE up(id, sponsor_id, n) AS (
                  SELECT id, sponsor_id, 0 FROM {self.table} WHERE id = %s
                  UNION ALL
                  SELECT a.id, a.sponsor_id, up.n + 1 FROM {self.table} a JOIN up ON a.id = up.sponsor_id
                  WHERE up.n < %s)
                SELECT id, n FROM up WHERE n > 0 ORDER BY n""",
            (member, limit),
        )

    def count(self, db, member, depth):
        return db.fetchall(
            f"""WITH RECURSIVE d(id) AS (
                  SELECT id FROM {self.table} WHERE sponsor_id = %s
                  UNION ALL
                  SELECT a.id FROM {self.table} a JOIN d ON a.sponsor_id = d.id)
                SELECT COUNT(*) FROM d""",
            (member,),
        )[0][0]

    def per_level(self, db, member, depth):
        return dict(
            db.fetchall(
                f"""WITH RECURSIVE d(id, level) AS (
                      SELECT id, 1 FROM {self.table} WHERE sponsor_id = %s
                      UNION ALL
                      SELECT a.id, d.level + 1 FROM {self.table} a JOIN d ON a.sponsor_id = d.id)
                    SELECT level, COUNT(*) FROM d GROUP BY level ORDER BY level""",
                (member,),
            )
        )


class MaterializedPath:
    name = "materialized path (fenrun)"
    table = "bench_mp"

    def build(self, db, parents, depths, tree_paths):
        db.execute(f"DROP TABLE IF EXISTS {self.table}")
        db.execute(
            f"CREATE TABLE {self.table} (user_id {db.bigint} PRIMARY KEY, sponsor_id {db.bigint}, "
            "depth INTEGER NOT NULL, path TEXT NOT NULL, "
            f"path_head TEXT GENERATED ALWAYS AS (SUBSTR(path, 1, {HEAD})) STORED)"
        )
        if isinstance(db, PostgresDB):
            db.execute(f"ALTER TABLE {self.table} ALTER COLUMN path SET STORAGE EXTERNAL")
        db.load(
            self.table,
            ("user_id", "sponsor_id", "depth", "path"),
            ((i, parents[i] or None, depths[i], tree_paths[i]) for i in range(1, len(parents))),
        )
        db.execute(f"CREATE INDEX bench_mp_head ON {self.table} (path_head, depth)")
        db.execute(f"CREATE INDEX bench_mp_sponsor ON {self.table} (sponsor_id)")
        db.analyze(self.table)
        self.cache = {}

    def _node(self, db, member):
        return db.fetchall(f"SELECT path, depth FROM {self.table} WHERE user_id = %s", (member,))[0]

    def uplines(self, db, member, limit=20):
        # The query of fenrun.referrals.selectors.upline_chain (without the user join).
        return db.fetchall(
            f"""WITH RECURSIVE me(path, depth) AS (
                  SELECT path, depth FROM {self.table} WHERE user_id = %s
                ), lv(d) AS (
                  SELECT depth - 1 FROM me WHERE depth > 1
                  UNION ALL
                  SELECT lv.d - 1 FROM lv, me WHERE lv.d > 1 AND lv.d > me.depth - %s)
                SELECT a.user_id, me.depth - a.depth FROM lv CROSS JOIN me
                JOIN {self.table} a ON a.user_id = CAST(SUBSTR(me.path, (lv.d - 1) * {W} + 1, {W}) AS {db.bigint})
                ORDER BY a.depth DESC""",
            (member, limit),
        )

    def _range(self, path):
        # Paths here are shorter than the head, so the head range is exact (see tree.py).
        return "path_head >= %s AND path_head < %s AND depth > %s", (
            path,
            successor(path),
        )

    def count(self, db, member, depth):
        path, depth = self._node(db, member)
        where, (low, high) = self._range(path)
        return db.fetchall(f"SELECT COUNT(*) FROM {self.table} WHERE {where}", (low, high, depth))[
            0
        ][0]

    def per_level(self, db, member, depth):
        path, depth = self._node(db, member)
        where, (low, high) = self._range(path)
        rows = db.fetchall(
            f"SELECT depth - %s, COUNT(*) FROM {self.table} WHERE {where} GROUP BY depth ORDER BY depth",
            (depth, low, high, depth),
        )
        return dict(rows)


class Closure:
    name = "closure table"
    table = "bench_closure"

    def build(self, db, parents, depths, tree_paths):
        db.execute(f"DROP TABLE IF EXISTS {self.table}")
        db.execute(
            f"CREATE TABLE {self.table} (ancestor {db.bigint} NOT NULL, descendant {db.bigint} NOT NULL, "
            "distance INTEGER NOT NULL, PRIMARY KEY (ancestor, distance, descendant))"
        )
        db.load(self.table, ("ancestor", "descendant", "distance"), closure_rows(parents))
        db.execute(f"CREATE INDEX bench_closure_desc ON {self.table} (descendant, distance)")
        db.analyze(self.table)

    def uplines(self, db, member, limit=20):
        return db.fetchall(
            f"SELECT ancestor, distance FROM {self.table} WHERE descendant = %s "
            "AND distance BETWEEN 1 AND %s ORDER BY distance",
            (member, limit),
        )

    def count(self, db, member, depth):
        return db.fetchall(
            f"SELECT COUNT(*) FROM {self.table} WHERE ancestor = %s AND distance > 0", (member,)
        )[0][0]

    def per_level(self, db, member, depth):
        return dict(
            db.fetchall(
                f"SELECT distance, COUNT(*) FROM {self.table} WHERE ancestor = %s AND distance > 0 "
                "GROUP BY distance ORDER BY distance",
                (member,),
            )
        )


# ---------------------------------------------------------------- the click redirect over HTTP

HTTP_SETUP = """
from fenrun.catalog.models import Category, Product
from fenrun.referrals import services
from django.contrib.auth import get_user_model
user, _ = get_user_model().objects.get_or_create(email="bench@example.com", defaults={"password": "!"})
category, _ = Category.objects.get_or_create(slug="bench", defaults={"name": "Bench"})
for i in range(12):
    Product.objects.get_or_create(slug=f"bench-{i}", defaults={"name": f"Bench {i}", "category": category, "price": 100, "stock": 5})
print(services.ensure_code(user).code)
"""


def http_benchmark(requests_per_path: int, concurrency: int) -> dict:
    """Requests per second of /r/<code> (a click: lookup, insert, cookie, 302) against the
    same server's plain shop page, under a small threaded load generator on loopback."""
    import http.client
    import socket
    import subprocess
    import threading

    workdir = tempfile.mkdtemp(prefix="fenrun-http-")
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{workdir}/http.sqlite3",
        # DEBUG: the shop pages need the static manifest otherwise (collectstatic).
        "DJANGO_DEBUG": "true",
        "LOG_LEVEL": "ERROR",
    }
    python = sys.executable
    manage = str(ROOT_DIR / "manage.py")
    subprocess.run([python, manage, "migrate", "-v", "0"], env=env, check=True)
    code = (
        subprocess.run(
            [python, manage, "shell", "-c", HTTP_SETUP],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [
            python,
            manage,
            "runserver",
            f"127.0.0.1:{port}",
            "--noreload",
            "--nothreading",
            "--skip-checks",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    agent = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148"

    def get(path):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", path, headers={"User-Agent": agent})
        response = conn.getresponse()
        response.read()
        conn.close()
        return response.status

    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                get("/")
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("the test server did not start") from None
                time.sleep(0.5)
        results = {}
        for label, path, expected in (
            ("plain page /", "/", 200),
            (f"/r/{code}", f"/r/{code}", 302),
        ):
            for _ in range(20):  # warm-up
                get(path)
            per_thread = requests_per_path // concurrency
            failures = []

            def worker(path=path, expected=expected, per_thread=per_thread, failures=failures):
                for _ in range(per_thread):
                    if get(path) != expected:
                        failures.append(path)

            threads = [threading.Thread(target=worker) for _ in range(concurrency)]
            start = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.perf_counter() - start
            assert not failures, f"{len(failures)} unexpected answers for {path}"
            results[label] = per_thread * concurrency / elapsed
        return results
    finally:
        server.terminate()
        server.wait(10)


# ---------------------------------------------------------------- measuring


def timed(fn, repeats=REPEATS):
    results, durations = None, []
    for _ in range(repeats):
        start = time.perf_counter()
        results = fn()
        durations.append(time.perf_counter() - start)
    return results, statistics.median(durations)


def measure(db, rep, parents, depths, tree_paths, sample, targets, expected):
    row = {"db": db.version, "representation": rep.name}
    start = time.perf_counter()
    rep.build(db, parents, depths, tree_paths)
    row["build_s"] = time.perf_counter() - start
    row["size"] = db.size(rep.table)
    for member in sample[:50]:  # warm-up, and a correctness check against the Python tree
        got = [r[0] for r in rep.uplines(db, member)]
        want, node = [], parents[member]
        while node and len(want) < 20:
            want.append(node)
            node = parents[node]
        assert got == want, (rep.name, member, got, want)
    start = time.perf_counter()
    for member in sample:
        rep.uplines(db, member)
    row["uplines_per_s"] = len(sample) / (time.perf_counter() - start)
    for label, member in targets.items():
        count, row[f"{label}_count_ms"] = timed(lambda m=member: rep.count(db, m, depths[m]))
        levels, row[f"{label}_levels_ms"] = timed(lambda m=member: rep.per_level(db, m, depths[m]))
        assert count == expected[label], (rep.name, label, count, expected[label])
        assert sum(levels.values()) == count, (rep.name, label)
    return row


def fmt_ms(value):
    return f"{value * 1000:,.1f}"


def fmt_size(value):
    return "—" if value is None else f"{value / 2**20:,.0f} MB"


def report(args, stats, rows, http=None):
    lines = [
        "# Referral tree: representation benchmark",
        "",
        f"Generated by `benchmarks/tree_representations.py --members {args.members}` "
        f"on {time.strftime('%Y-%m-%d')} ({platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}).",
        "",
        f"Synthetic tree: **{args.members:,} members** by preferential attachment "
        f"({stats['roots']:,} sources), max depth **{stats['max_depth']}**, mean depth "
        f"**{stats['mean_depth']:.2f}**. The root has {stats['root_size'] - 1:,} descendants; "
        f"the mid member has {stats['mid_size'] - 1:,} (tree level {stats['mid_depth']}).",
        "",
        "Upline look-ups: the first 20 uplines of "
        f"{args.sample:,} random members, one query each. Counts: median of {REPEATS} runs, "
        "milliseconds; *per level* is the downline count per relative level (GROUP BY).",
        "",
        "| database | representation | build | size | uplines / s | root: count ms | root: per level ms "
        "| mid: count ms | mid: per level ms |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        lines.append(
            f"| {r['db']} | {r['representation']} | {r['build_s']:.0f} s | {fmt_size(r['size'])} "
            f"| {r['uplines_per_s']:,.0f} | {fmt_ms(r['root_count_ms'])} | {fmt_ms(r['root_levels_ms'])} "
            f"| {fmt_ms(r['mid_count_ms'])} | {fmt_ms(r['mid_levels_ms'])} |"
        )
    lines += [
        "",
        "Build = load + indexes + ANALYZE (PostgreSQL loads with COPY, SQLite with executemany).",
        "The closure table is measured only up to "
        f"{args.closure_max:,} members (it holds members × mean depth rows).",
        "",
    ]
    if http:
        plain, click = list(http.values())
        lines += [
            "## Click redirect over HTTP",
            "",
            f"`runserver --nothreading` on SQLite, {args.http_requests:,} requests per path from "
            f"{args.http_concurrency} client threads on loopback (same run, same server):",
            "",
            "| path | requests / s |",
            "| --- | ---: |",
            *[f"| {label} | {rps:,.0f} |" for label, rps in http.items()],
            "",
            f"A share-link click (code lookup, click insert, signed cookie, 302) runs at "
            f"**{click / plain:.2f}×** the rate of the plain shop page.",
            "",
        ]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--pg-url", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument("--sample", type=int, default=UPLINE_SAMPLE)
    parser.add_argument("--closure-max", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=20251126)
    parser.add_argument(
        "--http-requests", type=int, default=2000, help="per path; 0 skips the HTTP benchmark"
    )
    parser.add_argument("--http-concurrency", type=int, default=4)
    parser.add_argument("--output", default=str(ROOT_DIR / "docs" / "benchmarks" / "tree.md"))
    args = parser.parse_args(argv)

    started = time.perf_counter()
    parents, depths = build_tree(args.members, args.seed)
    sizes = subtree_sizes(parents)
    tree_paths = paths(parents)
    roots = [i for i in range(1, len(parents)) if not parents[i]]
    root = max(roots, key=lambda i: sizes[i])
    mid = min(range(1, len(parents)), key=lambda i: abs(sizes[i] - 10_001))
    stats = {
        "roots": len(roots),
        "max_depth": max(depths[1:]),
        "mean_depth": sum(depths[1:]) / args.members,
        "root_size": sizes[root],
        "mid_size": sizes[mid],
        "mid_depth": depths[mid],
    }
    print(
        f"tree of {args.members:,} built in {time.perf_counter() - started:.1f} s: "
        f"max depth {stats['max_depth']}, mean depth {stats['mean_depth']:.2f}",
        flush=True,
    )
    rng = random.Random(args.seed + 1)
    sample = [rng.randint(1, args.members) for _ in range(args.sample)]
    targets = {"root": root, "mid": mid}
    expected = {"root": sizes[root] - 1, "mid": sizes[mid] - 1}

    databases = []
    if args.db in ("sqlite", "both"):
        databases.append(SQLiteDB)
    if args.db in ("postgres", "both"):
        if args.pg_url.startswith("postgres"):
            databases.append(lambda: PostgresDB(args.pg_url))
        else:
            print(
                "PostgreSQL skipped: give --pg-url or DATABASE_URL=postgres://...", file=sys.stderr
            )
    reps = [Adjacency(), MaterializedPath()]
    if args.members <= args.closure_max:
        reps.append(Closure())

    rows = []
    for make_db in databases:
        db = make_db()
        try:
            for rep in reps:
                row = measure(db, rep, parents, depths, tree_paths, sample, targets, expected)
                rows.append(row)
                print(
                    f"{row['db']:<18} {row['representation']:<32} build {row['build_s']:6.1f} s  "
                    f"uplines/s {row['uplines_per_s']:9,.0f}  root count {fmt_ms(row['root_count_ms'])} ms  "
                    f"root levels {fmt_ms(row['root_levels_ms'])} ms  mid count {fmt_ms(row['mid_count_ms'])} ms  "
                    f"mid levels {fmt_ms(row['mid_levels_ms'])} ms",
                    flush=True,
                )
                db.execute(f"DROP TABLE {rep.table}")
        finally:
            db.close()

    http = None
    if args.http_requests:
        http = http_benchmark(args.http_requests, args.http_concurrency)
        print("HTTP:", ", ".join(f"{k} {v:,.0f}/s" for k, v in http.items()), flush=True)
    text = report(args, stats, rows, http)
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    print()
    print(text)
    print(f"written to {output} ({time.perf_counter() - started:.0f} s in all)")


if __name__ == "__main__":
    main()
