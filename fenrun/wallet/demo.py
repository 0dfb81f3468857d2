"""Demo wallet: opening coin balances, conversions, withdrawals, an adjustment and a credit spend.

Every step carries a fixed idempotency key or checks the state first, so running the seed again
writes nothing new. It does not rely on the commissions demo (which may have released coins too).
"""

from decimal import Decimal

from fenrun.accounts.demo import STAFF_EMAIL, member_email
from fenrun.accounts.models import User
from fenrun.wallet import services
from fenrun.wallet.models import AccountKind, Conversion, Withdrawal

OPENING_COINS = {1: 2000, 2: 800, 3: 1500, 5: 600, 6: 450, 7: 300, 8: 250, 9: 180, 10: 120}
BANK = {"bank_code": "812", "account_number": "28881000123456", "account_name": "陳怡君"}


def _member(n: int):
    return User.objects.filter(email=member_email(n)).first()


def seed(stdout) -> None:
    staff = User.objects.filter(email=STAFF_EMAIL).first()
    if staff is None:
        stdout.write("wallet demo skipped: no staff user")
        return
    members = {n: _member(n) for n in range(1, 11)}
    if not all(members.values()):
        stdout.write("wallet demo skipped: demo members missing")
        return

    for n, coins in OPENING_COINS.items():
        services.adjust_balance(
            members[n],
            account_kind=AccountKind.COINS,
            amount=coins,
            reason="開站活動：推薦獎金期初餘額（示範資料）",
            actor=staff,
            idempotency_key=f"demo:opening-coins:{n}",
        )

    converted = services.request_conversion(members[1], 500, idempotency_key="demo:conversion:1")
    if converted.status == Conversion.Status.PENDING:
        services.approve_conversion(converted.pk, actor=staff)
    services.request_conversion(members[2], 300, idempotency_key="demo:conversion:2")
    rejected = services.request_conversion(members[5], 200, idempotency_key="demo:conversion:5")
    if rejected.status == Conversion.Status.PENDING:
        services.reject_conversion(rejected.pk, actor=staff, reason="請於活動期間再申請轉換")

    services.request_withdrawal(members[1], amount=600, idempotency_key="demo:withdrawal:1", **BANK)
    paid = services.request_withdrawal(
        members[3],
        amount=1000,
        idempotency_key="demo:withdrawal:3",
        bank_code="700",
        account_number="0001234567890",
        account_name="黃家豪",
    )
    if paid.status == Withdrawal.Status.PENDING:
        services.approve_withdrawal(paid.pk, actor=staff)
        services.mark_withdrawal_paid(paid.pk, actor=staff, reference="ATM-20261101-0001")

    services.adjust_balance(
        members[4],
        account_kind=AccountKind.CREDIT,
        amount=300,
        reason="會員生日禮：購物金 NT$300",
        actor=staff,
        idempotency_key="demo:birthday-credit:4",
    )
    _order_with_credit(members[4])
    stdout.write("wallet: coins, conversions, withdrawals, an adjustment and a credit spend")


def _order_with_credit(member) -> None:
    """One order paid partly with shopping credit, so the history links to an order."""
    from fenrun.catalog.models import Product
    from fenrun.orders.models import Order, PaymentMethod, ShippingMethod
    from fenrun.orders.services import Recipient, place_order

    if Order.objects.filter(source="demo", external_ref="wallet-credit-1").exists():
        return
    product = Product.objects.filter(is_active=True, stock__gte=1, price__gte=300).first()
    shipping = ShippingMethod.objects.filter(is_active=True, kind=ShippingMethod.Kind.HOME).first()
    if product is None or shipping is None:
        return
    place_order(
        items=[(product.pk, 1)],
        recipient=Recipient(
            name=member.name or "示範會員",
            phone="0912345678",
            email=member.email,
            county="臺北市",
            district="大安區",
            street="復興南路一段100號",
            postal_code="106",
        ),
        shipping_method=shipping,
        payment_method=PaymentMethod.ATM,
        user=member,
        source="demo",
        external_ref="wallet-credit-1",
        credit_to_use=min(Decimal("150"), services.credit_cap(product.price, shipping.fee)),
    )
