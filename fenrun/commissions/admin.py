"""Back office: plans, versions and assignments; commissions are read-only (money records).

Plans are edited on the dedicated plan page (rates grid, legal warning, preview); the admin
links there rather than offering a second, weaker editor of versions.
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


class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class PlanAssignmentInline(TabularInline):
    model = PlanAssignment
    extra = 0
    fields = ["target", "product", "category", "member", "group"]
    raw_id_fields = ["product", "member"]


class PlanVersionInline(ReadOnlyMixin, TabularInline):
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
class CommissionPlanAdmin(ModelAdmin):
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


class PlanRateInline(ReadOnlyMixin, TabularInline):
    model = PlanRate
    extra = 0
    fields = ["row", "level", "rate"]
    readonly_fields = fields


class PlanGuaranteedLevelInline(ReadOnlyMixin, TabularInline):
    model = PlanGuaranteedLevel
    extra = 0
    fields = ["tree_level", "rate"]
    readonly_fields = fields


@admin.register(PlanVersion)
class PlanVersionAdmin(ReadOnlyMixin, ModelAdmin):
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
class PlanAssignmentAdmin(ModelAdmin):
    list_display = ["plan", "target", "product", "category", "member", "group"]
    list_filter = ["target", "plan"]
    raw_id_fields = ["product", "member"]


@admin.register(Commission)
class CommissionAdmin(ReadOnlyMixin, ModelAdmin):
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


@admin.register(OrderSettlement)
class OrderSettlementAdmin(ReadOnlyMixin, ModelAdmin):
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

    @admin.display(description=_("Commissions"))
    def commissions_link(self, obj):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("commissions:order_commissions", args=[obj.order_id]),
            _("Open"),
        )


@admin.register(CommissionSettings)
class CommissionSettingsAdmin(ModelAdmin):
    list_display = ["__str__", "automatic", "hold_days"]
    fields = ["automatic", "hold_days"]

    def has_add_permission(self, request):
        return not CommissionSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False
