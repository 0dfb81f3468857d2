"""Wallet API: a member's balances, history and requests; staff queues and decisions.

Writes honour the Idempotency-Key header, as every write of the API does
(``fenrun.core.idempotency``). A member can only see and touch their own requests:
anyone else's answers 404, exactly like one that does not exist.
"""

from datetime import date, datetime
from decimal import Decimal
from uuid import uuid4

from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import field_serializer

from fenrun.accounts.contact import email_for
from fenrun.core.api_errors import errors
from fenrun.core.idempotency import HEADER as IDEMPOTENCY_HEADER
from fenrun.core.paging import LimitOffsetPage, MappedPage, each
from fenrun.core.periods import EARLIEST, LATEST
from fenrun.core.permissions import Capability, has, member_only, staff_only
from fenrun.core.schemas import Id, InputSchema
from fenrun.wallet import selectors, services
from fenrun.wallet.models import Conversion, Entry, Withdrawal

router = Router(tags=["wallet"])

VIEW = Capability.VIEW_WALLETS
DECIDE = Capability.DECIDE_WALLET_REQUESTS
PAY = Capability.PAY_WITHDRAWALS
ADJUST = Capability.ADJUST_WALLETS

Amount = str | int | float


class Out(Schema):
    """Money as a string with two decimals ("1500.00"): exact, and the same in every answer."""

    @field_serializer("*", mode="wrap")
    def _money(self, value, handler):
        if isinstance(value, Decimal):
            return f"{value:.2f}"
        return handler(value)


class BalancesOut(Out):
    coins: Decimal = Field(description="Available site coins (網站幣).")
    coins_reserved: Decimal = Field(description="Coins held by pending conversions/withdrawals.")
    credit: Decimal = Field(description="Shopping credit (購物金).")
    debt: Decimal = Field(description="Owed from reversed bonuses; repaid by future bonuses.")
    pending_coins: Decimal = Field(description="Commissions still in their hold period.")


class EntryOut(Out):
    id: int
    created_at: datetime
    account: str
    type: str
    type_label: str
    amount: Decimal
    balance_after: Decimal | None
    source_type: str
    source_id: str
    order_number: str = ""
    memo: str


class HistoryFilter(Schema):
    type: str = Field("", description="bonus, conversion, checkout, withdrawal or adjustment")
    account: str = Field("", description="coins, credit or debt")
    date_from: date | None = Field(None, ge=EARLIEST, le=LATEST)
    date_to: date | None = Field(None, ge=EARLIEST, le=LATEST)


class ConversionIn(InputSchema):
    coins: Amount


class ConversionOut(Out):
    id: int
    member_id: int
    coins: Decimal
    ratio: Decimal
    credit: Decimal
    status: str
    origin: str
    reason: str
    created_at: datetime
    decided_at: datetime | None


class WithdrawalIn(InputSchema):
    amount: Amount
    bank_code: str
    account_number: str
    account_name: str


class WithdrawalOut(Out):
    id: int
    member_id: int
    amount: Decimal
    fee: Decimal
    payout: Decimal
    bank_code: str
    account_number: str = Field(
        description="Masked except the last 4 digits (in full only for staff who pay withdrawals)."
    )
    account_name: str = Field(description="Masked except the first and last character.")
    status: str
    reason: str
    reference: str
    created_at: datetime
    decided_at: datetime | None
    paid_at: datetime | None


class ReasonIn(InputSchema):
    reason: str


class ReferenceIn(InputSchema):
    reference: str


class AdjustmentIn(InputSchema):
    account: str = Field(description="coins, credit or debt (debt: a positive amount writes off)")
    amount: Amount
    reason: str


class AdjustmentOut(Out):
    id: int
    member_id: int
    account: str
    amount: Decimal
    reason: str
    created_at: datetime


class MemberWalletOut(Out):
    member_id: int
    email: str = Field(description="Masked unless the caller may see contact data.")
    balances: BalancesOut
    history: list[EntryOut]


# Who is asking (401 nobody, 403 an integrator key, no CSRF token, or no capability); a write
# can also meet its Idempotency-Key (422 reused or too long) and the request's state (409).
READ = errors(401, 403)
FILTERED = errors(401, 403, 422)
WRITE = errors(401, 403, 409, 422)
ON_ONE = errors(401, 403, 404, 409, 422)
ON_ONE_READ = errors(401, 403, 404)


def _entry(e: Entry) -> dict:
    return {
        "id": e.pk,
        "created_at": e.created_at,
        "account": e.account.kind,
        "type": e.transaction.kind,
        "type_label": str(e.transaction.get_kind_display()),
        "amount": e.amount,
        "balance_after": e.balance_after,
        "source_type": e.transaction.source_type,
        "source_id": e.transaction.source_id,
        "order_number": getattr(e, "order_number", ""),
        "memo": e.transaction.memo,
    }


def _withdrawal(w: Withdrawal, *, full: bool = False) -> dict:
    data = WithdrawalOut.from_orm(w).model_dump(mode="json")
    if not full:
        data["account_number"] = w.masked_account_number
        data["account_name"] = w.masked_account_name
    return data


def _conversion(c: Conversion) -> dict:
    return ConversionOut.from_orm(c).model_dump(mode="json")


def _balances(user) -> dict:
    b = selectors.balances(user)
    return BalancesOut(**b.__dict__).model_dump(mode="json")


# --- member ------------------------------------------------------------------------------------


@router.get("/me", response={200: BalancesOut, **READ}, summary="My balances", **member_only())
def my_balances(request):
    return Status(200, _balances(request.auth))


@router.get(
    "/me/history",
    response={200: list[EntryOut], **FILTERED},
    summary="My ledger entries",
    **member_only(),
)
@paginate(LimitOffsetPage)
def my_history(request, filters: Query[HistoryFilter]):
    qs = selectors.history(
        request.auth,
        type=filters.type,
        account=filters.account,
        date_from=filters.date_from,
        date_to=filters.date_to,
    )
    # Each page's orders are looked up once, for that page's entries only.
    return MappedPage(qs, lambda rows: [_entry(e) for e in selectors.attach_sources(rows)])


@router.get("/me/conversions", response={200: list[ConversionOut], **FILTERED}, **member_only())
@paginate(LimitOffsetPage)
def my_conversions(request):
    return each(selectors.conversions_of(request.auth), _conversion)


@router.post(
    "/me/conversions",
    response={201: ConversionOut, **WRITE},
    summary="Apply to convert coins into shopping credit",
    **member_only(),
)
def request_conversion(request, payload: ConversionIn):
    conversion = services.request_conversion(request.auth, payload.coins)
    return Status(201, _conversion(conversion))


@router.post(
    "/me/conversions/{id:conversion_id}/cancel",
    response={200: ConversionOut, **ON_ONE},
    **member_only(),
)
def cancel_conversion(request, conversion_id: Id):
    conversion = services.cancel_conversion(conversion_id, member=request.auth)
    return Status(200, _conversion(conversion))


@router.get("/me/withdrawals", response={200: list[WithdrawalOut], **FILTERED}, **member_only())
@paginate(LimitOffsetPage)
def my_withdrawals(request):
    return each(selectors.withdrawals_of(request.auth), _withdrawal)


@router.post(
    "/me/withdrawals",
    response={201: WithdrawalOut, **WRITE},
    summary="Apply for a cash withdrawal",
    **member_only(),
)
def request_withdrawal(request, payload: WithdrawalIn):
    withdrawal = services.request_withdrawal(
        request.auth,
        amount=payload.amount,
        bank_code=payload.bank_code,
        account_number=payload.account_number,
        account_name=payload.account_name,
    )
    return Status(201, _withdrawal(withdrawal))


@router.post(
    "/me/withdrawals/{id:withdrawal_id}/cancel",
    response={200: WithdrawalOut, **ON_ONE},
    **member_only(),
)
def cancel_withdrawal(request, withdrawal_id: Id):
    withdrawal = services.cancel_withdrawal(withdrawal_id, member=request.auth)
    return Status(200, _withdrawal(withdrawal))


# --- staff -------------------------------------------------------------------------------------


@router.get(
    "/staff/conversions", response={200: list[ConversionOut], **FILTERED}, **staff_only(VIEW)
)
@paginate(LimitOffsetPage)
def staff_conversions(request, status: str = "pending"):
    qs = Conversion.objects.all() if status == "all" else Conversion.objects.filter(status=status)
    return each(qs.order_by("created_at", "id"), _conversion)


@router.post(
    "/staff/conversions/{id:conversion_id}/approve",
    response={200: ConversionOut, **ON_ONE},
    **staff_only(DECIDE),
)
def approve_conversion(request, conversion_id: Id):
    staff = request.auth

    return Status(200, _conversion(services.approve_conversion(conversion_id, actor=staff)))


@router.post(
    "/staff/conversions/{id:conversion_id}/reject",
    response={200: ConversionOut, **ON_ONE},
    **staff_only(DECIDE),
)
def reject_conversion(request, conversion_id: Id, payload: ReasonIn):
    staff = request.auth

    conversion = services.reject_conversion(conversion_id, actor=staff, reason=payload.reason)
    return Status(200, _conversion(conversion))


@router.get(
    "/staff/withdrawals", response={200: list[WithdrawalOut], **FILTERED}, **staff_only(VIEW)
)
@paginate(LimitOffsetPage)
def staff_withdrawals(request, status: str = "open"):
    if status == "open":
        qs = Withdrawal.objects.filter(status__in=Withdrawal.OPEN)
    elif status == "all":
        qs = Withdrawal.objects.all()
    else:
        qs = Withdrawal.objects.filter(status=status)
    return each(qs.order_by("created_at", "id"), _withdrawal)


@router.get(
    "/staff/withdrawals/{id:withdrawal_id}",
    response={200: WithdrawalOut, **ON_ONE_READ},
    summary="One withdrawal; the full bank details only for staff who pay withdrawals",
    **staff_only(VIEW, DECIDE, PAY),
)
def staff_withdrawal(request, withdrawal_id: Id):
    withdrawal = get_object_or_404(Withdrawal, pk=withdrawal_id)
    # The full account number is for whoever makes the transfer; deciders see it masked.
    return Status(200, _withdrawal(withdrawal, full=has(request.auth, PAY)))


@router.post(
    "/staff/withdrawals/{id:withdrawal_id}/approve",
    response={200: WithdrawalOut, **ON_ONE},
    **staff_only(DECIDE),
)
def approve_withdrawal(request, withdrawal_id: Id):
    staff = request.auth

    return Status(200, _withdrawal(services.approve_withdrawal(withdrawal_id, actor=staff)))


@router.post(
    "/staff/withdrawals/{id:withdrawal_id}/reject",
    response={200: WithdrawalOut, **ON_ONE},
    **staff_only(DECIDE),
)
def reject_withdrawal(request, withdrawal_id: Id, payload: ReasonIn):
    staff = request.auth

    withdrawal = services.reject_withdrawal(withdrawal_id, actor=staff, reason=payload.reason)
    return Status(200, _withdrawal(withdrawal))


@router.post(
    "/staff/withdrawals/{id:withdrawal_id}/pay",
    response={200: WithdrawalOut, **ON_ONE},
    **staff_only(PAY),
)
def pay_withdrawal(request, withdrawal_id: Id, payload: ReferenceIn):
    staff = request.auth

    withdrawal = services.mark_withdrawal_paid(
        withdrawal_id, actor=staff, reference=payload.reference
    )
    return Status(200, _withdrawal(withdrawal))


def _member(member_id: int):
    return get_object_or_404(get_user_model(), pk=member_id)


@router.get(
    "/staff/members/{id:member_id}",
    response={200: MemberWalletOut, **ON_ONE_READ},
    **staff_only(VIEW),
)
def staff_member_wallet(request, member_id: Id):
    member = _member(member_id)
    entries = selectors.attach_sources(selectors.history(member)[:100])
    return Status(
        200,
        {
            "member_id": member.pk,
            "email": email_for(request.auth, member),
            "balances": _balances(member),
            "history": [_entry(e) for e in entries],
        },
    )


@router.post(
    "/staff/members/{id:member_id}/adjustments",
    response={201: AdjustmentOut, **ON_ONE},
    summary="Adjust a member's coins or credit, or write off debt (reason required)",
    **staff_only(ADJUST),
)
def adjust(request, member_id: Id, payload: AdjustmentIn):
    staff = request.auth
    member = _member(member_id)
    key = (request.headers.get(IDEMPOTENCY_HEADER) or "").strip()

    adjustment = services.adjust_balance(
        member,
        account_kind=payload.account,
        amount=payload.amount,
        reason=payload.reason,
        actor=staff,
        # Without a header every call is new; the header makes a retry a no-op.
        idempotency_key=f"api:{staff.pk}:{key}" if key else f"api:{uuid4()}",
    )
    return Status(
        201,
        {
            "id": adjustment.pk,
            "member_id": adjustment.member_id,
            "account": adjustment.account_kind,
            "amount": f"{adjustment.amount:.2f}",
            "reason": adjustment.reason,
            "created_at": adjustment.created_at.isoformat(),
        },
    )


@router.post(
    "/staff/members/{id:member_id}/conversions",
    response={201: ConversionOut, **ON_ONE},
    summary="Convert a member's coins now, at today's ratio",
    **staff_only(DECIDE),
)
def staff_convert(request, member_id: Id, payload: ConversionIn):
    staff = request.auth
    member = _member(member_id)

    conversion = services.convert_coins(member, payload.coins, actor=staff)
    return Status(201, _conversion(conversion))
