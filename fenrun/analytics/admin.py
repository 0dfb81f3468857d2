from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin

from fenrun.analytics.models import MemberTag, TagRule
from fenrun.analytics.services import recompute_member_tags


@admin.register(TagRule)
class TagRuleAdmin(ModelAdmin):
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

    @admin.action(description=_("Recompute the tags of the selected rules now"))
    def recompute(self, request, queryset):
        results = recompute_member_tags(rule_ids=list(queryset.values_list("pk", flat=True)))
        for r in results:
            self.message_user(
                request,
                _("%(rule)s: %(n)d members tagged.") % {"rule": r.rule, "n": r.tagged},
                messages.SUCCESS,
            )


@admin.register(MemberTag)
class MemberTagAdmin(ModelAdmin):
    list_display = ("member", "rule", "value", "computed_at")
    list_filter = ("rule",)
    search_fields = ("member__name", "member__email")
    list_select_related = ("member", "rule")
    raw_id_fields = ("member",)

    def has_add_permission(self, request):
        # Tags come from the rules; a hand-made one would vanish at the next recompute.
        return False

    def has_change_permission(self, request, obj=None):
        return False
