"""Wallet forms. Amount rules live in the services; these forms carry input and errors."""

from django import forms
from django.utils.translation import gettext_lazy as _

from fenrun.core.forms import DateRangeForm, TokenForm
from fenrun.wallet.models import AccountKind
from fenrun.wallet.selectors import HISTORY_TYPES

TYPE_LABELS = {
    "bonus": _("Referral bonuses"),
    "conversion": _("Conversions"),
    "checkout": _("Checkout"),
    "withdrawal": _("Withdrawals"),
    "adjustment": _("Staff adjustments"),
}


def _numeric(**attrs):
    return forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", **attrs})


class HistoryFilterForm(DateRangeForm):
    field_order = ["type", "account", "date_from", "date_to"]

    type = forms.ChoiceField(
        label=_("Type"),
        required=False,
        choices=[("", _("All types"))] + [(key, TYPE_LABELS[key]) for key in HISTORY_TYPES],
    )
    account = forms.ChoiceField(
        label=_("Balance"),
        required=False,
        choices=[
            ("", _("All balances")),
            (AccountKind.COINS, AccountKind.COINS.label),
            (AccountKind.CREDIT, AccountKind.CREDIT.label),
            (AccountKind.DEBT, AccountKind.DEBT.label),
        ],
    )

    def filters(self) -> dict:
        if not self.is_bound or not self.is_valid():
            return {}
        return {k: v for k, v in self.cleaned_data.items() if v}


class ConversionForm(TokenForm):
    id_prefix = "conversion"

    coins = forms.CharField(label=_("Coins to convert"), max_length=20, widget=_numeric())


class WithdrawalForm(TokenForm):
    id_prefix = "withdrawal"

    amount = forms.CharField(label=_("Coins to withdraw"), max_length=20, widget=_numeric())
    bank_code = forms.CharField(
        label=_("Bank code"),
        max_length=3,
        help_text=_("3 digits, e.g. 812"),
        widget=_numeric(pattern="[0-9]{3}", maxlength="3"),
    )
    account_number = forms.CharField(
        label=_("Account number"),
        max_length=24,
        help_text=_("10 to 16 digits"),
        widget=_numeric(),
    )
    account_name = forms.CharField(label=_("Account holder"), max_length=60)


class AdjustmentForm(TokenForm):
    id_prefix = "adjustment"

    account_kind = forms.ChoiceField(
        label=_("Balance"),
        choices=[
            (AccountKind.COINS, AccountKind.COINS.label),
            (AccountKind.CREDIT, AccountKind.CREDIT.label),
            (AccountKind.DEBT, _("Debt (write off)")),
        ],
    )
    amount = forms.CharField(
        label=_("Amount"),
        max_length=20,
        help_text=_("Negative takes coins or credit away; for debt, the amount written off."),
    )
    reason = forms.CharField(label=_("Reason"), max_length=300, widget=forms.Textarea({"rows": 2}))


class StaffConversionForm(TokenForm):
    id_prefix = "staff_conversion"

    coins = forms.CharField(label=_("Coins to convert"), max_length=20, widget=_numeric())
