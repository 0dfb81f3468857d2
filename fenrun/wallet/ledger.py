"""The ledger core: the only code that writes entries and member balances.

``post`` takes the legs of one transaction, checks they sum to zero, locks the member accounts
involved (in id order, so two transactions touching the same accounts cannot deadlock), refuses
any leg that would take a spendable balance below zero, and writes the transaction, its entries
with their balance after, and the new balances, all in the caller's database transaction.
"""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from http import HTTPStatus

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from fenrun.core.errors import DomainError
from fenrun.core.money import ZERO, round_money
from fenrun.wallet.models import (
    MEMBER_KINDS,
    SHOP_KINDS,
    SPENDABLE_KINDS,
    Account,
    AccountKind,
    Entry,
    Transaction,
)


class LedgerError(DomainError):
    """The ledger refused to post; nothing was written.

    Most of these mean a caller built a wrong transaction. They still travel as a DomainError
    so that an API answers with a JSON refusal rather than a server error.
    """

    code = "ledger_refused"
    status = HTTPStatus.CONFLICT


class Unbalanced(LedgerError):
    code = "ledger_unbalanced"


class InsufficientFunds(LedgerError):
    """A leg would take a spendable balance below zero (e.g. two spends raced)."""

    code = "insufficient_funds"

    def __init__(self, account: Account, needed: Decimal):
        self.account = account
        self.needed = needed
        super().__init__(
            _("Not enough %(account)s: %(balance)s available, %(needed)s needed.")
            % {
                "account": account.get_kind_display(),
                "balance": account.balance,
                "needed": needed,
            }
        )


@dataclass(frozen=True)
class Leg:
    account: Account
    amount: Decimal


def _cents(amount) -> Decimal:
    value = Decimal(amount)
    rounded = round_money(value, places=2)
    if rounded != value:
        raise LedgerError(f"ledger amounts have at most two decimals, got {amount}")
    return rounded


def shop_account(kind: str) -> Account:
    if kind not in SHOP_KINDS:
        raise LedgerError(f"{kind} is not a shop account")
    account = Account.objects.filter(owner__isnull=True, kind=kind).first()
    if account is None:
        account = _create_once(owner_id=None, kind=kind)
    return account


def member_account(user_id: int, kind: str) -> Account:
    if kind not in MEMBER_KINDS:
        raise LedgerError(f"{kind} is not a member account")
    account = Account.objects.filter(owner_id=user_id, kind=kind).first()
    if account is None:
        account = _create_once(owner_id=user_id, kind=kind)
    return account


def _create_once(*, owner_id, kind) -> Account:
    # Two first movements of a new member may race to open the account: the unique constraint
    # lets one insert win; the other reads the winner's row.
    try:
        with transaction.atomic():
            return Account.objects.create(
                owner_id=owner_id, kind=kind, balance=ZERO if owner_id else None
            )
    except IntegrityError:
        return Account.objects.get(owner_id=owner_id, kind=kind)


def lock_member_accounts(user_id: int, kinds) -> dict[str, Account]:
    """Open (if needed) and lock a member's accounts; returns them by kind, freshly read."""
    ids = [member_account(user_id, kind).pk for kind in kinds]
    locked = Account.objects.select_for_update().filter(pk__in=ids).order_by("pk")
    return {account.kind: account for account in locked}


def find(source_type: str, source_id, kind: str) -> Transaction | None:
    return Transaction.objects.filter(
        source_type=source_type, source_id=str(source_id), kind=kind
    ).first()


def post(
    *,
    kind: str,
    source_type: str,
    source_id,
    legs: list[Leg],
    member_id: int | None = None,
    memo: str = "",
    actor_id: int | None = None,
) -> Transaction:
    """Write one balanced transaction; if its source was already posted, return that instead."""
    if not transaction.get_connection().in_atomic_block:
        raise LedgerError("post() must run inside transaction.atomic()")
    totals: dict[int, Decimal] = defaultdict(lambda: ZERO)
    accounts: dict[int, Account] = {}
    for leg in legs:
        amount = _cents(leg.amount)
        totals[leg.account.pk] += amount
        accounts[leg.account.pk] = leg.account
    if sum(totals.values(), ZERO) != ZERO:
        raise Unbalanced(f"legs of {kind} {source_type}:{source_id} sum to {sum(totals.values())}")
    totals = {pk: amount for pk, amount in totals.items() if amount != ZERO}
    if len(totals) < 2:
        raise Unbalanced(f"{kind} {source_type}:{source_id} needs two non-zero legs")

    member_ids = sorted(pk for pk in totals if accounts[pk].kind in MEMBER_KINDS)
    locked = {
        a.pk: a
        for a in Account.objects.select_for_update().filter(pk__in=member_ids).order_by("pk")
    }
    # Checked after the locks: a concurrent poster of the same source has committed by now.
    existing = find(source_type, source_id, kind)
    if existing is not None:
        return existing

    for pk in member_ids:
        account = locked[pk]
        new_balance = account.balance + totals[pk]
        if account.kind in SPENDABLE_KINDS and new_balance < 0:
            raise InsufficientFunds(account, -totals[pk])
        if account.kind == AccountKind.DEBT and new_balance > 0:
            raise LedgerError("a debt account cannot go above zero")

    try:
        with transaction.atomic():
            tx = Transaction.objects.create(
                kind=kind,
                source_type=source_type,
                source_id=str(source_id),
                member_id=member_id,
                memo=memo[:300],
                actor_id=actor_id,
            )
    except IntegrityError:
        # Only possible without member legs (nothing locked): the other writer won.
        existing = find(source_type, source_id, kind)
        if existing is None:
            raise
        return existing

    now = tx.created_at
    entries = []
    for pk in sorted(totals):
        amount = totals[pk]
        if pk in locked:
            account = locked[pk]
            account.balance = account.balance + amount
            Account.objects.filter(pk=pk).update(balance=account.balance, updated_at=now)
            entries.append(
                Entry(
                    transaction=tx,
                    account=account,
                    amount=amount,
                    balance_after=account.balance,
                    created_at=now,
                )
            )
        else:
            entries.append(
                Entry(transaction=tx, account=accounts[pk], amount=amount, created_at=now)
            )
    Entry.objects.bulk_create(entries)
    return tx
