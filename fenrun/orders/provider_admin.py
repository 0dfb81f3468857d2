"""The back office's payment-provider settings: on/off, environment, methods and keys.

Keys are write-only here: typed into a password field, stored encrypted
(``fenrun.core.secrets``), never shown again; an empty field keeps the stored key. A key given
in the environment wins and is shown as such.
"""

from django import forms
from django.conf import settings
from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.decorators import display

from fenrun.core import secrets
from fenrun.core.permissions import Capability, CapabilityAdminMixin
from fenrun.orders.gateways import REGISTRY
from fenrun.orders.models import PaymentProvider

INSTALMENTS = [(3, _("3 instalments")), (6, _("6 instalments")), (12, _("12 instalments"))]


def _method_choices():
    choices = []
    for code, cls in REGISTRY.items():
        gateway = cls() if code == "test" else cls(config=_BLANK)
        choices += [(m.code, f"{gateway.label}: {m.label}") for m in gateway.methods()]
    return list(dict(choices).items())


class _Blank:
    mode = "test"
    merchant_id = key = iv = ""
    installments = ()


_BLANK = _Blank()


class PaymentProviderForm(forms.ModelForm):
    code = forms.ChoiceField(label=_("provider"))
    key = forms.CharField(
        label=_("Key (HashKey / channel secret)"),
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty to keep the stored key."),
    )
    iv = forms.CharField(
        label=_("HashIV (ECPay)"),
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty to keep the stored value."),
    )
    methods = forms.MultipleChoiceField(
        label=_("enabled methods"), required=False, widget=forms.CheckboxSelectMultiple
    )
    installments = forms.TypedMultipleChoiceField(
        label=_("card instalments (ECPay)"),
        required=False,
        coerce=int,
        choices=INSTALMENTS,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = PaymentProvider
        fields = ("code", "is_enabled", "mode", "merchant_id", "methods", "installments")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].choices = [
            (code, cls.label) for code, cls in REGISTRY.items() if code != "test"
        ] + [("test", _("Test payment gateway"))]
        self.fields["methods"].choices = _method_choices()

    def clean(self):
        cleaned = super().clean()
        try:
            for name in ("key", "iv"):
                if cleaned.get(name):
                    cleaned[f"{name}_encrypted"] = secrets.encrypt(cleaned[name].strip())
        except secrets.SecretsKeyMissing as exc:
            raise forms.ValidationError(exc.message) from exc
        if cleaned.get("is_enabled") and cleaned.get("mode") == PaymentProvider.Mode.STANDIN:
            if not settings.FENRUN_STANDINS_ENABLED:
                self.add_error("mode", _("The local stand-ins are switched off on this server."))
        return cleaned

    def save(self, commit=True):
        row = super().save(commit=False)
        for name in ("key_encrypted", "iv_encrypted"):
            if self.cleaned_data.get(name):
                setattr(row, name, self.cleaned_data[name])
        if commit:
            row.save()
        return row


@admin.register(PaymentProvider)
class PaymentProviderAdmin(CapabilityAdminMixin, ModelAdmin):
    capabilities = {
        "view": Capability.MANAGE_INTEGRATIONS,
        "add": Capability.MANAGE_INTEGRATIONS,
        "change": Capability.MANAGE_INTEGRATIONS,
        "delete": Capability.MANAGE_INTEGRATIONS,
    }
    form = PaymentProviderForm
    list_display = ("code", "is_enabled", "mode", "merchant_id", "keys_from", "updated_at")
    readonly_fields = ("keys_from",)
    fieldsets = (
        (None, {"fields": ("code", "is_enabled", "mode")}),
        (_("Merchant"), {"fields": ("merchant_id", "key", "iv", "keys_from")}),
        (_("Methods"), {"fields": ("methods", "installments")}),
    )

    @display(description=_("keys"))
    def keys_from(self, obj):
        env = settings.FENRUN_PAYMENT_CREDENTIALS.get(getattr(obj, "code", ""), {})
        if env.get("key"):
            return _("from the environment")
        if obj and obj.key_encrypted:
            return _("stored, encrypted")
        return _("none yet")
