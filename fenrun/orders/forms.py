"""The checkout form: who receives the order, where and how it ships, how it is paid.

It never carries a price or a total: those are recomputed on the server from the cart. What
makes a recipient acceptable is decided by ``services.validate_recipient``, the same check the
API and ``place_order`` use; the form only shows its answer on the fields.
"""

from decimal import Decimal

from django import forms
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from fenrun.core.forms import TokenForm
from fenrun.orders.models import PaymentMethod, ShippingMethod
from fenrun.orders.services import CheckoutError, Recipient, validate_recipient

# Taiwan's 22 counties and cities; the stored value is the name a courier writes on the label,
# spelled as in the postal data (data/tw_postal.json; a test keeps the two lists equal).
COUNTIES = [
    ("臺北市", _("Taipei City")),
    ("新北市", _("New Taipei City")),
    ("桃園市", _("Taoyuan City")),
    ("臺中市", _("Taichung City")),
    ("臺南市", _("Tainan City")),
    ("高雄市", _("Kaohsiung City")),
    ("基隆市", _("Keelung City")),
    ("新竹市", _("Hsinchu City")),
    ("嘉義市", _("Chiayi City")),
    ("新竹縣", _("Hsinchu County")),
    ("苗栗縣", _("Miaoli County")),
    ("彰化縣", _("Changhua County")),
    ("南投縣", _("Nantou County")),
    ("雲林縣", _("Yunlin County")),
    ("嘉義縣", _("Chiayi County")),
    ("屏東縣", _("Pingtung County")),
    ("宜蘭縣", _("Yilan County")),
    ("花蓮縣", _("Hualien County")),
    ("臺東縣", _("Taitung County")),
    ("澎湖縣", _("Penghu County")),
    ("金門縣", _("Kinmen County")),
    ("連江縣", _("Lienchiang County (Matsu)")),
]

# What validate_recipient hands back, by form field.
RECIPIENT_FIELDS = {
    "recipient_name": "name",
    "recipient_phone": "phone",
    "email": "email",
    "county": "county",
    "district": "district",
    "street": "street",
    "postal_code": "postal_code",
    "cvs_store_name": "cvs_store_name",
    "cvs_store_id": "cvs_store_id",
}


# ``fenrun.wiring`` appends the sections other apps add to checkout (the invoice choice), so
# that orders imports none of them. A section gives ``fields()`` (added to the form),
# ``template`` (its partial, rendered in the form), ``clean(cleaned_data)`` (field → messages)
# and ``placement_context(cleaned_data)`` (added to the OrderPlaced event's context).
CHECKOUT_SECTIONS: list = []


class ShippingMethodField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class DescribedRadioSelect(forms.RadioSelect):
    """Radio buttons whose options each carry a line saying what choosing them means."""

    descriptions: dict[str, str] = {}

    def create_option(self, name, value, *args, **kwargs):
        option = super().create_option(name, value, *args, **kwargs)
        option["description"] = self.descriptions.get(str(value), "")
        return option


class CheckoutForm(TokenForm):
    # The one-time token (TokenForm) makes a double-submitted checkout one order; the form is
    # alone on its page, so its fields keep Django's usual ids.
    id_prefix = ""

    recipient_name = forms.CharField(
        label=_("Recipient name"),
        max_length=60,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    recipient_phone = forms.CharField(
        label=_("Mobile phone"),
        max_length=20,
        help_text=_("10 digits starting with 09, e.g. 0912345678."),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}),
    )
    email = forms.EmailField(
        label=_("Email"),
        help_text=_("We contact you here about this order."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    shipping_method = ShippingMethodField(
        label=_("Shipping method"),
        queryset=ShippingMethod.objects.filter(is_active=True),
        empty_label=None,
        widget=forms.RadioSelect,
    )
    county = forms.ChoiceField(
        label=_("County / city"),
        choices=[("", _("Choose…")), *COUNTIES],
        required=False,
        widget=forms.Select(attrs={"autocomplete": "address-level1", "data-address": "county"}),
    )
    district = forms.CharField(
        label=_("District"),
        max_length=10,
        required=False,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "address-level2",
                "placeholder": _("e.g. 大安區"),
                "data-address": "district",
            }
        ),
    )
    street = forms.CharField(
        label=_("Street address"),
        max_length=120,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "address-line1"}),
    )
    postal_code = forms.CharField(
        label=_("Postal code"),
        max_length=6,
        required=False,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "postal-code",
                "inputmode": "numeric",
                "data-address": "postal-code",
            }
        ),
    )
    cvs_store_name = forms.CharField(
        label=_("Store name"),
        max_length=60,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. 7-ELEVEN 復興門市")}),
    )
    cvs_store_id = forms.CharField(
        label=_("Store id"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    payment_method = forms.ChoiceField(
        label=_("Payment method"), choices=PaymentMethod.choices, widget=DescribedRadioSelect
    )
    note = forms.CharField(
        label=_("Note to the shop"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    credit_to_use = forms.DecimalField(
        label=_("Shopping credit to use"),
        required=False,
        min_value=Decimal("0"),
        decimal_places=0,
        max_digits=10,
        widget=forms.NumberInput(
            attrs={
                "inputmode": "numeric",
                "min": "0",
                "step": "1",
                # The summary follows what is typed; the server computes it (views.checkout_summary).
                "hx-get": reverse_lazy("orders:checkout_summary"),
                "hx-trigger": "input changed delay:300ms",
                "hx-target": "#checkout-summary",
                "hx-swap": "outerHTML",
                "hx-include": "[name='shipping_method']",
                "hx-sync": "closest form:replace",
                "aria-controls": "checkout-summary",
            }
        ),
    )

    def __init__(
        self,
        *args,
        credit_available: Decimal | None = None,
        payment: list[tuple[str, str]] | None = None,
        payment_descriptions: dict[str, str] | None = None,
        **kwargs,
    ):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        if payment is not None:
            # Bank transfer, cash on delivery and the enabled providers' methods; "gateway"
            # alone (older pages) still means the first online method.
            self.fields["payment_method"].choices = payment
            self.fields["payment_method"].widget.descriptions = payment_descriptions or {}
            self.legacy_gateway = next((c for c, _l in payment if "." in c), "")
        self.fields["token"].error_messages["required"] = _(
            "This page is out of date. Check your order and submit it again."
        )
        self.sections = list(CHECKOUT_SECTIONS)
        for section in self.sections:
            self.fields.update(section.fields())
        self.credit_available = credit_available or Decimal("0")
        if self.credit_available <= 0:
            del self.fields["credit_to_use"]
        else:
            self.fields["credit_to_use"].max_value = self.credit_available
            self.fields["credit_to_use"].widget.attrs["max"] = str(self.credit_available)

    def clean_payment_method(self):
        return self.cleaned_data["payment_method"]

    def full_clean(self):
        legacy = getattr(self, "legacy_gateway", "")
        if self.is_bound and legacy and self.data.get("payment_method") == "gateway":
            self.data = self.data.copy()
            self.data["payment_method"] = legacy
        super().full_clean()

    @property
    def section_templates(self) -> list[str]:
        return [section.template for section in self.sections]

    def placement_context(self) -> dict:
        """What the sections add to the placed order's event (after ``is_valid``)."""
        context = {}
        for section in self.sections:
            context.update(section.placement_context(self.cleaned_data))
        return context

    def clean(self):
        cleaned = super().clean()
        for section in self.sections:
            for name, messages in section.clean(cleaned).items():
                if name not in self.errors:
                    self.add_error(name, messages)
        method = cleaned.get("shipping_method")
        if method is None:
            return cleaned
        recipient = Recipient(
            **{attr: str(cleaned.get(name) or "") for name, attr in RECIPIENT_FIELDS.items()}
        )
        try:
            recipient = validate_recipient(recipient, method)
        except CheckoutError as exc:
            # A field the form already refused (empty, not a listed county) keeps that error.
            for name, messages in exc.errors.items():
                if name not in self.errors:
                    self.add_error(name if name in self.fields else None, messages)
        else:
            cleaned.update(
                {name: getattr(recipient, attr) for name, attr in RECIPIENT_FIELDS.items()}
            )
        return cleaned
