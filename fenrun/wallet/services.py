"""Wallet use cases. Every function here that moves money does it through ``ledger.post``.

Each runs in one database transaction, locks the member's accounts before it reads a balance,
and is idempotent where a retry is possible (unique source references, idempotency keys).
"""

import re
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fenrun.core import events
from fenrun.core.errors import DomainError
from fenrun.core.money import ZERO, format_twd, round_money, to_decimal
from fenrun.wallet import ledger
from fenrun.wallet.events import WithdrawalPaid
from fenrun.wallet.ledger import Leg
from fenrun.wallet.models import (
    AccountKind,
    Adjustment,
    Conversion,
    SourceType,
    TransactionKind,
    WalletSettings,
    Withdrawal,
)

K = AccountKind
T = TransactionKind
S = SourceType

MAX_AMOUNT = Decimal("100000000")
BANK_CODE = re.compile(r"^\d{3}$")
ACCOUNT_NUMBER = re.compile(r"^\d{10,16}$")


class WalletError(DomainError):
    """A request the wallet refuses; nothing was written.

    ``errors`` maps input fields to messages (for forms and the API's "errors"); ``status`` is
    the HTTP status the API answers with: 422 for bad input, 409 for a conflict with the
    current state (already decided, already pending), 404 for someone else's request.
    """

    code = "wallet_refused"


def parse_amount(value, field: str = "amount", *, allow_negative: bool = False) -> Decimal:
    """Whole NT dollars only: the shop's amounts have no cents."""
    try:
        amount = to_decimal(value)
    except ValueError:
        raise WalletError(_("Enter an amount in NT dollars."), field) from None
    if amount == 0 or (amount < 0 and not allow_negative):
        raise WalletError(_("The amount must be above zero."), field)
    if amount != amount.to_integral_value():
        raise WalletError(_("Amounts are whole NT dollars: no decimals."), field)
    if abs(amount) > MAX_AMOUNT:
        raise WalletError(_("This amount is too large."), field)
    return round_money(amount)


def _required_reason(reason: str, field: str = "reason") -> str:
    reason = (reason or "").strip()
    if not reason:
        raise WalletError(_("Give a reason."), field)
    return reason[:300]


# --- commissions -------------------------------------------------------------------------------


def record_commission_release(
    *, commission_id, payee_id: int, amount
) -> "ledger.Transaction | None":
    """A released commission becomes coins; any debt is repaid from it first."""
    amount = round_money(Decimal(amount), places=2)
    if amount <= 0:
        return None
    with transaction.atomic():
        accounts = ledger.lock_member_accounts(payee_id, [K.COINS, K.DEBT])
        existing = ledger.find(S.COMMISSION, commission_id, T.COMMISSION_RELEASE)
        if existing is not None:
            return existing
        repay = min(-accounts[K.DEBT].balance, amount)
        coins = amount - repay
        legs = [Leg(ledger.shop_account(K.SHOP_COMMISSIONS), -amount)]
        if repay:
            legs.append(Leg(accounts[K.DEBT], repay))
        if coins:
            legs.append(Leg(accounts[K.COINS], coins))
        tx = ledger.post(
            kind=T.COMMISSION_RELEASE,
            source_type=S.COMMISSION,
            source_id=commission_id,
            legs=legs,
            member_id=payee_id,
            memo=_("Debt repaid: %(amount)s") % {"amount": format_twd(repay)} if repay else "",
        )
        settings = WalletSettings.load()
        if settings.conversion_mode == WalletSettings.ConversionMode.AUTOMATIC and coins >= 1:
            _convert_automatically(payee_id, coins, settings)
        return tx


def _convert_automatically(member_id: int, coins: Decimal, settings: WalletSettings) -> None:
    whole = round_money(coins, mode="down")
    credit = conversion_credit(whole, settings.conversion_ratio)
    if credit <= 0:
        return
    conversion = Conversion.objects.create(
        member_id=member_id,
        coins=whole,
        ratio=settings.conversion_ratio,
        credit=credit,
        status=Conversion.Status.APPROVED,
        origin=Conversion.Origin.AUTOMATIC,
        decided_at=timezone.now(),
    )
    _post_conversion(conversion, from_kind=K.COINS)


def record_commission_reversal(
    *, commission_id, payee_id: int, amount, was_released: bool
) -> "ledger.Transaction | None":
    """Take a clawed-back commission's coins back; what the coins cannot cover becomes debt."""
    if not was_released:
        return None
    with transaction.atomic():
        accounts = ledger.lock_member_accounts(payee_id, [K.COINS, K.DEBT])
        existing = ledger.find(S.COMMISSION, commission_id, T.COMMISSION_REVERSAL)
        if existing is not None:
            return existing
        release = ledger.find(S.COMMISSION, commission_id, T.COMMISSION_RELEASE)
        if release is None:
            # The coins were never credited, so there is nothing to take back.
            return None
        released = -release.entries.get(account__kind=K.SHOP_COMMISSIONS).amount
        amount = min(round_money(Decimal(amount), places=2), released)
        if amount <= 0:
            return None
        taken = min(accounts[K.COINS].balance, amount)
        shortfall = amount - taken
        legs = [Leg(ledger.shop_account(K.SHOP_COMMISSIONS), amount)]
        if taken:
            legs.append(Leg(accounts[K.COINS], -taken))
        if shortfall:
            legs.append(Leg(accounts[K.DEBT], -shortfall))
        return ledger.post(
            kind=T.COMMISSION_REVERSAL,
            source_type=S.COMMISSION,
            source_id=commission_id,
            legs=legs,
            member_id=payee_id,
            memo=_("Recorded as debt: %(amount)s") % {"amount": format_twd(shortfall)}
            if shortfall
            else "",
        )


# --- checkout ----------------------------------------------------------------------------------


def credit_cap(goods_total, shipping_fee, settings: WalletSettings | None = None) -> Decimal:
    """The most credit one order may use, before looking at the member's balance."""
    settings = settings or WalletSettings.load()
    goods = max(Decimal(goods_total), ZERO)
    cap = round_money(goods * settings.credit_max_share_percent / 100, mode="down")
    if settings.credit_covers_shipping:
        cap += round_money(Decimal(shipping_fee), mode="down")
    return cap


def spend_credit_for_order(order_id: int):
    """Debit the credit an order was placed with; refusing rolls the order back."""
    from fenrun.orders.models import Order
    from fenrun.orders.services import CheckoutError

    order = Order.objects.get(pk=order_id)
    amount = order.credit_used
    if amount <= 0:
        return None
    if order.user_id is None:
        raise CheckoutError(_("Log in to use shopping credit."), "credit")
    if amount != amount.to_integral_value():
        raise CheckoutError(_("Use shopping credit in whole NT dollars."), "credit")
    cap = credit_cap(order.goods_total - order.discount_total, order.shipping_fee)
    if amount > cap:
        raise CheckoutError(
            _("At most %(cap)s of shopping credit can be used on this order.")
            % {"cap": format_twd(cap)},
            "credit",
        )
    accounts = ledger.lock_member_accounts(order.user_id, [K.CREDIT])
    balance = accounts[K.CREDIT].balance
    if amount > balance:
        raise CheckoutError(
            _("You have %(balance)s of shopping credit.") % {"balance": format_twd(balance)},
            "credit",
        )
    return ledger.post(
        kind=T.CHECKOUT_SPEND,
        source_type=S.ORDER,
        source_id=order.pk,
        legs=[
            Leg(accounts[K.CREDIT], -amount),
            Leg(ledger.shop_account(K.SHOP_CREDIT_REDEEMED), amount),
        ],
        member_id=order.user_id,
        memo=order.number,
    )


def refund_credit_for_order(order_id: int, *, actor_id=None):
    """Give back the credit a cancelled or refunded order spent (once)."""
    spend = ledger.find(S.ORDER, order_id, T.CHECKOUT_SPEND)
    if spend is None:
        return None
    with transaction.atomic():
        member_id = spend.member_id
        accounts = ledger.lock_member_accounts(member_id, [K.CREDIT])
        existing = ledger.find(S.ORDER, order_id, T.CHECKOUT_REFUND)
        if existing is not None:
            return existing
        spent = -spend.entries.get(account_id=accounts[K.CREDIT].pk).amount
        return ledger.post(
            kind=T.CHECKOUT_REFUND,
            source_type=S.ORDER,
            source_id=order_id,
            legs=[
                Leg(accounts[K.CREDIT], spent),
                Leg(ledger.shop_account(K.SHOP_CREDIT_REDEEMED), -spent),
            ],
            member_id=member_id,
            memo=spend.memo,
            actor_id=actor_id,
        )


# --- conversion --------------------------------------------------------------------------------


def conversion_credit(coins: Decimal, ratio: Decimal) -> Decimal:
    """Credit for ``coins`` at ``ratio``; a fraction of a dollar is not paid (rounded down)."""
    return round_money(Decimal(coins) * Decimal(ratio), mode="down")


def _check_no_debt(accounts, field: str) -> None:
    debt = -accounts[K.DEBT].balance
    if debt > 0:
        raise WalletError(
            _("You owe %(debt)s from a reversed bonus; new bonuses repay it first.")
            % {"debt": format_twd(debt)},
            field,
            status=409,
            code="debt_outstanding",
        )


def _earlier_request(model, member, idempotency_key: str):
    """The request a retry with the same idempotency key already made, if any."""
    if not idempotency_key:
        return None
    return model.objects.filter(member=member, idempotency_key=idempotency_key).first()


def _check_spendable(accounts, amount: Decimal, field: str, *, by_staff: bool = False) -> None:
    """No debt outstanding, and at least ``amount`` coins available."""
    _check_no_debt(accounts, field)
    if amount > accounts[K.COINS].balance:
        message = (
            _("The member has %(balance)s coins available.")
            if by_staff
            else _("You have %(balance)s coins available.")
        )
        balance = format_twd(accounts[K.COINS].balance).replace("NT$", "")
        raise WalletError(message % {"balance": balance}, field, code="insufficient_coins")


def request_conversion(member, coins, *, idempotency_key: str = "") -> Conversion:
    """A member asks to turn coins into credit; the coins are reserved until staff decide.

    Rule: one pending conversion per member. A second request while one waits is refused
    (409) instead of merged, so what staff approve is exactly what the member asked for.
    """
    coins = parse_amount(coins, "coins")
    settings = WalletSettings.load()
    if coins < settings.conversion_minimum:
        raise WalletError(
            _("Convert at least %(minimum)s coins.")
            % {"minimum": format_twd(settings.conversion_minimum).replace("NT$", "")},
            "coins",
        )
    credit = conversion_credit(coins, settings.conversion_ratio)
    if credit <= 0:
        raise WalletError(_("Too few coins to make one dollar of credit."), "coins")
    with transaction.atomic():
        accounts = ledger.lock_member_accounts(member.pk, [K.COINS, K.COINS_RESERVED, K.DEBT])
        previous = _earlier_request(Conversion, member, idempotency_key)
        if previous is not None:
            return previous
        if Conversion.objects.filter(member=member, status=Conversion.Status.PENDING).exists():
            raise WalletError(
                _("A conversion is already waiting for review; wait for it or cancel it first."),
                "coins",
                status=409,
                code="conversion_pending",
            )
        _check_spendable(accounts, coins, "coins")
        conversion = Conversion.objects.create(
            member=member,
            coins=coins,
            ratio=settings.conversion_ratio,
            credit=credit,
            idempotency_key=idempotency_key[:100],
        )
        ledger.post(
            kind=T.CONVERSION_RESERVE,
            source_type=S.CONVERSION,
            source_id=conversion.pk,
            legs=[Leg(accounts[K.COINS], -coins), Leg(accounts[K.COINS_RESERVED], coins)],
            member_id=member.pk,
            actor_id=member.pk,
        )
    return conversion


def _post_conversion(conversion: Conversion, *, from_kind: str, actor_id=None):
    accounts = ledger.lock_member_accounts(conversion.member_id, [from_kind, K.CREDIT])
    return ledger.post(
        kind=T.CONVERSION,
        source_type=S.CONVERSION,
        source_id=conversion.pk,
        legs=[
            Leg(accounts[from_kind], -conversion.coins),
            Leg(ledger.shop_account(K.SHOP_CONVERSIONS), conversion.coins - conversion.credit),
            Leg(accounts[K.CREDIT], conversion.credit),
        ],
        member_id=conversion.member_id,
        actor_id=actor_id,
    )


def _locked_pending(model, pk, *, member=None):
    qs = model.objects.select_for_update()
    if member is not None:
        qs = qs.filter(member=member)
    obj = qs.filter(pk=pk).first()
    if obj is None:
        raise WalletError(_("Not found."), status=404, code="not_found")
    return obj


def _already(obj) -> WalletError:
    return WalletError(
        _("This request is already %(status)s.") % {"status": obj.get_status_display()},
        status=409,
        code="already_decided",
    )


def approve_conversion(conversion_id: int, *, actor) -> Conversion:
    with transaction.atomic():
        conversion = _locked_pending(Conversion, conversion_id)
        if conversion.status != Conversion.Status.PENDING:
            raise _already(conversion)
        _post_conversion(conversion, from_kind=K.COINS_RESERVED, actor_id=actor.pk)
        conversion.status = Conversion.Status.APPROVED
        conversion.decided_at = timezone.now()
        conversion.decided_by = actor
        conversion.save(update_fields=["status", "decided_at", "decided_by"])
    return conversion


def _release_reservation(request, *, amount, kind, source_type, status: str, actor, reason: str):
    """Return a conversion's or withdrawal's reserved coins and record the decision."""
    accounts = ledger.lock_member_accounts(request.member_id, [K.COINS, K.COINS_RESERVED])
    ledger.post(
        kind=kind,
        source_type=source_type,
        source_id=request.pk,
        legs=[Leg(accounts[K.COINS_RESERVED], -amount), Leg(accounts[K.COINS], amount)],
        member_id=request.member_id,
        memo=reason,
        actor_id=actor.pk,
    )
    request.status = status
    request.reason = reason
    request.decided_at = timezone.now()
    request.decided_by = actor
    request.save(update_fields=["status", "reason", "decided_at", "decided_by"])
    return request


def _release_conversion(conversion: Conversion, *, status: str, actor, reason: str) -> Conversion:
    return _release_reservation(
        conversion,
        amount=conversion.coins,
        kind=T.CONVERSION_RELEASE,
        source_type=S.CONVERSION,
        status=status,
        actor=actor,
        reason=reason,
    )


def reject_conversion(conversion_id: int, *, actor, reason: str) -> Conversion:
    reason = _required_reason(reason)
    with transaction.atomic():
        conversion = _locked_pending(Conversion, conversion_id)
        if conversion.status != Conversion.Status.PENDING:
            raise _already(conversion)
        return _release_conversion(
            conversion, status=Conversion.Status.REJECTED, actor=actor, reason=reason
        )


def cancel_conversion(conversion_id: int, *, member) -> Conversion:
    with transaction.atomic():
        conversion = _locked_pending(Conversion, conversion_id, member=member)
        if conversion.status != Conversion.Status.PENDING:
            raise _already(conversion)
        return _release_conversion(
            conversion, status=Conversion.Status.CANCELLED, actor=member, reason=""
        )


def convert_coins(member, coins, *, actor, idempotency_key: str = "") -> Conversion:
    """Staff convert a member's available coins at today's ratio, without a request."""
    coins = parse_amount(coins, "coins")
    settings = WalletSettings.load()
    credit = conversion_credit(coins, settings.conversion_ratio)
    if credit <= 0:
        raise WalletError(_("Too few coins to make one dollar of credit."), "coins")
    with transaction.atomic():
        accounts = ledger.lock_member_accounts(member.pk, [K.COINS, K.CREDIT, K.DEBT])
        previous = _earlier_request(Conversion, member, idempotency_key)
        if previous is not None:
            return previous
        _check_spendable(accounts, coins, "coins", by_staff=True)
        conversion = Conversion.objects.create(
            member=member,
            coins=coins,
            ratio=settings.conversion_ratio,
            credit=credit,
            status=Conversion.Status.APPROVED,
            origin=Conversion.Origin.STAFF,
            decided_at=timezone.now(),
            decided_by=actor,
            idempotency_key=idempotency_key[:100],
        )
        _post_conversion(conversion, from_kind=K.COINS, actor_id=actor.pk)
    return conversion


# --- withdrawals -------------------------------------------------------------------------------


def withdrawal_fee(amount: Decimal, settings: WalletSettings) -> Decimal:
    return round_money(settings.withdrawal_fee + amount * settings.withdrawal_fee_percent / 100)


def request_withdrawal(
    member,
    *,
    amount,
    bank_code: str,
    account_number: str,
    account_name: str,
    idempotency_key: str = "",
) -> Withdrawal:
    """A member asks for cash; the coins are reserved at once and returned if rejected."""
    errors: dict[str, list[str]] = {}
    try:
        amount = parse_amount(amount)
    except WalletError as exc:
        errors.update(exc.errors)
    bank_code = (bank_code or "").strip()
    if not BANK_CODE.match(bank_code):
        errors["bank_code"] = [_("The bank code is 3 digits, e.g. 812.")]
    account_number = re.sub(r"[\s-]", "", account_number or "")
    if not ACCOUNT_NUMBER.match(account_number):
        errors["account_number"] = [_("The account number is 10 to 16 digits.")]
    account_name = " ".join((account_name or "").split())
    if not account_name:
        errors["account_name"] = [_("Enter the account holder's name.")]
    elif len(account_name) > 60:
        errors["account_name"] = [_("The account name is at most 60 characters.")]
    settings = WalletSettings.load()
    if "amount" not in errors:
        if amount < settings.withdrawal_minimum:
            errors["amount"] = [
                _("The minimum withdrawal is %(minimum)s.")
                % {"minimum": format_twd(settings.withdrawal_minimum)}
            ]
        elif amount - withdrawal_fee(amount, settings) <= 0:
            errors["amount"] = [_("The amount does not cover the withdrawal fee.")]
    if errors:
        first = next(iter(errors.values()))[0]
        raise WalletError(first, errors=errors)
    fee = withdrawal_fee(amount, settings)
    with transaction.atomic():
        accounts = ledger.lock_member_accounts(member.pk, [K.COINS, K.COINS_RESERVED, K.DEBT])
        previous = _earlier_request(Withdrawal, member, idempotency_key)
        if previous is not None:
            return previous
        _check_spendable(accounts, amount, "amount")
        withdrawal = Withdrawal.objects.create(
            member=member,
            amount=amount,
            fee=fee,
            payout=amount - fee,
            bank_code=bank_code,
            account_number=account_number,
            account_name=account_name,
            idempotency_key=idempotency_key[:100],
        )
        ledger.post(
            kind=T.WITHDRAWAL_RESERVE,
            source_type=S.WITHDRAWAL,
            source_id=withdrawal.pk,
            legs=[Leg(accounts[K.COINS], -amount), Leg(accounts[K.COINS_RESERVED], amount)],
            member_id=member.pk,
            actor_id=member.pk,
        )
    return withdrawal


def approve_withdrawal(withdrawal_id: int, *, actor) -> Withdrawal:
    """Staff agree to pay; the coins stay reserved until the transfer is marked paid."""
    with transaction.atomic():
        withdrawal = _locked_pending(Withdrawal, withdrawal_id)
        if withdrawal.status != Withdrawal.Status.PENDING:
            raise _already(withdrawal)
        withdrawal.status = Withdrawal.Status.APPROVED
        withdrawal.decided_at = timezone.now()
        withdrawal.decided_by = actor
        withdrawal.save(update_fields=["status", "decided_at", "decided_by"])
    return withdrawal


def _release_withdrawal(withdrawal: Withdrawal, *, status: str, actor, reason: str):
    return _release_reservation(
        withdrawal,
        amount=withdrawal.amount,
        kind=T.WITHDRAWAL_RELEASE,
        source_type=S.WITHDRAWAL,
        status=status,
        actor=actor,
        reason=reason,
    )


def reject_withdrawal(withdrawal_id: int, *, actor, reason: str) -> Withdrawal:
    """Refuse a pending or approved (not yet paid) withdrawal; the coins go back."""
    reason = _required_reason(reason)
    with transaction.atomic():
        withdrawal = _locked_pending(Withdrawal, withdrawal_id)
        if withdrawal.status not in Withdrawal.OPEN:
            raise _already(withdrawal)
        return _release_withdrawal(
            withdrawal, status=Withdrawal.Status.REJECTED, actor=actor, reason=reason
        )


def cancel_withdrawal(withdrawal_id: int, *, member) -> Withdrawal:
    with transaction.atomic():
        withdrawal = _locked_pending(Withdrawal, withdrawal_id, member=member)
        if withdrawal.status != Withdrawal.Status.PENDING:
            raise _already(withdrawal)
        return _release_withdrawal(
            withdrawal, status=Withdrawal.Status.CANCELLED, actor=member, reason=""
        )


def mark_withdrawal_paid(withdrawal_id: int, *, actor, reference: str) -> Withdrawal:
    """The money left the shop's bank: the reserved coins are paid out, the fee kept."""
    reference = (reference or "").strip()
    if not reference:
        raise WalletError(_("Enter the transfer reference."), "reference")
    if len(reference) > 64:
        raise WalletError(_("The reference is at most 64 characters."), "reference")
    with transaction.atomic():
        withdrawal = _locked_pending(Withdrawal, withdrawal_id)
        if withdrawal.status not in Withdrawal.OPEN:
            raise _already(withdrawal)
        accounts = ledger.lock_member_accounts(withdrawal.member_id, [K.COINS_RESERVED])
        legs = [
            Leg(accounts[K.COINS_RESERVED], -withdrawal.amount),
            Leg(ledger.shop_account(K.SHOP_PAYOUTS), withdrawal.payout),
        ]
        if withdrawal.fee:
            legs.append(Leg(ledger.shop_account(K.SHOP_WITHDRAWAL_FEES), withdrawal.fee))
        ledger.post(
            kind=T.WITHDRAWAL_PAYOUT,
            source_type=S.WITHDRAWAL,
            source_id=withdrawal.pk,
            legs=legs,
            member_id=withdrawal.member_id,
            memo=reference,
            actor_id=actor.pk,
        )
        now = timezone.now()
        withdrawal.status = Withdrawal.Status.PAID
        withdrawal.reference = reference
        withdrawal.paid_at = now
        if withdrawal.decided_at is None:
            withdrawal.decided_at = now
            withdrawal.decided_by = actor
        withdrawal.save(
            update_fields=["status", "reference", "paid_at", "decided_at", "decided_by"]
        )
        events.publish(WithdrawalPaid(withdrawal_id=withdrawal.pk, member_id=withdrawal.member_id))
    return withdrawal


# --- staff adjustments -------------------------------------------------------------------------

ADJUSTABLE = (K.COINS, K.CREDIT, K.DEBT)


def adjust_balance(
    member, *, account_kind: str, amount, reason: str, actor, idempotency_key: str
) -> Adjustment:
    """Staff correct coins or credit (+/-) or write off debt (a positive amount), with a reason.

    ``idempotency_key`` is required: the staff form carries one, so a double submit adjusts once.
    """
    errors: dict[str, list[str]] = {}
    if account_kind not in ADJUSTABLE:
        errors["account_kind"] = [_("Choose coins, credit or debt.")]
    try:
        amount = parse_amount(amount, allow_negative=account_kind != K.DEBT)
    except WalletError as exc:
        errors.update(exc.errors)
    try:
        reason = _required_reason(reason)
    except WalletError as exc:
        errors.update(exc.errors)
    if not idempotency_key:
        errors["__all__"] = [_("The form expired; reload the page.")]
    if errors:
        raise WalletError(next(iter(errors.values()))[0], errors=errors)
    with transaction.atomic():
        accounts = ledger.lock_member_accounts(member.pk, [account_kind])
        previous = Adjustment.objects.filter(idempotency_key=idempotency_key).first()
        if previous is not None:
            if previous.member_id != member.pk:
                raise WalletError(
                    _("The form expired; reload the page."), status=409, code="form_expired"
                )
            return previous
        account = accounts[account_kind]
        if account_kind == K.DEBT and amount > -account.balance:
            raise WalletError(
                _("The member owes %(debt)s; write off at most that.")
                % {"debt": format_twd(-account.balance)},
                "amount",
                code="write_off_too_large",
            )
        if account_kind != K.DEBT and account.balance + amount < 0:
            raise WalletError(
                _("That would take the balance below zero (it is %(balance)s).")
                % {"balance": format_twd(account.balance)},
                "amount",
                code="insufficient_balance",
            )
        adjustment = Adjustment.objects.create(
            member=member,
            account_kind=account_kind,
            amount=amount,
            reason=reason,
            actor=actor,
            idempotency_key=idempotency_key[:100],
        )
        ledger.post(
            kind=T.ADJUSTMENT,
            source_type=S.ADJUSTMENT,
            source_id=adjustment.pk,
            legs=[Leg(account, amount), Leg(ledger.shop_account(K.SHOP_ADJUSTMENTS), -amount)],
            member_id=member.pk,
            memo=reason,
            actor_id=actor.pk if actor else None,
        )
    return adjustment
