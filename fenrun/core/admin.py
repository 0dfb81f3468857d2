"""Back office for integrations: the API tokens of POS systems and other shops."""

from django import forms
from django.contrib import admin
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin

from fenrun.core.auth import new_key, validate_integrator_name
from fenrun.core.models import IntegratorToken, ShareSettings
from fenrun.core.permissions import Capability, CapabilityAdminMixin
from fenrun.core.scopes import DEFAULT_SCOPES, choices, clean_scopes


class IntegratorTokenForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        label=_("scopes"),
        choices=choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("What the key may do; a call it has no scope for is refused."),
    )

    class Meta:
        model = IntegratorToken
        fields = ("name", "is_active", "scopes")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance.pk:
            self.initial.setdefault("scopes", [str(s) for s in DEFAULT_SCOPES])

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        validate_integrator_name(name)
        return name

    def clean_scopes(self):
        # The choices already refuse an unknown scope; this stores them in one order.
        return clean_scopes(self.cleaned_data["scopes"])


@admin.register(IntegratorToken)
class IntegratorTokenAdmin(CapabilityAdminMixin, ModelAdmin):
    """Keys are shown once, on the page right after adding; only their hash is stored."""

    capabilities = {
        "view": Capability.MANAGE_INTEGRATIONS,
        "add": Capability.MANAGE_INTEGRATIONS,
        "change": Capability.MANAGE_INTEGRATIONS,
        "delete": Capability.MANAGE_INTEGRATIONS,
    }
    form = IntegratorTokenForm
    list_display = ("name", "prefix", "scope_list", "is_active", "created_at", "last_used_at")
    list_filter = ("is_active",)
    search_fields = ("name", "prefix")
    readonly_fields = ("prefix", "created_at", "last_used_at")

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("name", "is_active", "scopes")
        return ("name", "prefix", "is_active", "scopes", "created_at", "last_used_at")

    @admin.display(description=_("scopes"))
    def scope_list(self, obj):
        return " ".join(obj.scopes or ()) or "—"

    def get_readonly_fields(self, request, obj=None):
        # The name is the source stamped on the integrator's orders: renaming would orphan them.
        return ("name", *self.readonly_fields) if obj else ()

    def save_model(self, request, obj, form, change):
        if not change:
            plain, obj.key_hash, obj.prefix = new_key()
            obj._plain_key = plain
        super().save_model(request, obj, form, change)

    def response_add(self, request, obj, post_url_continue=None):
        return TemplateResponse(
            request,
            "admin/core/integratortoken/key_issued.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": gettext("Integrator key for %(name)s") % {"name": obj.name},
                "token": obj,
                "key": obj._plain_key,
                "changelist_url": reverse(
                    "admin:core_integratortoken_changelist", current_app=self.admin_site.name
                ),
            },
        )


@admin.register(ShareSettings)
class ShareSettingsAdmin(CapabilityAdminMixin, ModelAdmin):
    """One row: the list opens it directly (created on first visit); nobody deletes it."""

    capabilities = {
        "view": Capability.MANAGE_CATALOGUE,
        "add": Capability.MANAGE_CATALOGUE,
        "change": Capability.MANAGE_CATALOGUE,
    }
    fields = ("cover_image", "description")

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_or_change_permission(request):
            return super().changelist_view(request, extra_context)
        obj, _created = ShareSettings.objects.get_or_create(pk=ShareSettings.SINGLETON_PK)
        return redirect(
            reverse(
                "admin:core_sharesettings_change", args=[obj.pk], current_app=self.admin_site.name
            )
        )
