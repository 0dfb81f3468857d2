"""Back office: wallet settings (editable) and the books (read-only).

Money moves only through the wallet's services, so ledger rows, requests and adjustments are
read-only here (only "view" is declared, so nobody, superusers included, may change them);
decisions and adjustments are made on the staff wallet pages, linked below.
"""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin, TabularInline

from fenrun.accounts.contact import ContactMaskingAdminMixin
from fenrun.core.permissions import Capability, CapabilityAdminMixin, has
from fenrun.wallet.models import (
    Account,
    Adjustment,
    Conversion,
    Entry,
    Transaction,
    WalletSettings,
    Withdrawal,
)


class ReadOnlyAdmin(CapabilityAdminMixin, ContactMaskingAdminMixin, ModelAdmin):
    capabilities = {"view": Capability.VIEW_WALLETS}
    member_columns = {"member": _("member"), "owner": _("owner")}


@admin.register(WalletSettings)
class WalletSettingsAdmin(CapabilityAdminMixin, ModelAdmin):
    # Settings are the shop's money rules (ratio, fees, credit cap) for every member, like the
    # commission plans; adjusting one wallet is a different, narrower right. See docs/wallet.md.
    capabilities = {
        "view": (Capability.MANAGE_PLANS, Capability.VIEW_WALLETS),
        "change": Capability.MANAGE_PLANS,
        "add": Capability.MANAGE_PLANS,
    }

    fieldsets = (
        (
            _("Conversion of coins into shopping credit"),
            {
                "fields": ("conversion_mode", "conversion_ratio", "conversion_minimum"),
            },
        ),
        (
            _("Cash withdrawals"),
            {
                "fields": ("withdrawal_minimum", "withdrawal_fee", "withdrawal_fee_percent"),
            },
        ),
        (
            _("Shopping credit at checkout"),
            {
                "fields": ("credit_max_share_percent", "credit_covers_shipping"),
            },
        ),
    )

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not WalletSettings.objects.exists()

    def changelist_view(self, request, extra_context=None):
        from django.core.exceptions import PermissionDenied
        from django.shortcuts import redirect

        # One row of settings: the list is its page, for those who may see it.
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        settings = WalletSettings.load()
        return redirect("admin:wallet_walletsettings_change", settings.pk)


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ("id", "owner", "kind", "balance", "updated_at")
    list_filter = ("kind",)
    search_fields = ("owner__email", "owner__name")
    list_select_related = ("owner",)


class EntryInline(TabularInline):
    model = Entry
    fields = ("account", "amount", "balance_after")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_view_permission(self, request, obj=None):
        return has(request.user, Capability.VIEW_WALLETS)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Transaction)
class TransactionAdmin(ReadOnlyAdmin):
    list_display = ("id", "created_at", "kind", "source_type", "source_id", "member", "memo")
    list_filter = ("kind", "source_type")
    search_fields = ("source_id", "member__email", "memo")
    list_select_related = ("member",)
    date_hierarchy = "created_at"
    inlines = [EntryInline]


@admin.register(Entry)
class EntryAdmin(ReadOnlyAdmin):
    list_display = ("id", "created_at", "transaction", "account", "amount", "balance_after")
    list_filter = ("account__kind",)
    search_fields = ("account__owner__email",)
    list_select_related = ("transaction", "account", "account__owner")


def _queue_link(_obj=None):
    return format_html('<a href="{}">{}</a>', reverse("wallet:staff_queues"), _("Review queue"))


@admin.register(Conversion)
class ConversionAdmin(ReadOnlyAdmin):
    list_display = ("id", "created_at", "member", "coins", "credit", "origin", "status", "review")
    list_filter = ("status", "origin")
    search_fields = ("member__email", "member__name")
    list_select_related = ("member",)

    @admin.display(description=_("review"))
    def review(self, obj):
        return _queue_link() if obj.status == Conversion.Status.PENDING else ""


@admin.register(Withdrawal)
class WithdrawalAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "created_at",
        "member",
        "amount",
        "fee",
        "payout",
        "bank",
        "status",
        "reference",
        "review",
    )
    list_filter = ("status",)
    search_fields = ("member__email", "member__name", "reference")
    list_select_related = ("member",)
    exclude = ("account_number", "account_name")

    @admin.display(description=_("bank account"))
    def bank(self, obj):
        return f"{obj.bank_code} {obj.masked_account_number}"

    @admin.display(description=_("review"))
    def review(self, obj):
        return format_html(
            '<a href="{}">{}</a>', reverse("wallet:staff_withdrawal", args=[obj.pk]), _("Open")
        )


@admin.register(Adjustment)
class AdjustmentAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "created_at",
        "member",
        "account_kind",
        "amount",
        "reason",
        "actor",
        "adjust_link",
    )
    list_filter = ("account_kind",)
    search_fields = ("member__email", "reason")
    list_select_related = ("member", "actor")

    @admin.display(description=_("adjust"))
    def adjust_link(self, obj):
        return format_html(
            '<a href="{}">{}</a>', reverse("wallet:staff_member", args=[obj.member_id]), _("Wallet")
        )
