from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from unfold.admin import ModelAdmin

from fenrun.referrals import selectors, services
from fenrun.referrals.forms import MemberLookupForm, ReassignForm
from fenrun.referrals.models import (
    Campaign,
    Click,
    OrderAttribution,
    ReferralCode,
    ReferralNode,
    ReferralSettings,
    SponsorChange,
)


class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ReferralNode)
class ReferralNodeAdmin(ReadOnlyMixin, ModelAdmin):
    """The tree is changed only through the re-assignment page, which keeps it a tree."""

    list_display = ("user", "sponsor", "depth", "bound_via", "bound_at", "tree_link")
    list_filter = ("bound_via", "depth")
    search_fields = ("user__email", "user__name", "user__phone")
    list_select_related = ("user", "sponsor")
    raw_id_fields = ("user", "sponsor")
    exclude = ("path",)
    ordering = ("-bound_at",)

    def has_delete_permission(self, request, obj=None):
        return False

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
        if not request.user.has_perm("referrals.view_referralnode"):
            return redirect("admin:index")
        form = MemberLookupForm(request.GET or None)
        if form.is_valid():
            return redirect("admin:referrals_tree", form.cleaned_data["member"].pk)
        return TemplateResponse(
            request,
            "admin/referrals/tree.html",
            {**self._context(request, _("Referral tree")), "lookup": form, "view": None},
        )

    def tree_view(self, request, user_id: int):
        if not request.user.has_perm("referrals.view_referralnode"):
            return redirect("admin:index")
        member = get_object_or_404(get_user_model(), pk=user_id)
        services.ensure_node(member)
        can_reassign = request.user.has_perm("referrals.add_sponsorchange")
        form = ReassignForm(request.POST or None) if can_reassign else None
        if request.method == "POST" and form is not None and form.is_valid():
            try:
                services.reassign_sponsor(
                    member,
                    form.cleaned_data["member"],
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                )
            except services.ReferralError as exc:
                form.add_error("member" if exc.field == "sponsor" else None, exc.message)
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
class SponsorChangeAdmin(ReadOnlyMixin, ModelAdmin):
    list_display = ("created_at", "member", "old_sponsor", "new_sponsor", "actor", "reason")
    search_fields = ("member__email", "reason")
    list_select_related = ("member", "old_sponsor", "new_sponsor", "actor")

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ReferralCode)
class ReferralCodeAdmin(ModelAdmin):
    list_display = ("code", "user", "kind", "created_at")
    list_filter = ("kind",)
    search_fields = ("code", "user__email")
    raw_id_fields = ("user",)
    list_select_related = ("user",)


@admin.register(Campaign)
class CampaignAdmin(ModelAdmin):
    list_display = ("title", "slug", "kind", "starts_at", "ends_at", "owner", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("title", "slug")
    prepopulated_fields = {"slug": ("title",)}
    raw_id_fields = ("owner", "created_by")


@admin.register(Click)
class ClickAdmin(ReadOnlyMixin, ModelAdmin):
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
class OrderAttributionAdmin(ReadOnlyMixin, ModelAdmin):
    list_display = ("order", "referrer", "campaign", "click", "created_at")
    search_fields = ("order__number", "referrer__email")
    list_select_related = ("order", "referrer", "campaign")
    raw_id_fields = ("order", "referrer", "click")


@admin.register(ReferralSettings)
class ReferralSettingsAdmin(ModelAdmin):
    list_display = (
        "__str__",
        "attribution_window_days",
        "unknown_code_limit",
        "members_create_campaigns",
    )

    def has_add_permission(self, request):
        return not ReferralSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        obj.pk = 1
        super().save_model(request, obj, form, change)
        services.forget_settings_cache()
        messages.info(
            request, _("The new window applies to every visitor's attribution from now on.")
        )
