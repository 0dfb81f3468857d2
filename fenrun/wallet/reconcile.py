"""Checks that the books are whole; used by ``manage.py reconcile_wallet`` and the tests.

Each check is one or two aggregate queries, so it runs on a shop with millions of entries.
"""

from decimal import Decimal

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Count, F, Q, Sum, Window
from django.db.models.functions import Coalesce

from fenrun.core.money import ZERO
from fenrun.wallet.models import (
    MEMBER_KINDS,
    SPENDABLE_KINDS,
    Account,
    AccountKind,
    Conversion,
    Entry,
    SourceType,
    Transaction,
    TransactionKind,
    Withdrawal,
)

K = AccountKind
T = TransactionKind
DEC = Decimal("0")


def _fmt(value) -> str:
    return f"{Decimal(value):.2f}"


def _money(field: str):
    return Coalesce(Sum(field), DEC, output_field=Account._meta.get_field("balance"))


def check_balances() -> list[str]:
    problems = []
    rows = (
        Account.objects.filter(kind__in=MEMBER_KINDS)
        .annotate(total=_money("entries__amount"))
        .exclude(balance=F("total"))
        .values_list("pk", "owner_id", "kind", "balance", "total")
    )
    for pk, owner_id, kind, balance, total in rows:
        problems.append(
            f"account {pk} (member {owner_id}, {kind}): balance {_fmt(balance)} != sum of entries "
            f"{_fmt(total)}"
        )
    return problems


def check_running_balances() -> list[str]:
    running = (
        Entry.objects.filter(account__kind__in=MEMBER_KINDS)
        .annotate(
            running=Window(Sum("amount"), partition_by=[F("account_id")], order_by=F("id").asc())
        )
        .filter(~Q(balance_after=F("running")))
    )
    return [
        f"entry {pk} (account {account_id}): balance_after {_fmt(after)} != running total "
        f"{_fmt(total)}"
        for pk, account_id, after, total in running.values_list(
            "pk", "account_id", "balance_after", "running"
        )
    ]


def check_transactions() -> list[str]:
    problems = []
    sums = (
        Entry.objects.values("transaction_id")
        .annotate(total=Sum("amount"), legs=Count("id"))
        .filter(~Q(total=0) | Q(legs__lt=2))
    )
    for row in sums:
        problems.append(
            f"transaction {row['transaction_id']}: {row['legs']} legs summing to "
            f"{_fmt(row['total'])}"
        )
    for pk in Transaction.objects.filter(entries__isnull=True).values_list("pk", flat=True):
        problems.append(f"transaction {pk}: no entries")
    total = Entry.objects.aggregate(total=_money("amount"))["total"]
    if total != ZERO:
        problems.append(f"all entries sum to {_fmt(total)}, not 0")
    return problems


def check_signs() -> list[str]:
    rows = Account.objects.filter(
        Q(kind__in=SPENDABLE_KINDS, balance__lt=0) | Q(kind=K.DEBT, balance__gt=0)
    ).values_list("pk", "owner_id", "kind", "balance")
    return [
        f"account {pk} (member {owner_id}, {kind}): balance {_fmt(balance)} has the wrong sign"
        for pk, owner_id, kind, balance in rows
    ]


def check_reservations() -> list[str]:
    """Reserved coins equal the member's pending conversions plus open withdrawals."""
    expected: dict[int, Decimal] = {}
    for member_id, total in (
        Conversion.objects.filter(status=Conversion.Status.PENDING)
        .values("member_id")
        .annotate(total=Sum("coins"))
        .values_list("member_id", "total")
    ):
        expected[member_id] = expected.get(member_id, ZERO) + total
    for member_id, total in (
        Withdrawal.objects.filter(status__in=Withdrawal.OPEN)
        .values("member_id")
        .annotate(total=Sum("amount"))
        .values_list("member_id", "total")
    ):
        expected[member_id] = expected.get(member_id, ZERO) + total
    actual = dict(Account.objects.filter(kind=K.COINS_RESERVED).values_list("owner_id", "balance"))
    return [
        f"member {member_id}: reserved coins {_fmt(actual.get(member_id, ZERO))} != open "
        f"requests {_fmt(expected.get(member_id, ZERO))}"
        for member_id in sorted(set(expected) | set(actual))
        if actual.get(member_id, ZERO) != expected.get(member_id, ZERO)
    ]


def _posted(source_type: str, kind: str) -> set[int]:
    return {
        int(s)
        for s in Transaction.objects.filter(source_type=source_type, kind=kind).values_list(
            "source_id", flat=True
        )
    }


def check_requests() -> list[str]:
    """Every decided conversion and paid withdrawal has its one ledger transaction."""
    problems = []
    converted = _posted(SourceType.CONVERSION, T.CONVERSION)
    for pk in Conversion.objects.filter(status=Conversion.Status.APPROVED).values_list(
        "pk", flat=True
    ):
        if pk not in converted:
            problems.append(f"conversion {pk}: approved without a conversion entry")
    paid = _posted(SourceType.WITHDRAWAL, T.WITHDRAWAL_PAYOUT)
    paid_rows = set(
        Withdrawal.objects.filter(status=Withdrawal.Status.PAID).values_list("pk", flat=True)
    )
    for pk in paid_rows - paid:
        problems.append(f"withdrawal {pk}: paid without a payout entry")
    for pk in paid - paid_rows:
        problems.append(f"withdrawal {pk}: payout entry but the withdrawal is not paid")
    return problems


def check_commissions() -> list[str]:
    """Each commission whose coins were released has exactly one earning entry, and each
    earning entry belongs to a released commission.

    Reads the commissions app's ``Commission`` (``status``, ``released_at``); while that app is
    absent only the wallet side is checked (one earning per commission: a unique key).
    """
    try:
        model = apps.get_model("commissions", "Commission")
        model._meta.get_field("released_at")
    except (LookupError, FieldDoesNotExist):
        return []
    problems = []
    released = set(
        model.objects.filter(Q(status="available") | Q(released_at__isnull=False)).values_list(
            "pk", flat=True
        )
    )
    earned = _posted(SourceType.COMMISSION, T.COMMISSION_RELEASE)
    for pk in sorted(released - earned):
        problems.append(f"commission {pk}: released but has no earning entry")
    for pk in sorted(earned - released):
        problems.append(f"commission {pk}: earning entry but the commission was never released")
    clawed = set(
        model.objects.filter(status="reversed", released_at__isnull=False).values_list(
            "pk", flat=True
        )
    )
    reversed_ = _posted(SourceType.COMMISSION, T.COMMISSION_REVERSAL)
    for pk in sorted(clawed - reversed_):
        problems.append(
            f"commission {pk}: reversed after release but its coins were not taken back"
        )
    for pk in sorted(reversed_ - clawed):
        problems.append(f"commission {pk}: reversal entry but the commission is not reversed")
    return problems


CHECKS = (
    ("balances equal the sum of their entries", check_balances),
    ("balance after each entry", check_running_balances),
    ("transactions sum to zero", check_transactions),
    ("no negative spendable balance", check_signs),
    ("reserved coins match open requests", check_reservations),
    ("requests have their entries", check_requests),
    ("commissions have one earning entry", check_commissions),
)


def run_checks() -> list[tuple[str, list[str]]]:
    return [(name, check()) for name, check in CHECKS]


def problems() -> list[str]:
    return [p for _name, found in run_checks() for p in found]
