from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin

from fenrun.analytics.models import MemberTag, TagRule
from fenrun.analytics.services import recompute_member_tags
from fenrun.core.permissions import Capability, CapabilityAdminMixin, has

C = Capability


@admin.register(TagRule)
class TagRuleAdmin(CapabilityAdminMixin, ModelAdmin):
    # Tag rules are marketing's tool; anyone who reads reports may look at how tags are earned.
    capabilities = {
        "view": (C.VIEW_REPORTS, C.MANAGE_CAMPAIGNS),
        "add": C.MANAGE_CAMPAIGNS,
        "change": C.MANAGE_CAMPAIGNS,
        "delete": C.MANAGE_CAMPAIGNS,
    }
    action_capabilities = {"recompute": C.MANAGE_CAMPAIGNS}
    list_display = (
        "name",
        "metric",
        "period",
        "period_days",
        "threshold",
        "top_percent",
        "is_active",
        "last_computed_at",
    )
    list_filter = ("metric", "period", "is_active")
    search_fields = ("name", "description")
    readonly_fields = ("last_computed_at", "created_at")
    fieldsets = (
        (None, {"fields": ("name", "description", "color", "is_active")}),
        (_("Figure"), {"fields": ("metric", "period", "period_days")}),
        (
            _("Who gets the tag (one of the two)"),
            {"fields": ("threshold", "top_percent")},
        ),
        (_("Status"), {"fields": ("last_computed_at", "created_at")}),
    )
    actions = ["recompute"]

    @admin.action(
        description=_("Recompute the tags of the selected rules now"), permissions=["recompute"]
    )
    def recompute(self, request, queryset):
        results = recompute_member_tags(rule_ids=list(queryset.values_list("pk", flat=True)))
        for r in results:
            self.message_user(
                request,
                _("%(rule)s: %(n)d members tagged.") % {"rule": r.rule, "n": r.tagged},
                messages.SUCCESS,
            )


@admin.register(MemberTag)
class MemberTagAdmin(CapabilityAdminMixin, ModelAdmin):
    # Tags come from the rules: nobody adds or edits one by hand (it would vanish at the next
    # recompute); marketing may remove one, which the next recompute decides again.
    capabilities = {"view": (C.VIEW_REPORTS, C.MANAGE_CAMPAIGNS), "delete": C.MANAGE_CAMPAIGNS}
    list_display = ("member_name", "rule", "value", "computed_at")
    list_filter = ("rule",)
    search_fields = ("member__name", "member__email")
    list_select_related = ("member", "rule")
    raw_id_fields = ("member",)

    @admin.display(description=_("Member"), ordering="member__name")
    def member_name(self, obj):
        return obj.member.name or f"#{obj.member_id}"

    def get_list_display(self, request):
        # A member without a name shows as their e-mail: only to those who may see it.
        if has(request.user, C.VIEW_CONTACT_DATA):
            return ("member", *self.list_display[1:])
        return self.list_display

    def get_search_fields(self, request):
        # Searching by e-mail would confirm whose address it is.
        if has(request.user, C.VIEW_CONTACT_DATA):
            return self.search_fields
        return ("member__name",)
