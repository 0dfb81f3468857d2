"""Wallet pages: the member's 我的帳戶 and the staff's queues, member wallets and export."""

import csv

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from fenrun.accounts.contact import email_for, label_for, sees_contact_data
from fenrun.core.errors import add_to_form
from fenrun.core.money import format_twd
from fenrun.core.permissions import Capability, has, requires
from fenrun.core.spreadsheet import safe_text
from fenrun.wallet import selectors, services
from fenrun.wallet.forms import (
    AdjustmentForm,
    ConversionForm,
    HistoryFilterForm,
    StaffConversionForm,
    WithdrawalForm,
)
from fenrun.wallet.models import Conversion, WalletSettings, Withdrawal

PAGE_SIZE = 30


def _history_page(request, member):
    filters = HistoryFilterForm(request.GET or None)
    qs = selectors.history(member, **filters.filters())
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = selectors.attach_sources(page.object_list)
    query = request.GET.copy()
    query.pop("page", None)
    return filters, page, query.urlencode()


# --- member ------------------------------------------------------------------------------------


def _render_account(request, *, conversion_form=None, withdrawal_form=None, status=200):
    member = request.user
    settings = WalletSettings.load()
    filters, page, query = _history_page(request, member)
    context = {
        "balances": selectors.balances(member),
        "settings": settings,
        "filters": filters,
        "page": page,
        "query": query,
        "conversion_form": conversion_form or ConversionForm(),
        "withdrawal_form": withdrawal_form or WithdrawalForm(),
        "conversions": selectors.conversions_of(member)[:10],
        "withdrawals": selectors.withdrawals_of(member)[:10],
        "has_pending_conversion": selectors.conversions_of(member)
        .filter(status=Conversion.Status.PENDING)
        .exists(),
    }
    return render(request, "wallet/my_account.html", context, status=status)


@login_required
def my_account(request):
    return _render_account(request)


@login_required
@require_POST
def request_conversion(request):
    form = ConversionForm(request.POST)
    if form.is_valid():
        try:
            conversion = services.request_conversion(
                request.user,
                form.cleaned_data["coins"],
                idempotency_key=form.cleaned_data["token"],
            )
        except services.WalletError as exc:
            add_to_form(form, exc)
        else:
            messages.success(
                request,
                _("Conversion of %(coins)s coins into %(credit)s of credit requested.")
                % {
                    "coins": format_twd(conversion.coins).replace("NT$", ""),
                    "credit": format_twd(conversion.credit),
                },
            )
            return redirect("wallet:my_account")
    return _render_account(request, conversion_form=form, status=422)


@login_required
@require_POST
def request_withdrawal(request):
    form = WithdrawalForm(request.POST)
    if form.is_valid():
        try:
            withdrawal = services.request_withdrawal(
                request.user,
                amount=form.cleaned_data["amount"],
                bank_code=form.cleaned_data["bank_code"],
                account_number=form.cleaned_data["account_number"],
                account_name=form.cleaned_data["account_name"],
                idempotency_key=form.cleaned_data["token"],
            )
        except services.WalletError as exc:
            add_to_form(form, exc)
        else:
            messages.success(
                request,
                _(
                    "Withdrawal of %(amount)s requested; %(payout)s will be transferred after review."
                )
                % {
                    "amount": format_twd(withdrawal.amount),
                    "payout": format_twd(withdrawal.payout),
                },
            )
            return redirect("wallet:my_account")
    return _render_account(request, withdrawal_form=form, status=422)


def _member_action(request, action, pk):
    try:
        action(pk, member=request.user)
    except services.WalletError as exc:
        if exc.status == 404:
            raise Http404 from None
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Request cancelled; the coins are available again."))
    return redirect("wallet:my_account")


@login_required
@require_POST
def cancel_conversion(request, pk):
    return _member_action(request, services.cancel_conversion, pk)


@login_required
@require_POST
def cancel_withdrawal(request, pk):
    return _member_action(request, services.cancel_withdrawal, pk)


# --- staff -------------------------------------------------------------------------------------


def _staff_render(request, template, context, status=200):
    user = request.user
    # Pages show only the buttons the viewer's role may press; the views check again.
    allowed = {
        "can_decide": has(user, Capability.DECIDE_WALLET_REQUESTS),
        "can_pay": has(user, Capability.PAY_WITHDRAWALS),
        "can_adjust": has(user, Capability.ADJUST_WALLETS),
        "sees_contact": sees_contact_data(user),
    }
    context = {**admin.site.each_context(request), **allowed, **context}
    return render(request, template, context, status=status)


@requires(Capability.VIEW_WALLETS)
def staff_queues(request):
    return _staff_render(
        request,
        "wallet/staff/queues.html",
        {
            "title": _("Wallet review"),
            "conversions": selectors.pending_conversions(),
            "withdrawals": selectors.open_withdrawals(),
            "in_debt": selectors.members_in_debt(),
            "settings": WalletSettings.load(),
        },
    )


def _next(request) -> str:
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return reverse("wallet:staff_queues")


def _decide(request, decide) -> None:
    try:
        decide()
    except services.WalletError as exc:
        if exc.status == 404:
            raise Http404 from None
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Saved."))


@requires(Capability.DECIDE_WALLET_REQUESTS)
@require_POST
def staff_decide_conversion(request, pk):
    action = request.POST.get("action")
    if action == "approve":
        _decide(request, lambda: services.approve_conversion(pk, actor=request.user))
    elif action == "reject":
        _decide(
            request,
            lambda: services.reject_conversion(
                pk, actor=request.user, reason=request.POST.get("reason", "")
            ),
        )
    else:
        messages.error(request, _("Choose approve or reject."))
    return redirect(_next(request))


@requires(Capability.VIEW_WALLETS, Capability.DECIDE_WALLET_REQUESTS, Capability.PAY_WITHDRAWALS)
def staff_withdrawal(request, pk):
    withdrawal = get_object_or_404(Withdrawal.objects.select_related("member"), pk=pk)
    return _staff_render(
        request,
        "wallet/staff/withdrawal.html",
        {
            "title": _("Withdrawal #%(id)s") % {"id": pk},
            "withdrawal": withdrawal,
            # The full account number is for whoever makes the transfer.
            "full_account": has(request.user, Capability.PAY_WITHDRAWALS),
        },
    )


# Approving and rejecting is a decision; marking paid is the payout. A role may hold either.
WITHDRAWAL_ACTIONS = {
    "approve": Capability.DECIDE_WALLET_REQUESTS,
    "reject": Capability.DECIDE_WALLET_REQUESTS,
    "pay": Capability.PAY_WITHDRAWALS,
}


@requires(Capability.DECIDE_WALLET_REQUESTS, Capability.PAY_WITHDRAWALS)
@require_POST
def staff_decide_withdrawal(request, pk):
    action = request.POST.get("action")
    actor = request.user
    if action in WITHDRAWAL_ACTIONS and not has(actor, WITHDRAWAL_ACTIONS[action]):
        raise PermissionDenied
    if action == "approve":
        _decide(request, lambda: services.approve_withdrawal(pk, actor=actor))
    elif action == "reject":
        reason = request.POST.get("reason", "")
        _decide(request, lambda: services.reject_withdrawal(pk, actor=actor, reason=reason))
    elif action == "pay":
        reference = request.POST.get("reference", "")
        _decide(
            request, lambda: services.mark_withdrawal_paid(pk, actor=actor, reference=reference)
        )
    else:
        messages.error(request, _("Choose approve, reject or paid."))
    return redirect(_next(request))


@requires(Capability.VIEW_WALLETS)
def staff_members(request):
    search = (request.GET.get("q") or "").strip()[:100]
    return _staff_render(
        request,
        "wallet/staff/members.html",
        {
            "title": _("Member wallets"),
            "rows": selectors.members_with_balances(
                search, by_contact=sees_contact_data(request.user)
            ),
            "search": search,
        },
    )


def _render_member(request, member, *, adjustment_form=None, conversion_form=None, status=200):
    filters, page, query = _history_page(request, member)
    return _staff_render(
        request,
        "wallet/staff/member.html",
        {
            "title": _("Wallet of %(member)s") % {"member": label_for(request.user, member)},
            "member": member,
            "balances": selectors.balances(member),
            "filters": filters,
            "page": page,
            "query": query,
            "adjustment_form": adjustment_form or AdjustmentForm(),
            "conversion_form": conversion_form or StaffConversionForm(),
            "conversions": selectors.conversions_of(member)[:20],
            "withdrawals": selectors.withdrawals_of(member)[:20],
        },
        status=status,
    )


@requires(Capability.VIEW_WALLETS)
def staff_member(request, pk):
    return _render_member(request, get_object_or_404(get_user_model(), pk=pk))


@requires(Capability.ADJUST_WALLETS)
@require_POST
def staff_adjust(request, pk):
    member = get_object_or_404(get_user_model(), pk=pk)
    form = AdjustmentForm(request.POST)
    if form.is_valid():
        try:
            services.adjust_balance(
                member,
                account_kind=form.cleaned_data["account_kind"],
                amount=form.cleaned_data["amount"],
                reason=form.cleaned_data["reason"],
                actor=request.user,
                idempotency_key=f"form:{form.cleaned_data['token']}",
            )
        except services.WalletError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, _("Adjustment recorded."))
            return redirect("wallet:staff_member", pk=member.pk)
    return _render_member(request, member, adjustment_form=form, status=422)


@requires(Capability.DECIDE_WALLET_REQUESTS)
@require_POST
def staff_convert(request, pk):
    member = get_object_or_404(get_user_model(), pk=pk)
    form = StaffConversionForm(request.POST)
    if form.is_valid():
        try:
            services.convert_coins(
                member,
                form.cleaned_data["coins"],
                actor=request.user,
                idempotency_key=f"staff:{form.cleaned_data['token']}",
            )
        except services.WalletError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, _("Coins converted."))
            return redirect("wallet:staff_member", pk=member.pk)
    return _render_member(request, member, conversion_form=form, status=422)


class _Echo:
    def write(self, value):
        return value


# Shop staff open the export in a spreadsheet, so its headers and values are words in their
# language (「推薦獎金」, 「網站幣」), not codes such as commission_release or coins. The last three
# columns keep the codes, whose names and values never change with the language, for scripts.
LEDGER_HEADER = [
    gettext_lazy("Entry no."),
    gettext_lazy("Transaction no."),
    gettext_lazy("Time"),
    gettext_lazy("Type"),
    gettext_lazy("Source"),
    gettext_lazy("Source no."),
    gettext_lazy("Account"),
    gettext_lazy("Member no."),
    gettext_lazy("Member e-mail"),
    gettext_lazy("Amount"),
    gettext_lazy("Balance after"),
    gettext_lazy("Memo"),
    "type_code",
    "source_code",
    "account_code",
]


@requires(Capability.VIEW_WALLETS)
def staff_ledger_csv(request):
    filters = HistoryFilterForm(request.GET or None)
    data = filters.filters()
    rows = selectors.ledger_rows(date_from=data.get("date_from"), date_to=data.get("date_to"))
    writer = csv.writer(_Echo())
    header = [str(title) for title in LEDGER_HEADER]

    def stream():
        yield "\ufeff" + writer.writerow(header)  # BOM: Excel opens UTF-8 correctly
        for e in rows:
            owner = e.account.owner
            tx = e.transaction
            yield writer.writerow(
                [
                    e.pk,
                    e.transaction_id,
                    timezone.localtime(e.created_at).strftime("%Y-%m-%d %H:%M:%S"),
                    tx.get_kind_display(),
                    tx.get_source_type_display(),
                    safe_text(tx.source_id),
                    e.account.get_kind_display(),
                    owner.pk if owner else "",
                    safe_text(email_for(request.user, owner)) if owner else "",
                    e.amount,
                    "" if e.balance_after is None else e.balance_after,
                    safe_text(tx.memo),
                    tx.kind,
                    tx.source_type,
                    e.account.kind,
                ]
            )

    response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="wallet-ledger-{stamp}.csv"'
    return response
