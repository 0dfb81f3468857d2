"""Wallet reads shared by pages, the API, checkout and reports."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Q, QuerySet, Sum

from fenrun.core.money import ZERO, round_money
from fenrun.core.periods import day_after, day_start
from fenrun.wallet.models import (
    MEMBER_KINDS,
    Account,
    AccountKind,
    Conversion,
    Entry,
    SourceType,
    TransactionKind,
    WalletSettings,
    Withdrawal,
)

K = AccountKind
T = TransactionKind

# The history's "type" filter: what a member thinks of, each a group of transaction kinds.
HISTORY_TYPES: dict[str, tuple[str, ...]] = {
    "bonus": (T.COMMISSION_RELEASE, T.COMMISSION_REVERSAL),
    "conversion": (T.CONVERSION_RESERVE, T.CONVERSION, T.CONVERSION_RELEASE),
    "checkout": (T.CHECKOUT_SPEND, T.CHECKOUT_REFUND),
    "withdrawal": (T.WITHDRAWAL_RESERVE, T.WITHDRAWAL_RELEASE, T.WITHDRAWAL_PAYOUT),
    "adjustment": (T.ADJUSTMENT,),
}
# Reserved coins move with every request; the history shows the member's coin, credit and
# debt lines, and the reserved total is shown beside the balances.
HISTORY_ACCOUNTS = (K.COINS, K.CREDIT, K.DEBT)


@dataclass(frozen=True)
class Balances:
    coins: Decimal
    coins_reserved: Decimal
    credit: Decimal
    debt: Decimal
    pending_coins: Decimal


def pending_coins(user_id: int) -> Decimal:
    """Commission coins still in their hold period (owned by the commissions app)."""
    try:
        from fenrun.commissions.selectors import pending_total
    except ImportError:
        return ZERO
    return Decimal(pending_total(user_id) or 0)


def balances(user) -> Balances:
    rows = dict(
        Account.objects.filter(owner_id=user.pk, kind__in=MEMBER_KINDS).values_list(
            "kind", "balance"
        )
    )
    return Balances(
        coins=rows.get(K.COINS, ZERO),
        coins_reserved=rows.get(K.COINS_RESERVED, ZERO),
        credit=rows.get(K.CREDIT, ZERO),
        debt=-rows.get(K.DEBT, ZERO),
        pending_coins=pending_coins(user.pk),
    )


def credit_balance(user) -> Decimal:
    if user is None or not getattr(user, "is_authenticated", False):
        return ZERO
    value = (
        Account.objects.filter(owner_id=user.pk, kind=K.CREDIT)
        .values_list("balance", flat=True)
        .first()
    )
    return value or ZERO


def usable_credit(user, goods_total, shipping_fee) -> Decimal:
    """How much credit this member may use on an order of these totals (whole NT$)."""
    from fenrun.wallet.services import credit_cap

    balance = round_money(credit_balance(user), mode="down")
    if balance <= 0:
        return ZERO
    cap = credit_cap(goods_total, shipping_fee, WalletSettings.load())
    return max(min(balance, cap), ZERO)


def history(
    user,
    *,
    type: str = "",
    account: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
) -> QuerySet[Entry]:
    """A member's entries, newest first, with their transaction (one query per page)."""
    kinds = (account,) if account in HISTORY_ACCOUNTS else HISTORY_ACCOUNTS
    qs = Entry.objects.filter(account__owner_id=user.pk, account__kind__in=kinds)
    if type in HISTORY_TYPES:
        qs = qs.filter(transaction__kind__in=HISTORY_TYPES[type])
    if date_from:
        qs = qs.filter(created_at__gte=day_start(date_from))
    if date_to:
        qs = qs.filter(created_at__lt=day_after(date_to))
    return qs.select_related("transaction", "account").order_by("-id")


def attach_sources(entries) -> list:
    """Give each entry ``order_number`` (for order and commission sources) in two queries."""
    entries = list(entries)
    order_ids = {
        int(e.transaction.source_id)
        for e in entries
        if e.transaction.source_type == SourceType.ORDER
    }
    commission_ids = {
        int(e.transaction.source_id)
        for e in entries
        if e.transaction.source_type == SourceType.COMMISSION
    }
    commission_orders = _commission_order_ids(commission_ids)
    order_ids |= set(commission_orders.values())
    numbers = {}
    if order_ids:
        from fenrun.orders.models import Order

        numbers = dict(Order.objects.filter(pk__in=order_ids).values_list("pk", "number"))
    for e in entries:
        source_id = int(e.transaction.source_id) if e.transaction.source_id.isdigit() else None
        if e.transaction.source_type == SourceType.ORDER:
            e.order_id = source_id
        elif e.transaction.source_type == SourceType.COMMISSION:
            e.order_id = commission_orders.get(source_id)
        else:
            e.order_id = None
        e.order_number = numbers.get(e.order_id, "")
    return entries


def _commission_order_ids(commission_ids) -> dict[int, int]:
    """commission id → order id, if the commissions app keeps an ``order`` on its rows."""
    if not commission_ids:
        return {}
    from django.apps import apps
    from django.core.exceptions import FieldDoesNotExist

    try:
        model = apps.get_model("commissions", "Commission")
        model._meta.get_field("order")
    except (LookupError, FieldDoesNotExist):
        return {}
    return dict(model.objects.filter(pk__in=commission_ids).values_list("pk", "order_id"))


def conversions_of(user) -> QuerySet[Conversion]:
    return Conversion.objects.filter(member=user).order_by("-created_at", "-id")


def withdrawals_of(user) -> QuerySet[Withdrawal]:
    return Withdrawal.objects.filter(member=user).order_by("-created_at", "-id")


def pending_conversions() -> QuerySet[Conversion]:
    return (
        Conversion.objects.filter(status=Conversion.Status.PENDING)
        .select_related("member")
        .order_by("created_at", "id")
    )


def open_withdrawals() -> QuerySet[Withdrawal]:
    return (
        Withdrawal.objects.filter(status__in=Withdrawal.OPEN)
        .select_related("member")
        .order_by("created_at", "id")
    )


def members_with_balances(search: str = "", limit: int = 50, *, by_contact: bool = True):
    """Members with any wallet account, and their balances by kind, for the staff list.

    ``by_contact=False`` searches names only: whoever may not see e-mail addresses and phone
    numbers must not be able to test one against the list either.
    """
    from django.contrib.auth import get_user_model

    User = get_user_model()
    users = User.objects.filter(wallet_accounts__isnull=False).distinct().order_by("id")
    if search:
        match = Q(name__icontains=search)
        if by_contact:
            match |= Q(email__icontains=search) | Q(phone__icontains=search)
        users = User.objects.filter(match).order_by("id")
    users = list(users[:limit])
    rows: dict[int, dict] = {u.pk: {} for u in users}
    for owner_id, kind, balance in Account.objects.filter(owner_id__in=rows).values_list(
        "owner_id", "kind", "balance"
    ):
        rows[owner_id][kind] = balance
    return [
        (
            u,
            Balances(
                coins=rows[u.pk].get(K.COINS, ZERO),
                coins_reserved=rows[u.pk].get(K.COINS_RESERVED, ZERO),
                credit=rows[u.pk].get(K.CREDIT, ZERO),
                debt=-rows[u.pk].get(K.DEBT, ZERO),
                pending_coins=ZERO,
            ),
        )
        for u in users
    ]


def members_in_debt(limit: int = 50) -> list[tuple]:
    """(member, debt) for every member who owes, largest debt first."""
    accounts = (
        Account.objects.filter(kind=K.DEBT, balance__lt=0)
        .select_related("owner")
        .order_by("balance", "id")[:limit]
    )
    return [(a.owner, -a.balance) for a in accounts]


def shop_totals() -> dict[str, Decimal]:
    """The shop side of the books, summed from its entries."""
    rows = (
        Entry.objects.filter(account__owner__isnull=True)
        .values("account__kind")
        .annotate(total=Sum("amount"))
    )
    return {row["account__kind"]: row["total"] for row in rows}


def ledger_rows(*, date_from: date | None = None, date_to: date | None = None):
    """Every entry, oldest first, for the accounting export; streamed in chunks."""
    qs = Entry.objects.select_related("transaction", "account", "account__owner").order_by("id")
    if date_from:
        qs = qs.filter(created_at__gte=day_start(date_from))
    if date_to:
        qs = qs.filter(created_at__lt=day_after(date_to))
    return qs.iterator(chunk_size=2000)


def checkout_credit(request, quote) -> Decimal:
    """The checkout page's answer to "how much credit may this buyer use on this order?"."""
    return usable_credit(request.user, quote.goods_total - quote.discount_total, quote.shipping_fee)
