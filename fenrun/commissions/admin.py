"""Back office: plans, versions and assignments; commissions are read-only (money records).

Plans are edited on the dedicated plan page (rates grid, legal warning, preview); the admin
links there rather than offering a second, weaker editor of versions. Each screen names the
capability it needs: plans, assignments and settings are plan work (``MANAGE_PLANS``);
commissions and settlements are read by those who settle them or read reports; versions,
commissions and settlements declare "view" only, so nobody edits them here. Members' e-mail
addresses are shown only with ``VIEW_CONTACT_DATA``.
"""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin, TabularInline

from fenrun.commissions.models import (
    Commission,
    CommissionPlan,
    CommissionSettings,
    OrderSettlement,
    PlanAssignment,
    PlanGuaranteedLevel,
    PlanRate,
    PlanVersion,
)
from fenrun.core.permissions import Capability, CapabilityAdminMixin, has
from fenrun.core.privacy import mask_email

PLANS = Capability.MANAGE_PLANS
MONEY_READERS = (Capability.SETTLE_COMMISSIONS, Capability.VIEW_REPORTS)


def masked_member(user) -> str:
    if user is None:
        return "—"
    email = mask_email(user.email)
    return f"{user.name} ({email})" if user.name else email


class MemberColumnsMixin:
    """Columns and fields naming a member (``member_fields``) show the name and a masked e-mail
    address to staff without the contact-data capability, who cannot search by e-mail either.
    Each such field ``x`` has an ``x_masked`` display method."""

    member_fields: tuple[str, ...] = ()

    def _for(self, request, names):
        if has(request.user, Capability.VIEW_CONTACT_DATA):
            return names
        return [f"{n}_masked" if n in self.member_fields else n for n in names]

    def get_list_display(self, request):
        return self._for(request, super().get_list_display(request))

    def get_fields(self, request, obj=None):
        return self._for(request, super().get_fields(request, obj))

    def get_readonly_fields(self, request, obj=None):
        return self._for(request, super().get_readonly_fields(request, obj))

    def get_search_fields(self, request):
        fields = super().get_search_fields(request)
        if has(request.user, Capability.VIEW_CONTACT_DATA):
            return fields
        return [f for f in fields if "email" not in f]


class PlanAssignmentInline(CapabilityAdminMixin, TabularInline):
    capabilities = {"view": PLANS, "change": PLANS, "add": PLANS, "delete": PLANS}
    model = PlanAssignment
    extra = 0
    fields = ["target", "product", "category", "member", "group"]
    raw_id_fields = ["product", "member"]


class PlanVersionInline(CapabilityAdminMixin, TabularInline):
    capabilities = {"view": PLANS}
    model = PlanVersion
    extra = 0
    fields = [
        "number",
        "mode",
        "levels",
        "cap",
        "created_at",
        "created_by",
        "legal_acknowledged_by",
        "legal_acknowledged_at",
    ]
    readonly_fields = fields
    show_change_link = True


@admin.register(CommissionPlan)
class CommissionPlanAdmin(CapabilityAdminMixin, ModelAdmin):
    capabilities = {"view": PLANS, "change": PLANS, "add": PLANS, "delete": PLANS}
    list_display = ["name", "is_default", "current_version_label", "editor_link"]
    search_fields = ["name", "description"]
    fields = ["name", "description", "is_default", "editor_link"]
    readonly_fields = ["is_default", "editor_link"]
    inlines = [PlanAssignmentInline, PlanVersionInline]

    @admin.display(description=_("Version"))
    def current_version_label(self, obj):
        version = obj.current_version
        return f"v{version.number}" if version else "—"

    @admin.display(description=_("Rates and preview"))
    def editor_link(self, obj):
        if obj.pk is None:
            return format_html(
                '<a href="{}">{}</a>', reverse("commissions:plan_create"), _("Open the plan editor")
            )
        return format_html(
            '<a href="{}">{}</a>',
            reverse("commissions:plan_edit", args=[obj.pk]),
            _("Open the plan editor"),
        )

    def add_view(self, request, form_url="", extra_context=None):
        # New plans need rates: the plan editor is the one place that creates them.
        from django.shortcuts import redirect

        return redirect("commissions:plan_create")


class PlanRateInline(CapabilityAdminMixin, TabularInline):
    capabilities = {"view": PLANS}
    model = PlanRate
    extra = 0
    fields = ["row", "level", "rate"]
    readonly_fields = fields


class PlanGuaranteedLevelInline(CapabilityAdminMixin, TabularInline):
    capabilities = {"view": PLANS}
    model = PlanGuaranteedLevel
    extra = 0
    fields = ["tree_level", "rate"]
    readonly_fields = fields


@admin.register(PlanVersion)
class PlanVersionAdmin(CapabilityAdminMixin, ModelAdmin):
    capabilities = {"view": PLANS}
    list_display = [
        "plan",
        "number",
        "mode",
        "levels",
        "cap",
        "created_at",
        "legal_acknowledged_by",
    ]
    list_filter = ["mode", "plan"]
    inlines = [PlanRateInline, PlanGuaranteedLevelInline]


@admin.register(PlanAssignment)
class PlanAssignmentAdmin(CapabilityAdminMixin, MemberColumnsMixin, ModelAdmin):
    capabilities = {"view": PLANS, "change": PLANS, "add": PLANS, "delete": PLANS}
    member_fields = ("member",)
    list_display = ["plan", "target", "product", "category", "member", "group"]
    list_filter = ["target", "plan"]
    raw_id_fields = ["product", "member"]

    @admin.display(description=_("member"))
    def member_masked(self, obj):
        return masked_member(obj.member) if obj.member_id else "—"


@admin.register(Commission)
class CommissionAdmin(CapabilityAdminMixin, MemberColumnsMixin, ModelAdmin):
    capabilities = {"view": MONEY_READERS}
    member_fields = ("payee",)
    list_display = [
        "order",
        "payee",
        "level",
        "base",
        "rate",
        "amount",
        "status",
        "available_at",
        "created_at",
    ]
    list_filter = ["status", "rule", "created_at"]
    search_fields = ["order__number", "payee__email", "payee__name"]
    list_select_related = ["order", "payee"]
    readonly_fields = [
        "order",
        "order_line",
        "payee",
        "level",
        "tree_level",
        "base",
        "rate",
        "exact_amount",
        "amount",
        "rule",
        "rule_text",
        "plan_version",
        "status",
        "available_at",
        "released_at",
        "reversed_at",
        "created_at",
    ]
    fields = readonly_fields
    date_hierarchy = "created_at"

    @admin.display(description=_("payee"))
    def payee_masked(self, obj):
        return masked_member(obj.payee)


@admin.register(OrderSettlement)
class OrderSettlementAdmin(CapabilityAdminMixin, MemberColumnsMixin, ModelAdmin):
    capabilities = {"view": MONEY_READERS}
    member_fields = ("referrer",)
    list_display = [
        "order",
        "referrer",
        "total",
        "automatic",
        "created_at",
        "reversed_at",
        "commissions_link",
    ]
    search_fields = ["order__number"]
    list_select_related = ["order", "referrer"]

    @admin.display(description=_("referrer"))
    def referrer_masked(self, obj):
        return masked_member(obj.referrer)

    @admin.display(description=_("Commissions"))
    def commissions_link(self, obj):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("commissions:order_commissions", args=[obj.order_id]),
            _("Open"),
        )


@admin.register(CommissionSettings)
class CommissionSettingsAdmin(CapabilityAdminMixin, ModelAdmin):
    # No "delete": the one settings row stays.
    capabilities = {"view": PLANS, "change": PLANS, "add": PLANS}
    list_display = ["__str__", "automatic", "hold_days"]
    fields = ["automatic", "hold_days"]

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not CommissionSettings.objects.exists()
