"""Demo shipping methods and orders in every status, spread over the last two months."""

import random
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from fenrun.accounts.demo import STAFF_EMAIL
from fenrun.accounts.models import User
from fenrun.catalog.models import Product
from fenrun.orders.deadlines import deadline_for
from fenrun.orders.models import Order, OrderStatusChange, PaymentMethod, ShippingMethod
from fenrun.orders.services import Recipient, change_status, place_order
from fenrun.orders.status import OrderStatus as S

SHIPPING = [
    ("home", "宅配到府（黑貓）", ShippingMethod.Kind.HOME, 150, 1500),
    ("cvs-711", "7-ELEVEN 超商取貨", ShippingMethod.Kind.CVS, 60, 990),
    ("cvs-family", "全家 超商取貨", ShippingMethod.Kind.CVS, 60, 990),
]

# The path each demo order takes through the status machine.
PATHS = [
    [],
    [S.PAID],
    [S.PAID, S.SHIPPED],
    [S.PAID, S.SHIPPED, S.COMPLETED],
    [S.PAID, S.SHIPPED, S.COMPLETED],
    [S.PAID, S.SHIPPED, S.COMPLETED],
    [S.CANCELLED],
    [S.PAID, S.SHIPPED, S.COMPLETED, S.RETURNED, S.REFUNDED],
    [S.PAID, S.REFUNDED],
]
ORDER_COUNT = 90
ADDRESSES = [
    ("臺北市", "大安區", "106", "復興南路一段100號5樓"),
    ("新北市", "板橋區", "220", "文化路二段25號"),
    ("臺中市", "西屯區", "407", "臺灣大道三段99號"),
    ("臺南市", "東區", "701", "大學路1號"),
    ("高雄市", "苓雅區", "802", "四維三路2號"),
    ("嘉義市", "西區", "600", "中山路88號"),
]


# ECPay's published test merchant (developers.ecpay.com.tw, 測試介接資訊) and the LINE Pay
# channel the local stand-in knows (settings.FENRUN_STANDIN_LINEPAY_CHANNELS). Both point at the
# local stand-ins; switching "environment" to the provider's test host is one setting.
DEMO_PROVIDERS = [
    ("ecpay", "3002607", "pwFHCqoQZGmho4w6", "EkRm7iFT261dpevs", ["card", "atm", "cvs", "barcode"]),
    ("linepay", "1657000000", "demo0linepay0channel0secret00000", "", ["linepay"]),
]


def seed_payment_providers(stdout) -> None:
    from fenrun.core import secrets
    from fenrun.orders.models import PaymentProvider

    for code, merchant, key, iv, methods in DEMO_PROVIDERS:
        _row, created = PaymentProvider.objects.get_or_create(
            code=code,
            defaults={
                "is_enabled": True,
                "mode": PaymentProvider.Mode.STANDIN,
                "merchant_id": merchant,
                "key_encrypted": secrets.encrypt(key),
                "iv_encrypted": secrets.encrypt(iv),
                "methods": methods,
                "installments": [3, 6, 12] if code == "ecpay" else [],
            },
        )
        stdout.write(f"payments: {code} {'configured (stand-in)' if created else '(kept)'}")


def seed(stdout) -> None:
    seed_payment_providers(stdout)
    for order, (code, name, kind, fee, free) in enumerate(SHIPPING):
        ShippingMethod.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "kind": kind,
                "fee": Decimal(fee),
                "free_threshold": Decimal(free),
                "sort_order": order,
            },
        )
    if Order.objects.filter(source="demo").exists():
        stdout.write(f"orders: {Order.objects.filter(source='demo').count()} demo orders (kept)")
        return
    rng = random.Random(42)
    # A second stream for the pending orders' times, so the other orders stay as they were.
    pending_rng = random.Random(7)
    staff = User.objects.get(email=STAFF_EMAIL)
    members = list(User.objects.filter(email__startswith="demo-member-").order_by("email"))
    products = list(Product.objects.filter(is_active=True, stock__gt=0))
    methods = list(ShippingMethod.objects.all())
    now = timezone.now()
    for n in range(ORDER_COUNT):
        buyer = members[rng.randrange(len(members))] if members else None
        method = rng.choice(methods)
        county, district, postal, street = rng.choice(ADDRESSES)
        recipient = Recipient(
            name=buyer.name if buyer else "訪客",
            phone=buyer.phone if buyer and buyer.phone else "0911222333",
            email=buyer.email if buyer else "guest@example.com",
            county=county,
            district=district,
            street=street,
            postal_code=postal,
            cvs_store_name="門市 " + district,
            cvs_store_id=f"{rng.randint(100000, 999999)}",
        )
        picks = rng.sample(products, k=rng.randint(1, 3))
        items = [(p.pk, rng.randint(1, 2)) for p in picks if p.stock >= 3]
        if not items:
            continue
        payment = rng.choice([PaymentMethod.ATM, PaymentMethod.COD, PaymentMethod.GATEWAY])
        path = PATHS[n % len(PATHS)]
        if payment == PaymentMethod.COD and path[:2] == [S.PAID, S.SHIPPED]:
            path = path[1:]  # cash on delivery ships first and is paid at the door
        elif payment == PaymentMethod.COD and path[:1] == [S.PAID]:
            payment = PaymentMethod.ATM
        placed = now - timedelta(
            days=rng.randint(0, 60), hours=rng.randint(0, 23), minutes=rng.randint(0, 59)
        )
        if not path and payment != PaymentMethod.COD:
            # Still waiting for payment: placed recently enough that its deadline is ahead, so
            # the demo shows orders to match and, on their dates, orders the job cancels.
            placed = now - (
                timedelta(hours=pending_rng.randint(1, 60))
                if payment == PaymentMethod.ATM
                else timedelta(minutes=pending_rng.randint(5, 40))
            )
        with transaction.atomic():
            order = place_order(
                items=items,
                recipient=recipient,
                shipping_method=method,
                payment_method=payment,
                user=buyer,
                source="demo",
            )
            for target in path:
                change_status(order, target, actor=staff, note="demo")
            Order.objects.filter(pk=order.pk).update(
                placed_at=placed, pay_by=deadline_for(payment, "demo", placed)
            )
            OrderStatusChange.objects.filter(order=order).update(created_at=placed)
            if order.completed_at:
                Order.objects.filter(pk=order.pk).update(completed_at=placed + timedelta(days=4))
        products = list(Product.objects.filter(is_active=True, stock__gt=0))
    stdout.write(
        f"orders: {Order.objects.filter(source='demo').count()} demo orders in every status"
    )
