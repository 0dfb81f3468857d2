#!/usr/bin/env python3
"""A live stream's spike of viewers, replayed on loopback against the production set-up.

A KOL (the host) shows products on a live stream and posts share links in the chat. This
script builds a small shop in a fresh PostgreSQL database (``fenrun_bench_spike_<pid>``,
migrated by the project's migrations): the host with a referral code and three uplines above
them, a 3-level commission plan, the live campaign, the show's products (one with less stock
than its buyers want) and two shipping methods. It then starts the production processes as
docs/operations.md describes them, each its own subprocess:

* gunicorn with ``config/gunicorn.conf.py`` (sync workers, one per core plus one);
* a Celery worker on both queues (``-Q celery,webhooks --concurrency 2``) and Celery beat, with
  Redis database 12 as broker and cache;

with ``DJANGO_DEBUG=false``, a random secret key, the HTTPS switches off (plain http on
loopback), ``FENRUN_PROXY_COUNT=1`` (each viewer comes with its own ``X-Forwarded-For``, as
nginx would pass it), mail through Django's file-based backend into a temporary folder, and a
webhook endpoint registered to a receiver this script runs on loopback.

The spike (asyncio + httpx, one client and cookie jar per viewer): viewers arrive over
``--ramp`` seconds; each follows the host's share link ``/r/<code>/<product>?c=<campaign>``
(302 with the referral cookie) to the product page and adds the product to the cart (POST
with the CSRF token). ``--buyers`` of them then add the add-on product, open the cart and the
checkout and place the order (ATM transfer or cash on delivery: no gateway). A buyer whose
limited product sold out meanwhile is refused (an expected answer, counted apart), removes it
and orders the rest. The whole load phase has a hard limit (``--load-timeout``).

Then staff work as they would (in this process, through ``orders.services.change_status``):
ATM orders paid, shipped, completed; cash-on-delivery ones shipped, completed. Completion
settles the commissions. The script waits (bounded) for the worker to drain and checks:
every order attributed to the host and the campaign, its commissions for each level of the
plan with the expected amounts, every e-mail sent (counted in the mail folder and matched to
the orders), every webhook delivered (seen by the receiver, signature checked), and no stock
oversold. It prints the figures, writes them to docs/benchmarks/live-spike.md (the notes
written by hand below the marker are kept) and exits non-zero on any error or oversold stock.

Usage (one command; needs PostgreSQL at 127.0.0.1:5432 and Redis at 127.0.0.1:6379)::

    .venv/bin/python benchmarks/live_spike.py
    .venv/bin/python benchmarks/live_spike.py --viewers 300 --buyers 100 --stock 40 --ramp 30

Everything it starts is stopped, its database dropped, Redis database 12 flushed and its
temporary folder removed at the end, also when it fails. A script, not a test.
"""

import argparse
import asyncio
import email.header
import hashlib
import hmac
import json
import os
import platform
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT_DIR))

PG_SERVER = "postgres://postgres@127.0.0.1:5432"
REDIS_URL = "redis://127.0.0.1:6379/12"
PORTS = range(8300, 8400)
OUTPUT = ROOT_DIR / "docs" / "benchmarks" / "live-spike.md"
KEPT_MARKER = "<!-- Written by hand below this line; benchmarks/live_spike.py keeps it. -->"

# The plan: level 1 is the order's referrer (the host, for a guest who came through the link).
RATES = (Decimal(10), Decimal(5), Decimal(3))
NOTIFY_EMAIL = "orders@bench.example"
# LINE's in-app browser on a phone: where a live stream's viewers open links.
USER_AGENT = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 Safari Line/14.9.0"
)
# slug, name, price, stock (None: --stock, the limited one)
LIMITED = ("kol-oolong-gift", "直播限定 冬茶禮盒", Decimal(1288), None)
REGULAR = ("kol-mango-box", "愛文芒果 5台斤", Decimal(990), 1000)
ADDON = ("kol-dried-mango", "芒果乾 150g", Decimal(250), 1000)
# Share of viewers who follow the limited product's link (the rest: the regular product's).
LIMITED_SHARE = 0.6


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--viewers", type=int, default=300)
    parser.add_argument("--buyers", type=int, default=100)
    parser.add_argument("--stock", type=int, default=40, help="stock of the limited product")
    parser.add_argument(
        "--ramp", type=float, default=30.0, help="seconds over which viewers arrive"
    )
    parser.add_argument(
        "--load-timeout", type=float, default=120.0, help="hard limit of the load phase (s)"
    )
    parser.add_argument(
        "--drain-timeout", type=float, default=120.0, help="how long to wait for the worker (s)"
    )
    parser.add_argument("--seed", type=int, default=20261202)
    parser.add_argument("--output", default=str(OUTPUT))
    parser.add_argument("--no-write", action="store_true", help="print only, leave the doc")
    parser.add_argument(
        "--keep-logs", metavar="DIR", help="copy the processes' logs there before cleaning up"
    )
    args = parser.parse_args(argv)
    if not 0 < args.buyers <= args.viewers:
        parser.error("--buyers must be between 1 and --viewers")
    return args


def free_port(taken: set[int]) -> int:
    for port in PORTS:
        if port in taken:
            continue
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        taken.add(port)
        return port
    raise RuntimeError("no free port in 8300-8399")


# ---------------------------------------------------------------- the database


def pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def setup_django(env: dict) -> None:
    os.environ.update(env)
    import django

    django.setup()


@dataclass
class Shop:
    staff_id: int
    chain: list[int]  # host, then uplines nearest first
    code: str
    campaign: str
    products: dict[str, dict]  # slug -> {id, name, price, stock}
    endpoint_secret: str


def seed_shop(args, receiver_url: str) -> Shop:
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from fenrun.catalog.models import Category, Product
    from fenrun.commissions import engine
    from fenrun.commissions import services as commission_services
    from fenrun.commissions.forms import PlanSpec
    from fenrun.orders.models import ShippingMethod
    from fenrun.referrals import services as referral_services
    from fenrun.referrals.models import Campaign, ReferralNode
    from fenrun.webhooks.kinds import EventKind
    from fenrun.webhooks.models import Endpoint

    User = get_user_model()
    staff = User.objects.create_superuser("staff@bench.example", secrets.token_urlsafe(16))
    # The top of the organisation first; the host (the KOL) is the fourth level.
    names = ["源頭 陳董", "上線 林經理", "上線 王組長", "直播主 Amy"]
    members = []
    for n, name in enumerate(names):
        user = User.objects.create(
            email=f"member-{n}@bench.example", name=name, phone=f"09120000{n:02d}", password="!"
        )
        sponsor = members[-1] if members else None
        referral_services.bind_sponsor(
            user,
            sponsor,
            via=ReferralNode.BoundVia.IMPORT if sponsor else ReferralNode.BoundVia.NONE,
        )
        members.append(user)
    host = members[-1]
    code = referral_services.ensure_code(host).code
    now = timezone.now()
    campaign = Campaign.objects.create(
        slug="amy-live-spike",
        title="Amy 直播 冬茶開箱",
        kind=Campaign.Kind.LIVE,
        starts_at=now - timedelta(minutes=10),
        ends_at=now + timedelta(hours=2),
        owner=host,
        created_by=staff,
    )
    commission_services.save_plan(
        spec=PlanSpec(
            name="直播三層獎金",
            description="benchmark",
            is_default=True,
            rules=engine.PlanRules(levels=3, mode=engine.LEVELS, rates=RATES, cap=Decimal(20)),
            legal_acknowledged=True,
        ),
        actor=staff,
    )
    category = Category.objects.create(slug="live", name="直播好物")
    products = {}
    for slug, name, price, stock in (LIMITED, REGULAR, ADDON):
        stock = args.stock if stock is None else stock
        product = Product.objects.create(
            slug=slug, name=name, category=category, price=price, stock=stock, summary=name
        )
        products[slug] = {"id": product.pk, "name": name, "price": price, "stock": stock}
    ShippingMethod.objects.create(
        code="home", name="宅配到府", kind=ShippingMethod.Kind.HOME, fee=150, free_threshold=1500
    )
    ShippingMethod.objects.create(
        code="cvs-711",
        name="7-ELEVEN 超商取貨",
        kind=ShippingMethod.Kind.CVS,
        fee=60,
        free_threshold=990,
        sort_order=1,
    )
    endpoint = Endpoint.objects.create(
        name="bench receiver", url=receiver_url, events=list(EventKind.values)
    )
    return Shop(
        staff_id=staff.pk,
        chain=[m.pk for m in reversed(members)],
        code=code,
        campaign=campaign.slug,
        products=products,
        endpoint_secret=endpoint.secret,
    )


# ---------------------------------------------------------------- the webhook receiver


class Receiver:
    """A loopback endpoint that checks each delivery's signature and remembers its id."""

    def __init__(self, port: int):
        self.port = port
        self.secret = ""
        self.seen: Counter = Counter()
        self.kinds: Counter = Counter()
        self.bad_signatures = 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                fields = dict(
                    part.split("=", 1)
                    for part in self.headers.get("X-Fenrun-Signature", "").split(",")
                    if "=" in part
                )
                expected = hmac.new(
                    receiver.secret.encode(),
                    f"{fields.get('t', '')}.".encode() + body,
                    hashlib.sha256,
                ).hexdigest()
                with receiver.lock:
                    if hmac.compare_digest(expected, fields.get("v1", "")):
                        receiver.seen[self.headers.get("X-Fenrun-Delivery", "")] += 1
                        receiver.kinds[self.headers.get("X-Fenrun-Event", "")] += 1
                    else:
                        receiver.bad_signatures += 1
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/fenrun-hooks"

    def start(self):
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


# ---------------------------------------------------------------- the processes


class Processes:
    def __init__(self, env: dict, logs: Path):
        self.env = env
        self.logs = logs
        self.running: dict[str, subprocess.Popen] = {}

    def start(self, name: str, command: list[str]) -> None:
        out = (self.logs / f"{name}.log").open("w")
        # A session of its own: gunicorn's and the worker's children are stopped with it.
        self.running[name] = subprocess.Popen(
            command,
            cwd=ROOT_DIR,
            env=self.env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def log_text(self, name: str) -> str:
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def check_alive(self) -> None:
        for name, process in self.running.items():
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited ({process.returncode}):\n{self.tail(name)}")

    def cpu_seconds(self) -> dict[str, float]:
        """CPU time used so far by each process group (the process and its children)."""
        tick = os.sysconf("SC_CLK_TCK")
        groups = {process.pid: name for name, process in self.running.items()}
        used = dict.fromkeys(self.running, 0.0)
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            # After the command: state, ppid, pgrp, ..., utime (12th), stime (13th).
            name = groups.get(int(fields[2]))
            if name is not None:
                used[name] += (int(fields[11]) + int(fields[12])) / tick
        return used

    def tail(self, name: str, lines: int = 30) -> str:
        return "\n".join(self.log_text(name).splitlines()[-lines:])

    def stop_all(self) -> None:
        for process in self.running.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        for process in self.running.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


def wait_ready(processes: Processes, base_url: str) -> None:
    import httpx

    deadline = time.monotonic() + 90
    web = worker = False
    while not (web and worker):
        processes.check_alive()
        if time.monotonic() > deadline:
            raise RuntimeError(
                "the shop did not start:\n" + processes.tail("gunicorn") + processes.tail("worker")
            )
        if not web:
            try:
                web = httpx.get(f"{base_url}/healthz", timeout=5).status_code == 200
            except httpx.HTTPError:
                pass
        worker = worker or " ready." in processes.log_text("worker")
        time.sleep(0.5)


def wait_backlog(base_url: str) -> float:
    """Wait until the web server has worked through what abandoned viewers left queued.

    A sync worker finishes a request whose client has gone; one still in the listen queue is
    accepted after the client left. A probe queued behind them all answers once they are done
    (one per worker, so that the last of them is out too). Returns the seconds waited.
    """
    import httpx

    started = time.monotonic()
    for _ in range(3):
        try:
            httpx.get(f"{base_url}/healthz", timeout=120)
        except httpx.HTTPError:
            break
    time.sleep(1.0)
    return time.monotonic() - started


# ---------------------------------------------------------------- the spike

CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
TOKEN_FIELD = re.compile(r'name="token" value="([0-9a-f]+)"')
SHIPPING_FIELD = re.compile(r'name="shipping_method" value="(\d+)" data-kind="(\w+)"')
PLACED_PATH = re.compile(r"^/checkout/placed/(\w+)/$")


@dataclass
class Sample:
    step: str
    status: int  # 0: no answer (timeout, refused connection)
    seconds: float
    started: float


@dataclass
class Load:
    samples: list[Sample] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    refusals: Counter = field(default_factory=Counter)  # expected "sold out" answers
    orders: list[tuple[str, float]] = field(default_factory=list)  # (number, time placed)
    unfinished: int = 0
    seconds: float = 0.0
    limited_wanted: int = 0


# Plain http only; one context for every client, as building one (and loading the CA bundle)
# per viewer costs the load generator ~30 ms of CPU each, in the middle of the ramp.
_TLS = None


def tls_context():
    global _TLS
    if _TLS is None:
        import ssl

        _TLS = ssl.create_default_context()
    return _TLS


class Viewer:
    def __init__(self, n: int, base_url: str, load: Load, rng: random.Random):
        import httpx

        self.n = n
        self.load = load
        self.rng = rng
        self.client = httpx.AsyncClient(
            base_url=base_url,
            timeout=httpx.Timeout(60.0),
            headers={
                "User-Agent": USER_AGENT,
                "Accept-Language": "zh-TW,zh;q=0.9",
                # As nginx passes each phone's address on: the shop's limits and click counts
                # see one client per viewer, not one loopback address for everybody.
                "X-Forwarded-For": f"10.{n // 250}.{n % 250}.{7 + n % 200}",
            },
            limits=httpx.Limits(max_connections=1),
            verify=tls_context(),
        )
        self.origin = base_url

    def error(self, message: str) -> None:
        self.load.errors.append(f"viewer {self.n}: {message}")

    async def request(self, step: str, method: str, url: str, **kwargs):
        import httpx

        started = time.monotonic()
        try:
            response = await self.client.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            self.load.samples.append(Sample(step, 0, time.monotonic() - started, started))
            self.error(f"{step}: {type(exc).__name__} {exc}")
            return None
        self.load.samples.append(
            Sample(step, response.status_code, time.monotonic() - started, started)
        )
        if response.status_code >= 400:
            self.error(f"{step}: {response.status_code} {method} {url}")
            return None
        return response

    async def get(self, step: str, url: str, *, expect: int = 200):
        response = await self.request(step, "GET", url)
        if response is not None and response.status_code != expect:
            self.error(f"{step}: {response.status_code} instead of {expect} for {url}")
            return None
        return response

    async def post(self, step: str, url: str, data: dict, *, referer: str):
        headers = {"Origin": self.origin, "Referer": f"{self.origin}{referer}"}
        return await self.request(step, "POST", url, data=data, headers=headers)

    async def pause(self, low: float, high: float) -> None:
        await asyncio.sleep(self.rng.uniform(low, high))

    async def add_to_cart(self, step: str, page, product: dict) -> str:
        """'added', 'sold_out' (an expected answer) or 'error'."""
        path = f"/p/{product['slug']}/"
        if 'action="/cart/add/"' not in page.text:
            # Sold out already: the page shows no form.
            self.load.refusals["sold out on the product page"] += 1
            return "sold_out"
        csrf = CSRF_FIELD.search(page.text)
        if csrf is None:
            self.error(f"{step}: no CSRF token on {path}")
            return "error"
        await self.pause(0.5, 2.0)
        answer = await self.post(
            step,
            "/cart/add/",
            {
                "csrfmiddlewaretoken": csrf.group(1),
                "product": str(product["id"]),
                "next": path,
                "quantity": "1",
            },
            referer=path,
        )
        if answer is None:
            return "error"
        if answer.status_code != 302 or answer.headers.get("location") != path:
            self.error(f"{step}: {answer.status_code} to {answer.headers.get('location')}")
            return "error"
        back = await self.get(f"{step}: back to the product", path)
        if back is None:
            return "error"
        if f"已將 {product['name']} 加入購物車" in back.text:
            return "added"
        if f"{product['name']} 已售完" in back.text or f"{product['name']} 只剩" in back.text:
            self.load.refusals["sold out when adding to the cart"] += 1
            return "sold_out"
        self.error(f"{step}: no answer about the cart on the product page")
        return "error"

    async def watch(self, shop: Shop, landing: dict, addon: dict, buys: bool) -> None:
        try:
            await self._watch(shop, landing, addon, buys)
        finally:
            await self.client.aclose()

    async def _watch(self, shop: Shop, landing: dict, addon: dict, buys: bool) -> None:
        link = f"/r/{shop.code}/{landing['slug']}?c={shop.campaign}&utm_source=line"
        share = await self.get("share link", link, expect=302)
        if share is None:
            return
        target = f"/p/{landing['slug']}/"
        if share.headers.get("location") != target or "fr_ref" not in self.client.cookies:
            self.error(f"share link: to {share.headers.get('location')}, no referral cookie")
            return
        page = await self.get("product page", target)
        if page is None:
            return
        wants_limited = landing["slug"] == LIMITED[0]
        added = await self.add_to_cart("add to cart", page, landing)
        if added == "error" or not buys:
            return
        has_limited = wants_limited and added == "added"
        if has_limited:
            self.load.limited_wanted += 1
        # Buyers also take the add-on the host mentions, so every order has something in it.
        await self.pause(1.0, 4.0)
        page = await self.get("product page", f"/p/{addon['slug']}/")
        if page is None or await self.add_to_cart("add to cart", page, addon) != "added":
            if page is not None:
                self.error("the add-on could not be added")
            return
        await self.pause(0.5, 2.0)
        if await self.get("cart", "/cart/") is None:
            return
        for attempt in range(2):
            number = await self.checkout(landing if has_limited else None)
            if number != "sold_out":
                return
            if attempt == 0:
                await self.remove(landing)
        self.error("refused twice at checkout")

    async def checkout(self, limited: dict | None) -> str | None:
        """The order's number, 'sold_out' (the limited product ran out) or None (an error)."""
        page = await self.get("checkout page", "/checkout/")
        if page is None:
            return None
        csrf, token = CSRF_FIELD.search(page.text), TOKEN_FIELD.search(page.text)
        methods = SHIPPING_FIELD.findall(page.text)
        if csrf is None or token is None or not methods:
            self.error("checkout page: no CSRF token, form token or shipping method")
            return None
        method, kind = self.rng.choice(methods)
        form = {
            "csrfmiddlewaretoken": csrf.group(1),
            "token": token.group(1),
            "recipient_name": f"觀眾{self.n:03d}",
            "recipient_phone": f"09{self.n + 30000000:08d}",
            "email": f"viewer{self.n:03d}@bench.example",
            "shipping_method": method,
            "payment_method": self.rng.choice(["atm", "cod"]),
            "note": "",
        }
        if kind == "cvs":
            form.update(cvs_store_name="7-ELEVEN 復興門市", cvs_store_id=f"{131000 + self.n}")
        else:
            form.update(
                county="臺北市", district="大安區", postal_code="106", street="復興南路一段1號"
            )
        await self.pause(4.0, 10.0)  # typing the form on a phone
        answer = await self.post("place order", "/checkout/", form, referer="/checkout/")
        if answer is None:
            return None
        if answer.status_code == 200:
            if limited is not None and f"{limited['name']} 只剩" in answer.text:
                self.load.refusals["sold out at checkout"] += 1
                return "sold_out"
            self.error("place order: the form came back without a sold-out answer")
            return None
        match = PLACED_PATH.match(answer.headers.get("location", ""))
        if answer.status_code != 302 or match is None:
            self.error(f"place order: {answer.status_code} to {answer.headers.get('location')}")
            return None
        self.load.orders.append((match.group(1), time.time()))
        await self.get("order placed page", answer.headers["location"])
        return match.group(1)

    async def remove(self, product: dict) -> None:
        page = await self.get("cart", "/cart/")
        csrf = CSRF_FIELD.search(page.text) if page is not None else None
        if csrf is None:
            return
        answer = await self.post(
            "remove from cart",
            "/cart/update/",
            {"csrfmiddlewaretoken": csrf.group(1), "product": str(product["id"]), "remove": "1"},
            referer="/cart/",
        )
        if answer is not None and answer.status_code == 302:
            await self.get("cart", "/cart/")


async def spike(args, shop: Shop, base_url: str) -> Load:
    rng = random.Random(args.seed)
    load = Load()
    products = {slug: {**info, "slug": slug} for slug, info in shop.products.items()}
    buyers = set(rng.sample(range(args.viewers), args.buyers))
    tasks = []
    started = time.monotonic()

    async def arrive(n: int, delay: float):
        await asyncio.sleep(delay)
        landing = products[LIMITED[0] if rng.random() < LIMITED_SHARE else REGULAR[0]]
        viewer = Viewer(n, base_url, load, random.Random(args.seed * 1000 + n))
        await viewer.watch(shop, landing, products[ADDON[0]], n in buyers)

    # Arrivals follow the stream's call to action: most viewers click in the first seconds.
    delays = sorted(args.ramp * rng.random() ** 1.5 for _ in range(args.viewers))
    for n, delay in enumerate(delays):
        tasks.append(asyncio.create_task(arrive(n, delay)))
    done, pending = await asyncio.wait(tasks, timeout=args.load_timeout)
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.wait(pending, timeout=10)
    for task in done:
        if task.exception() is not None:
            load.errors.append(f"viewer crashed: {task.exception()!r}")
    load.unfinished = len(pending)
    if pending:
        load.errors.append(f"{len(pending)} viewers had not finished at the time limit")
    load.seconds = time.monotonic() - started
    return load


# ---------------------------------------------------------------- staff and the worker


def staff_work(shop: Shop) -> tuple[float, int]:
    """Pay, ship and complete every order as staff do; (seconds, status changes)."""
    from django.contrib.auth import get_user_model

    from fenrun.orders.models import Order, PaymentMethod
    from fenrun.orders.services import change_status
    from fenrun.orders.status import OrderStatus as S

    staff = get_user_model().objects.get(pk=shop.staff_id)
    changes = 0
    started = time.monotonic()
    for order in Order.objects.filter(source="web").order_by("pk"):
        path = [S.SHIPPED, S.COMPLETED]
        if order.payment_method == PaymentMethod.ATM:
            path = [S.PAID, *path]
        for target in path:
            change_status(order, target, actor=staff, note="bench")
            changes += 1
    return time.monotonic() - started, changes


def expected_mail_keys(order) -> set[str]:
    """The DoneOnce keys of the mails an order's life here sends (fenrun/orders/notifications)."""
    keys = {
        f"mail:placed:{order.pk}::{order.email}",
        f"mail:staff_new_order:{order.pk}::{NOTIFY_EMAIL}",
    }
    statuses = ["shipped"] + (["paid"] if order.payment_method == "atm" else [])
    return keys | {f"mail:{status}:{order.pk}::{order.email}" for status in statuses}


# The top-level headers of a message as Django writes them (subparts have no Message-ID).
MAIL_HEADERS = re.compile(
    rb"^Subject: (.*?)\nFrom: .*?\nTo: (.*?)\nDate: .*?\nMessage-ID: <([^>]+)>$",
    re.MULTILINE | re.DOTALL,
)


def read_mails(folder: Path) -> list[dict]:
    """Every message the file-based backend wrote, by its Message-ID.

    The backend names a file by the second and the id() of its connection, so two worker
    processes may append to one file at once; the headers are read wherever they are rather
    than by splitting on the backend's separator lines.
    """
    mails = {}
    for path in sorted(folder.glob("*.log")):
        for subject, to, message_id in MAIL_HEADERS.findall(path.read_bytes()):
            subject = str(
                email.header.make_header(
                    email.header.decode_header(subject.decode().replace("\n", ""))
                )
            )
            mails[message_id] = {"subject": subject, "to": to.decode().strip()}
    return list(mails.values())


def queue_lengths() -> dict[str, int]:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    return {name: client.llen(name) for name in ("celery", "webhooks")}


def wait_for_worker(args, mail_dir: Path, receiver: Receiver, processes: Processes) -> dict:
    from fenrun.core.models import DoneOnce
    from fenrun.orders.models import Order
    from fenrun.webhooks.models import Delivery

    orders = list(Order.objects.filter(source="web"))
    expected = set().union(*(expected_mail_keys(o) for o in orders)) if orders else set()
    started = time.monotonic()
    while True:
        processes.check_alive()
        # A mail's key is taken just before it is rendered and sent (fenrun/core/once.py).
        sent = dict(DoneOnce.objects.filter(key__startswith="mail:").values_list("key", "done_at"))
        pending = Delivery.objects.filter(status=Delivery.Status.PENDING).count()
        queues = queue_lengths()
        if expected <= sent.keys() and not pending and not any(queues.values()):
            break
        if time.monotonic() - started > args.drain_timeout:
            break
        time.sleep(0.5)
    time.sleep(1.0)  # the last mail's file is closed after its key is taken
    return {
        "drain_wait": time.monotonic() - started,
        "expected_keys": expected,
        "sent_keys": sent,
        "deliveries_pending": pending,
        "queues": queues,
        "mails": read_mails(mail_dir),
    }


# ---------------------------------------------------------------- the checks


def money(amount: Decimal) -> Decimal:
    return amount.quantize(Decimal(1), rounding=ROUND_HALF_UP)


def check(shop: Shop, load: Load, drained: dict, receiver: Receiver) -> dict:
    from django.db.models import Max, Sum
    from django.utils import timezone

    from fenrun.catalog.models import Product
    from fenrun.commissions.models import Commission, OrderSettlement
    from fenrun.orders.models import Order, OrderLine
    from fenrun.orders.status import OrderStatus
    from fenrun.referrals.models import OrderAttribution
    from fenrun.webhooks.models import Delivery

    problems: list[str] = []
    orders = {o.number: o for o in Order.objects.filter(source="web")}
    placed_numbers = {number for number, _at in load.orders}
    if placed_numbers - set(orders):
        problems.append(f"orders: {len(placed_numbers - set(orders))} answered but not stored")
    # Orders whose viewer gave up at the time limit while the server was still placing them.
    abandoned = len(set(orders) - placed_numbers)

    # Stock: never below zero, never more sold than there was.
    stock = {}
    for slug, info in shop.products.items():
        final = Product.objects.get(pk=info["id"]).stock
        sold = (
            OrderLine.objects.filter(product_id=info["id"])
            .exclude(order__status=OrderStatus.CANCELLED)
            .aggregate(n=Sum("quantity"))["n"]
            or 0
        )
        oversold = max(0, sold - info["stock"]) + max(0, -final)
        if info["stock"] - final != sold:
            oversold = max(oversold, 1)
            problems.append(f"{slug}: stock {info['stock']} → {final} but {sold} sold")
        stock[slug] = {"initial": info["stock"], "final": final, "sold": sold, "oversold": oversold}

    # Attribution and commissions: level k is the k-th member of the host's chain.
    attributions = {
        a.order_id: a for a in OrderAttribution.objects.filter(order__in=orders.values())
    }
    paid: dict[int, dict[int, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    levels: dict[int, dict[int, int]] = defaultdict(dict)
    rows = 0
    for c in Commission.objects.filter(order__in=orders.values()):
        rows += 1
        paid[c.order_id][c.payee_id] += c.amount
        levels[c.order_id][c.payee_id] = c.level
    settled = set(
        OrderSettlement.objects.filter(order__in=orders.values()).values_list("order_id", flat=True)
    )
    commission_total = Decimal(0)
    for order in orders.values():
        attribution = attributions.get(order.pk)
        if attribution is None or attribution.referrer_id != shop.chain[0]:
            problems.append(f"{order.number}: not attributed to the host")
        elif attribution.campaign is None or attribution.campaign.slug != shop.campaign:
            problems.append(f"{order.number}: not attributed to the live campaign")
        if order.status != OrderStatus.COMPLETED or order.pk not in settled:
            problems.append(f"{order.number}: {order.status}, settled: {order.pk in settled}")
            continue
        base = order.goods_total - order.discount_total
        want = {
            payee: money(base * rate / 100)
            for payee, rate in zip(shop.chain[: len(RATES)], RATES, strict=True)
        }
        got = dict(paid[order.pk])
        if got != want:
            problems.append(f"{order.number}: commissions {got}, expected {want}")
        for level, payee in enumerate(shop.chain[: len(RATES)], start=1):
            if levels[order.pk].get(payee) != level:
                problems.append(f"{order.number}: payee {payee} not at level {level}")
        commission_total += sum(got.values(), Decimal(0))

    # Mails: every expected one sent once, matched by order number in the subject.
    mails = drained["mails"]
    sent = drained["sent_keys"]
    missing = drained["expected_keys"] - sent.keys()
    if missing:
        problems.append(f"mails: {len(missing)} not sent, e.g. {sorted(missing)[:3]}")
    by_number = Counter()
    for mail in mails:
        for number in re.findall(r"FR\d{6}\w{5}", mail["subject"]):
            by_number[number] += 1
    for number, order in orders.items():
        want = len(expected_mail_keys(order))
        if by_number[number] != want:
            problems.append(f"{number}: {by_number[number]} mails in the folder, expected {want}")
    if len(mails) != len(drained["expected_keys"]):
        problems.append(f"mails: {len(mails)} in the folder, {len(drained['expected_keys'])} due")

    # Webhooks: every delivery succeeded and the receiver saw each one.
    deliveries = list(Delivery.objects.values_list("event_id", "status", "kind"))
    not_delivered = [d for d in deliveries if d[1] != Delivery.Status.SUCCEEDED]
    unseen = [d for d in deliveries if str(d[0]) not in receiver.seen]
    if not_delivered or unseen or receiver.bad_signatures:
        problems.append(
            f"webhooks: {len(not_delivered)} not delivered, {len(unseen)} not received, "
            f"{receiver.bad_signatures} bad signatures"
        )

    # Worker lag: from an order's placing to the moment the worker took its confirmation mail.
    lags, confirmed = [], []
    for order in orders.values():
        taken = sent.get(f"mail:placed:{order.pk}::{order.email}")
        if taken is not None:
            lags.append((taken - order.placed_at).total_seconds())
            confirmed.append(taken)
    last_placed = max((o.placed_at for o in orders.values()), default=None)
    return {
        "problems": problems,
        "orders": len(orders),
        "abandoned_orders": abandoned,
        "atm": sum(1 for o in orders.values() if o.payment_method == "atm"),
        "stock": stock,
        "oversold": sum(s["oversold"] for s in stock.values()),
        "commission_rows": rows,
        "payee_totals": sum(len(p) for p in paid.values()),
        "commission_total": commission_total,
        "settled": len(settled),
        "mails": len(mails),
        "mails_due": len(drained["expected_keys"]),
        "deliveries": len(deliveries),
        "delivered": len(deliveries) - len(not_delivered),
        "received": sum(receiver.seen.values()),
        "webhook_kinds": dict(receiver.kinds),
        "confirmation_lag": lags,
        "last_order_to_last_confirmation": (
            (max(confirmed) - last_placed).total_seconds() if confirmed else None
        ),
        "last_mail": max(sent.values()).timestamp() if sent else None,
        "last_delivery": (
            Delivery.objects.aggregate(last=Max("delivered_at"))["last"] or timezone.now()
        ).timestamp(),
    }


# ---------------------------------------------------------------- the report


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


STEP_ORDER = [
    "share link",
    "product page",
    "add to cart",
    "add to cart: back to the product",
    "cart",
    "checkout page",
    "place order",
    "order placed page",
    "remove from cart",
]


def server_errors(processes: Processes) -> tuple[int, list[str]]:
    """5xx lines in gunicorn's JSON request log, and the first tracebacks' last lines."""
    count, samples = 0, []
    for line in processes.log_text("gunicorn").splitlines():
        if line.startswith("{"):
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if int(entry.get("status") or 0) >= 500:
                count += 1
            if entry.get("level") == "ERROR" and len(samples) < 5:
                samples.append(f"{entry.get('logger')}: {entry.get('message')}"[:300])
    return count, samples


def server_times(processes: Processes) -> dict[tuple[str, str], list[float]]:
    """Milliseconds spent inside the app per (method, route), from the JSON request log."""
    times = defaultdict(list)
    for line in processes.log_text("gunicorn").splitlines():
        if not line.startswith("{"):
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("logger") == "fenrun.request" and entry.get("route") != "healthz":
            times[(entry.get("method"), entry.get("route"))].append(float(entry["duration_ms"]))
    return times


def report(args, env: dict, load: Load, result: dict, timings: dict, extra: dict) -> str:
    samples = load.samples
    errors = len(load.errors)
    lines = [
        "# Live-stream spike benchmark",
        "",
        f"Generated by `benchmarks/live_spike.py --viewers {args.viewers} --buyers {args.buyers} "
        f"--stock {args.stock} --ramp {args.ramp:g}` on {time.strftime('%Y-%m-%d %H:%M')} "
        f"({platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{extra['pg']}, Redis {extra['redis']}). Load average before the run "
        f"{extra['load_before']}, after the load phase {extra['load_after']}.",
        "",
        f"Set-up: gunicorn `config/gunicorn.conf.py` ({extra['web_workers']} sync workers), "
        "one Celery worker (`-Q celery,webhooks --concurrency 2`) and beat on Redis db 12, "
        "PostgreSQL, `DJANGO_DEBUG=false`; the load generator (asyncio + httpx, one client "
        "per viewer) runs on the same machine.",
        "",
        "## Load phase",
        "",
        f"{args.viewers} viewers arrived over {args.ramp:g} s through the host's share links "
        f"({LIMITED_SHARE:.0%} to the limited product, stock {args.stock}); {args.buyers} of "
        f"them checked out. The phase took **{load.seconds:.1f} s** (limit "
        f"{args.load_timeout:g} s), {len(samples):,} requests, "
        f"**{len(samples) / load.seconds:.1f} requests/s** on average.",
        "",
        "CPU time used during the load phase (of the "
        f"{load.seconds * (os.cpu_count() or 1):.0f} s the machine's cores had in that time): "
        + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in extra["cpu"].items())
        + ".",
        "",
        "| step | requests | p50 (ms) | p95 (ms) | p99 (ms) | max (ms) | non-2xx/3xx |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    by_step = defaultdict(list)
    for s in samples:
        by_step[s.step].append(s)
    for step in [*STEP_ORDER, *sorted(set(by_step) - set(STEP_ORDER))]:
        rows = by_step.get(step)
        if not rows:
            continue
        ms = [s.seconds * 1000 for s in rows]
        bad = sum(1 for s in rows if not 200 <= s.status < 400)
        lines.append(
            f"| {step} | {len(rows):,} | {percentile(ms, 50):,.0f} | {percentile(ms, 95):,.0f} | "
            f"{percentile(ms, 99):,.0f} | {max(ms):,.0f} | {bad} |"
        )
    all_ms = [s.seconds * 1000 for s in samples]
    bad = sum(1 for s in samples if not 200 <= s.status < 400)
    lines.append(
        f"| **all** | {len(samples):,} | {percentile(all_ms, 50):,.0f} | "
        f"{percentile(all_ms, 95):,.0f} | {percentile(all_ms, 99):,.0f} | "
        f"{max(all_ms, default=0):,.0f} | {bad} |"
    )
    lines += [
        "",
        "Time inside the app (the request log's `duration_ms`: from the first middleware to the "
        "response, without the wait in gunicorn's listen queue), per route:",
        "",
        "| route | requests | p50 (ms) | p95 (ms) | p99 (ms) | max (ms) |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for (method, route), ms in sorted(extra["server_times"].items(), key=lambda kv: -len(kv[1])):
        lines.append(
            f"| {method} {route} | {len(ms):,} | {percentile(ms, 50):,.0f} | "
            f"{percentile(ms, 95):,.0f} | {percentile(ms, 99):,.0f} | {max(ms):,.0f} |"
        )
    limited = result["stock"][LIMITED[0]]
    lag = result["confirmation_lag"]
    refusals = ", ".join(f"{n} {what}" for what, n in sorted(load.refusals.items())) or "none"
    lines += [
        "",
        "## Outcome",
        "",
        "| figure | value |",
        "| --- | --- |",
        f"| errors (non-2xx/3xx, no answer, unexpected page, unfinished viewers) | **{errors}** "
        f"(server 5xx in its log: {extra['server_5xx']}; unfinished viewers: {load.unfinished}) |",
        f"| expected refusals (sold out) | {sum(load.refusals.values())}: {refusals} |",
        f"| oversold | **{result['oversold']}** (limited product: stock {limited['initial']}, "
        f"{limited['sold']} sold, {limited['final']} left; {load.limited_wanted} buyers had it "
        "in the cart) |",
        f"| orders placed | {result['orders']} ({result['atm']} ATM, "
        f"{result['orders'] - result['atm']} cash on delivery"
        + (
            f"; {result['abandoned_orders']} placed after their viewer gave up at the limit"
            if result["abandoned_orders"]
            else ""
        )
        + ") |",
        f"| staff: paid / shipped / completed | {timings['staff_changes']} status changes in "
        f"{timings['staff']:.1f} s ({timings['staff'] / max(1, timings['staff_changes']) * 1000:.0f} "
        "ms each, commissions settled on completion) |",
        f"| commissions | {result['commission_rows']} rows (one per order line and level) for "
        f"{result['settled']} settled orders: {result['payee_totals']} payee totals (levels 1–3: "
        f"the host and two uplines), NT${result['commission_total']:,} |",
        f"| e-mails sent by the worker | {result['mails']} of {result['mails_due']} due |",
        f"| webhook deliveries | {result['delivered']} of {result['deliveries']} delivered, "
        f"{result['received']} received |",
        f"| worker lag: order placed → its confirmation mail | p50 "
        f"{percentile(lag, 50):.2f} s, max {max(lag, default=0):.2f} s |",
        f"| worker lag: last order → last confirmation mail | "
        f"{result['last_order_to_last_confirmation'] or 0:.2f} s |",
        f"| worker lag: staff done → last mail | {timings['drain_after_staff']:.2f} s |",
        f"| worker lag: staff done → last webhook delivered | "
        f"{timings['webhooks_after_staff']:.2f} s |",
        "",
        f"Checks: {'all passed' if not result['problems'] and not errors else 'FAILED'}.",
        "",
    ]
    if result["problems"] or load.errors:
        lines += ["Problems found:", ""]
        lines += [f"- {p}" for p in (result["problems"] + load.errors)[:20]]
        lines.append("")
    return "\n".join(lines)


def write_doc(path: Path, text: str) -> None:
    kept = ""
    if path.exists():
        old = path.read_text(encoding="utf-8")
        if KEPT_MARKER in old:
            kept = old[old.index(KEPT_MARKER) :]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + ("\n" + kept if kept else "\n" + KEPT_MARKER + "\n"), encoding="utf-8")


# ---------------------------------------------------------------- main


def load_average() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def run(args, tmp: Path, db_name: str, processes_holder: list) -> int:
    ports: set[int] = set()
    web_port, hook_port = free_port(ports), free_port(ports)
    base_url = f"http://127.0.0.1:{web_port}"
    mail_dir, logs = tmp / "mail", tmp / "logs"
    for folder in (mail_dir, logs, tmp / "media", tmp / "var"):
        folder.mkdir()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": f"{PG_SERVER}/{db_name}",
        "REDIS_URL": REDIS_URL,
        "CELERY_BROKER_URL": REDIS_URL,
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        # Plain http on loopback: no redirect to https, cookies not secure-only, no HSTS.
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_SECURE_COOKIES": "false",
        "DJANGO_SECURE_HSTS_SECONDS": "0",
        "FENRUN_PROXY_COUNT": "1",
        "FENRUN_SITE_URL": base_url,
        "FENRUN_ORDER_NOTIFY_EMAIL": NOTIFY_EMAIL,
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
        "FENRUN_MEDIA_ROOT": str(tmp / "media"),
        "FENRUN_VAR_DIR": str(tmp / "var"),
        "FENRUN_WEBHOOKS_ALLOW_HTTP": "true",
        "FENRUN_LOG_FORMAT": "json",
        "GUNICORN_BIND": f"127.0.0.1:{web_port}",
        "CELERY_TASK_ALWAYS_EAGER": "false",
    }
    env.pop("WEB_CONCURRENCY", None)
    setup_django(env)
    import redis
    from django.core.management import call_command
    from django.db import connection

    redis.Redis.from_url(REDIS_URL).flushdb()
    log(f"migrating {db_name}")
    call_command("migrate", verbosity=0, interactive=False)
    call_command("collectstatic", verbosity=0, interactive=False)
    receiver = Receiver(hook_port)
    shop = seed_shop(args, receiver.url)
    receiver.secret = shop.endpoint_secret
    receiver.start()
    connection.ensure_connection()
    pg_version = f"PostgreSQL {connection.pg_version // 10000}.{connection.pg_version % 10000}"
    redis_version = redis.Redis.from_url(REDIS_URL).info()["redis_version"]
    connection.close()

    processes = Processes(env, logs)
    processes_holder.append((processes, receiver))
    py = sys.executable
    processes.start(
        "gunicorn", [py, "-m", "gunicorn", "-c", "config/gunicorn.conf.py", "config.wsgi"]
    )
    processes.start(
        "worker",
        [
            py,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-Q",
            "celery,webhooks",
            "--concurrency",
            "2",
            "--loglevel",
            "INFO",
            "-n",
            f"bench-spike-{os.getpid()}@%h",
        ],
    )
    processes.start("beat", [py, "-m", "celery", "-A", "config", "beat", "--loglevel", "INFO"])
    log(f"starting the shop on {base_url}")
    wait_ready(processes, base_url)
    web_workers = processes.log_text("gunicorn").count("Booting worker")
    load_before = load_average()
    cpu_before, own_before = processes.cpu_seconds(), time.process_time()

    log(f"spike: {args.viewers} viewers over {args.ramp:g} s, {args.buyers} buyers")
    load = asyncio.run(spike(args, shop, base_url))
    load_after = load_average()
    cpu = {name: used - cpu_before[name] for name, used in processes.cpu_seconds().items()}
    cpu["load generator"] = time.process_time() - own_before
    log(
        f"load phase: {load.seconds:.1f} s, {len(load.samples)} requests, "
        f"{len(load.orders)} orders, {len(load.errors)} errors"
    )
    backlog = wait_backlog(base_url)
    if backlog > 2:
        log(f"the web server finished abandoned requests {backlog:.1f} s after the time limit")
    processes.check_alive()

    staff_seconds, changes = staff_work(shop)
    staff_done = time.time()
    log(f"staff: {changes} status changes in {staff_seconds:.1f} s; waiting for the worker")
    drained = wait_for_worker(args, mail_dir, receiver, processes)
    result = check(shop, load, drained, receiver)
    server_5xx, server_samples = server_errors(processes)
    if server_samples:
        load.errors.extend(f"server log: {s}" for s in server_samples)
    timings = {
        "staff": staff_seconds,
        "staff_changes": changes,
        "drain_after_staff": (result["last_mail"] or staff_done) - staff_done,
        "webhooks_after_staff": result["last_delivery"] - staff_done,
    }
    extra = {
        "pg": pg_version,
        "redis": redis_version,
        "load_before": load_before,
        "load_after": load_after,
        "web_workers": web_workers,
        "server_5xx": server_5xx,
        "cpu": cpu,
        "server_times": server_times(processes),
    }
    text = report(args, env, load, result, timings, extra)
    print()
    print(text)
    if not args.no_write:
        write_doc(Path(args.output), text)
        log(f"written to {args.output}")
    return 1 if load.errors or result["problems"] or result["oversold"] else 0


def main(argv=None) -> int:
    args = parse_args(argv)
    db_name = f"fenrun_bench_spike_{os.getpid()}"
    tmp = Path(tempfile.mkdtemp(prefix="fenrun-spike-"))
    holder: list = []
    try:
        pg_admin(f'CREATE DATABASE "{db_name}"')
        return run(args, tmp, db_name, holder)
    finally:
        for processes, receiver in holder:
            processes.stop_all()
            receiver.stop()
        if args.keep_logs and (tmp / "logs").exists():
            shutil.copytree(tmp / "logs", args.keep_logs, dirs_exist_ok=True)
            log(f"logs kept in {args.keep_logs}")
        try:
            from django.db import connections

            connections.close_all()
        except Exception as exc:  # Django never set up: nothing to close
            log(f"no database connections closed: {exc}")
        pg_admin(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
        try:
            import redis

            redis.Redis.from_url(REDIS_URL).flushdb()
        except Exception as exc:
            log(f"could not flush Redis db 12: {exc}")
        shutil.rmtree(tmp, ignore_errors=True)
        log("cleaned up: processes stopped, database dropped, Redis db 12 flushed")


if __name__ == "__main__":
    sys.exit(main())
