from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from unfold.admin import ModelAdmin

from fenrun.accounts.contact import ContactMaskingAdminMixin
from fenrun.core.errors import add_to_form
from fenrun.core.permissions import Capability, CapabilityAdminMixin, has, has_any
from fenrun.referrals import selectors, services, signups
from fenrun.referrals.forms import MemberLookupForm, ReassignForm
from fenrun.referrals.models import (
    Campaign,
    Click,
    OrderAttribution,
    ReferralCode,
    ReferralNode,
    ReferralSettings,
    SignupReview,
    SponsorChange,
)

C = Capability
# Who may look at the tree: report readers, and whoever re-assigns sponsors (they need to see
# what they move).
TREE_READERS = (C.VIEW_REPORTS, C.CHANGE_SPONSORS)


class ReportAdmin(CapabilityAdminMixin, ContactMaskingAdminMixin, ModelAdmin):
    """Read-only figures: only "view" is declared, so nobody changes them here."""

    capabilities = {"view": C.VIEW_REPORTS}
    member_columns = {
        "user": gettext_lazy("member"),
        "member": gettext_lazy("member"),
        "sponsor": gettext_lazy("sponsor"),
        "old_sponsor": gettext_lazy("old sponsor"),
        "new_sponsor": gettext_lazy("new sponsor"),
        "actor": gettext_lazy("changed by"),
        "referrer": gettext_lazy("referrer"),
        "owner": gettext_lazy("owner"),
    }


@admin.register(ReferralNode)
class ReferralNodeAdmin(ReportAdmin):
    """The tree is changed only through the re-assignment page, which keeps it a tree."""

    capabilities = {"view": TREE_READERS}

    list_display = ("user", "sponsor", "depth", "bound_via", "bound_at", "tree_link")
    list_filter = ("bound_via", "depth")
    search_fields = ("user__email", "user__name", "user__phone")
    list_select_related = ("user", "sponsor")
    raw_id_fields = ("user", "sponsor")
    exclude = ("path",)
    ordering = ("-bound_at",)

    @admin.display(description=gettext_lazy("Tree"))
    def tree_link(self, obj):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:referrals_tree", args=[obj.pk]),
            _("Tree around this member"),
        )

    def get_urls(self):
        return [
            path(
                "tree/",
                self.admin_site.admin_view(self.tree_lookup_view),
                name="referrals_tree_lookup",
            ),
            path(
                "tree/<int:user_id>/",
                self.admin_site.admin_view(self.tree_view),
                name="referrals_tree",
            ),
        ] + super().get_urls()

    def _context(self, request, title):
        return {**self.admin_site.each_context(request), "opts": self.model._meta, "title": title}

    def tree_lookup_view(self, request):
        if not has_any(request.user, TREE_READERS):
            raise PermissionDenied
        form = MemberLookupForm(request.GET or None)
        if form.is_valid():
            return redirect("admin:referrals_tree", form.cleaned_data["member"].pk)
        return TemplateResponse(
            request,
            "admin/referrals/tree.html",
            {**self._context(request, _("Referral tree")), "lookup": form, "view": None},
        )

    def tree_view(self, request, user_id: int):
        if not has_any(request.user, TREE_READERS):
            raise PermissionDenied
        member = get_object_or_404(get_user_model(), pk=user_id)
        services.ensure_node(member)
        can_reassign = has(request.user, C.CHANGE_SPONSORS)
        form = ReassignForm(request.POST or None) if can_reassign else None
        if request.method == "POST" and form is not None and form.is_valid():
            try:
                services.reassign_sponsor(
                    member,
                    form.cleaned_data["member"],
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                    sponsor_field="member",
                )
            except services.ReferralError as exc:
                add_to_form(form, exc)
            else:
                messages.success(request, _("Sponsor changed."))
                return redirect("admin:referrals_tree", member.pk)
        return TemplateResponse(
            request,
            "admin/referrals/tree.html",
            {
                **self._context(request, _("Referral tree around %(member)s") % {"member": member}),
                "lookup": MemberLookupForm(),
                "view": selectors.tree_around(member.pk),
                "form": form,
            },
        )


@admin.register(SponsorChange)
class SponsorChangeAdmin(ReportAdmin):
    """The audit trail of re-assignments: made on the tree page, never edited."""

    capabilities = {"view": TREE_READERS}
    list_display = ("created_at", "member", "old_sponsor", "new_sponsor", "actor", "reason")
    search_fields = ("member__email", "reason")
    list_select_related = ("member", "old_sponsor", "new_sponsor", "actor")


@admin.register(ReferralCode)
class ReferralCodeAdmin(ReportAdmin):
    # A member's code is part of their account: reading it is a report, changing it is
    # managing the member.
    capabilities = {
        "view": C.VIEW_REPORTS,
        "change": C.MANAGE_MEMBERS,
        "add": C.MANAGE_MEMBERS,
        "delete": C.MANAGE_MEMBERS,
    }
    list_display = ("code", "user", "kind", "created_at")
    list_filter = ("kind",)
    search_fields = ("code", "user__email")
    raw_id_fields = ("user",)
    list_select_related = ("user",)


@admin.register(Campaign)
class CampaignAdmin(ReportAdmin):
    capabilities = {
        "view": (C.MANAGE_CAMPAIGNS, C.VIEW_REPORTS),
        "change": C.MANAGE_CAMPAIGNS,
        "add": C.MANAGE_CAMPAIGNS,
        "delete": C.MANAGE_CAMPAIGNS,
    }
    list_display = ("title", "slug", "kind", "starts_at", "ends_at", "owner", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("title", "slug")
    prepopulated_fields = {"slug": ("title",)}
    raw_id_fields = ("owner", "created_by")


@admin.register(Click)
class ClickAdmin(ReportAdmin):
    list_display = (
        "created_at",
        "code",
        "referrer",
        "target_path",
        "campaign",
        "utm_source",
        "utm_medium",
    )
    list_filter = ("utm_source", "utm_medium", "campaign")
    search_fields = ("code__code", "referrer__email", "utm_campaign")
    list_select_related = ("code", "referrer", "campaign")
    date_hierarchy = "created_at"


@admin.register(OrderAttribution)
class OrderAttributionAdmin(ReportAdmin):
    list_display = ("order", "referrer", "campaign", "click", "created_at")
    search_fields = ("order__number", "referrer__email")
    list_select_related = ("order", "referrer", "campaign")
    raw_id_fields = ("order", "referrer", "click")


@admin.register(ReferralSettings)
class ReferralSettingsAdmin(CapabilityAdminMixin, ModelAdmin):
    # The attribution window decides who earns a commission: a money rule, like the plans.
    # Marketing may read it. See docs/referral-tree.md.
    capabilities = {
        "view": (C.MANAGE_PLANS, C.MANAGE_CAMPAIGNS, C.VIEW_REPORTS),
        "change": C.MANAGE_PLANS,
        "add": C.MANAGE_PLANS,
    }
    list_display = (
        "__str__",
        "attribution_window_days",
        "unknown_code_limit",
        "members_create_campaigns",
    )

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not ReferralSettings.objects.exists()

    def save_model(self, request, obj, form, change):
        obj.pk = 1
        super().save_model(request, obj, form, change)
        services.forget_settings_cache()
        messages.info(
            request, _("The new window applies to every visitor's attribution from now on.")
        )


@admin.register(SignupReview)
class SignupReviewAdmin(CapabilityAdminMixin, ContactMaskingAdminMixin, ModelAdmin):
    """Sign-ups flagged as a burst under one sponsor: staff who manage members approve them
    (they count again for leaderboards and tags) or reject them (they never count)."""

    capabilities = {"view": C.MANAGE_MEMBERS}
    action_capabilities = {"review": C.MANAGE_MEMBERS}
    member_columns = {
        "member": gettext_lazy("member"),
        "sponsor": gettext_lazy("sponsor"),
        "decided_by": gettext_lazy("decided by"),
    }
    list_display = ("member", "sponsor", "reason", "status", "flagged_at", "decided_by")
    list_filter = ("status", "flagged_at")
    search_fields = ("member__email", "member__name", "sponsor__email", "sponsor__name")
    list_select_related = ("member", "sponsor", "decided_by")
    readonly_fields = ("member", "sponsor", "reason", "status", "flagged_at", "decided_by")
    exclude = ("decided_at",)
    ordering = ("-flagged_at",)
    actions = ["approve", "reject"]

    @admin.action(
        description=gettext_lazy("Approve: count the selected sign-ups again"),
        permissions=["review"],
    )
    def approve(self, request, queryset):
        n = signups.decide(queryset, approve=True, actor=request.user)
        self.message_user(request, _("%(n)d sign-ups approved.") % {"n": n}, messages.SUCCESS)

    @admin.action(
        description=gettext_lazy("Reject: never count the selected sign-ups"),
        permissions=["review"],
    )
    def reject(self, request, queryset):
        n = signups.decide(queryset, approve=False, actor=request.user)
        self.message_user(request, _("%(n)d sign-ups rejected.") % {"n": n}, messages.SUCCESS)
