"""The invoice part of the checkout form, added through ``orders.forms.CHECKOUT_SECTIONS``.

Orders knows nothing of invoices: the section gives the form its fields, checks them with
rules.py, renders its partial, and hands its answer to the placement as OrderPlaced context,
which ``subscribers.on_order_placed`` stores.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from fenrun.invoices import rules
from fenrun.invoices.models import InvoiceChoice
from fenrun.invoices.subscribers import CONTEXT_KEY

MESSAGES = {
    "required": forms.Field.default_error_messages["required"],
    "bad_barcode": _("A mobile barcode is “/” followed by 7 characters (0–9, A–Z, . + -)."),
    "bad_certificate": _("A citizen certificate number is 2 capital letters and 14 digits."),
    "bad_love_code": _("A donation code is 3 to 7 digits."),
    "bad_ban": _("This is not a valid 統一編號 (8 digits with a check digit)."),
    "too_long": _("At most 60 characters."),
    "unknown_kind": _("Choose how you receive the invoice."),
}
FIELDS = {
    "kind": "invoice_kind",
    "carrier_number": "invoice_carrier_number",
    "love_code": "invoice_love_code",
    "ban": "invoice_ban",
    "company_name": "invoice_company_name",
}


class InvoiceSection:
    template = "invoices/_checkout_invoice.html"

    def fields(self) -> dict[str, forms.Field]:
        return {
            "invoice_kind": forms.ChoiceField(
                label=_("Invoice"),
                choices=InvoiceChoice.KindChoices.choices,
                initial=rules.Kind.MEMBER_CARRIER,
                # Left out, the invoice goes to the member carrier (a form posted without
                # this section's fields still places its order).
                required=False,
                widget=forms.RadioSelect,
            ),
            "invoice_carrier_number": forms.CharField(
                label=_("Carrier number"),
                max_length=16,
                required=False,
                help_text=_(
                    "Mobile barcode: / and 7 characters, e.g. /ABC1234. Certificate: 2 "
                    "letters and 14 digits."
                ),
                widget=forms.TextInput(
                    attrs={
                        "autocapitalize": "characters",
                        "autocomplete": "off",
                        "spellcheck": "false",
                    }
                ),
            ),
            "invoice_love_code": forms.CharField(
                label=_("Donation code (愛心碼)"),
                max_length=7,
                required=False,
                widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
            ),
            "invoice_ban": forms.CharField(
                label=_("統一編號"),
                max_length=8,
                required=False,
                widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
            ),
            "invoice_company_name": forms.CharField(
                label=_("Company name"),
                max_length=rules.COMPANY_NAME_MAX,
                required=False,
                widget=forms.TextInput(attrs={"autocomplete": "organization"}),
            ),
        }

    def _choice(self, cleaned: dict) -> rules.Choice:
        return rules.normalise(
            cleaned.get("invoice_kind") or rules.Kind.MEMBER_CARRIER,
            carrier_number=cleaned.get("invoice_carrier_number", ""),
            love_code=cleaned.get("invoice_love_code", ""),
            ban=cleaned.get("invoice_ban", ""),
            company_name=cleaned.get("invoice_company_name", ""),
        )

    def clean(self, cleaned: dict) -> dict[str, list[str]]:
        errors = rules.choice_errors(self._choice(cleaned))
        return {FIELDS[name]: [MESSAGES[code]] for name, code in errors.items()}

    def placement_context(self, cleaned: dict) -> dict:
        choice = self._choice(cleaned)
        return {
            CONTEXT_KEY: {
                "kind": choice.kind,
                "carrier_number": choice.carrier_number,
                "love_code": choice.love_code,
                "ban": choice.ban,
                "company_name": choice.company_name,
            }
        }
