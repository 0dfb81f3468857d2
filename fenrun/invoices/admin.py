"""Back office: every invoice with its state, failures first in view, and "retry now"."""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin, TabularInline

from fenrun.core.permissions import Capability as C
from fenrun.core.permissions import CapabilityAdminMixin, has
from fenrun.invoices import services
from fenrun.invoices.models import Allowance, Invoice, InvoiceAttempt

READERS = (C.MANAGE_ORDERS, C.FULFIL_ORDERS)


class NeedsStaffFilter(admin.SimpleListFilter):
    title = _("needs attention")
    parameter_name = "failing"

    def lookups(self, request, model_admin):
        return [("yes", _("A call failed, waiting for its retry"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(last_error="")
        return queryset


class AllowanceInline(TabularInline):
    model = Allowance
    extra = 0
    can_delete = False
    fields = ("reference", "amount", "status", "number", "issued_at", "attempts", "last_error")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class AttemptInline(TabularInline):
    model = InvoiceAttempt
    extra = 0
    can_delete = False
    fields = ("created_at", "operation", "ok", "error")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Invoice)
class InvoiceAdmin(CapabilityAdminMixin, ModelAdmin):
    capabilities = {"view": READERS}
    list_display = ("order", "number", "random_code", "status", "amount", "issued_at", "last_error")
    list_filter = ("status", NeedsStaffFilter)
    search_fields = ("number", "relate_number", "order__number")
    list_select_related = ("order",)
    readonly_fields = (
        "order",
        "provider",
        "relate_number",
        "status",
        "operation",
        "amount",
        "number",
        "random_code",
        "issued_at",
        "voided_at",
        "attempts",
        "next_attempt_at",
        "last_error",
        "response",
    )
    fields = readonly_fields
    inlines = (AllowanceInline, AttemptInline)

    def has_change_permission(self, request, obj=None):
        return False

    def get_urls(self):
        return [
            path(
                "<path:object_id>/retry/",
                self.admin_site.admin_view(self.retry_view),
                name="invoices_invoice_retry",
            ),
            *super().get_urls(),
        ]

    def retry_view(self, request, object_id):
        """Staff's "retry now" for an invoice whose call failed; back to the order's page."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not has(request.user, C.MANAGE_ORDERS):
            raise PermissionDenied
        invoice = Invoice.objects.filter(pk=unquote(object_id)).first()
        if invoice is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        services.retry_now(invoice)
        invoice.refresh_from_db()
        if invoice.last_error:
            messages.error(
                request,
                gettext("The invoice call failed again: %(error)s") % {"error": invoice.last_error},
            )
        else:
            messages.success(request, gettext("The invoice's waiting work was sent again."))
        return HttpResponseRedirect(
            reverse(
                "admin:orders_order_change",
                args=[invoice.order_id],
                current_app=self.admin_site.name,
            )
        )
