"""Back office for orders: read-only money, status moves only through the status machine.

Fulfilment (FULFIL_ORDERS) sees orders and ships them, giving the carrier and tracking number
the buyer then sees; everything else (editing the recipient, cancelling, refunding, marking paid,
giving back a duplicate charge) is MANAGE_ORDERS. Buyers' e-mail addresses need VIEW_CONTACT_DATA.
"""

import logging

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin, TabularInline
from unfold.contrib.filters.admin import RangeDateFilter
from unfold.decorators import display

from fenrun.core.errors import DomainError
from fenrun.core.money import format_twd
from fenrun.core.permissions import Capability, CapabilityAdminMixin, has, has_any
from fenrun.core.privacy import mask_email
from fenrun.orders.models import (
    Carrier,
    Order,
    OrderLine,
    OrderStatusChange,
    Payment,
    ShippingMethod,
)
from fenrun.orders.payments import get_gateway, refund_duplicate
from fenrun.orders.services import change_status
from fenrun.orders.status import OrderStatus, allowed_targets

S = OrderStatus
C = Capability
logger = logging.getLogger(__name__)

ORDER_READERS = (C.MANAGE_ORDERS, C.FULFIL_ORDERS)
CATALOGUE = {
    "view": C.MANAGE_CATALOGUE,
    "add": C.MANAGE_CATALOGUE,
    "change": C.MANAGE_CATALOGUE,
    "delete": C.MANAGE_CATALOGUE,
}


def capabilities_to_move_to(target: str) -> tuple[Capability, ...]:
    """Shipping is fulfilment's job; every other move (paid, cancel, refund...) is management's."""
    return ORDER_READERS if target == S.SHIPPED else (C.MANAGE_ORDERS,)


def may_move_to(user, target: str) -> bool:
    return has_any(user, capabilities_to_move_to(target))


# What the button for each target status says (zh-Hant: 標記為已付款, 出貨, 完成, 取消, 退貨, 退款).
STATUS_ACTION_LABELS = {
    S.PAID: _("Mark as paid"),
    S.SHIPPED: _("Ship"),
    S.COMPLETED: _("Complete"),
    S.CANCELLED: _("Cancel"),
    S.RETURNED: _("Mark as returned"),
    S.REFUNDED: _("Refund"),
}

STATUS_COLOURS = {
    S.PENDING: "warning",
    S.PAID: "info",
    S.SHIPPED: "primary",
    S.COMPLETED: "success",
    S.CANCELLED: "danger",
    S.RETURNED: "danger",
    S.REFUNDED: "danger",
}

NOTE_MAX = 300


def apply_status(
    request, orders, target: str, note: str = "", *, carrier: str = "", tracking_number: str = ""
) -> tuple[list[str], list[str]]:
    """Move each order to ``target``; return (numbers moved, reasons refused).

    Each order moves in its own transaction: one refused order does not hold back the others.
    """
    moved, refused = [], []
    for order in orders:
        try:
            change_status(
                order,
                target,
                actor=request.user,
                note=note[:NOTE_MAX],
                carrier=carrier,
                tracking_number=tracking_number,
            )
        except DomainError as exc:
            # The status machine, or a rule of commissions or the wallet, refused the move.
            refused.append(f"{order.number}: {exc.message}")
        except Exception as exc:
            # A subscriber (commissions, wallet) refused inside the same transaction, so nothing
            # was written; staff need the reason on the page rather than an error page.
            logger.exception("status change of %s to %s failed", order.number, target)
            refused.append(
                gettext("%(number)s: nothing was changed (%(reason)s).")
                % {"number": order.number, "reason": exc}
            )
        else:
            moved.append(order.number)
    label = S(target).label
    if moved:
        messages.success(
            request,
            gettext("Now “%(status)s”: %(orders)s.")
            % {"status": label, "orders": ", ".join(moved)},
        )
    for reason in refused:
        messages.error(request, reason)
    return moved, refused


def _bulk_action(target: str):
    def action(modeladmin, request, queryset):
        apply_status(request, queryset.order_by("pk"), target)

    action.__name__ = f"mark_{target}"
    action.short_description = STATUS_ACTION_LABELS[target]
    action.allowed_permissions = ("fulfil",) if target == S.SHIPPED else ("manage",)
    return action


@admin.register(ShippingMethod)
class ShippingMethodAdmin(CapabilityAdminMixin, ModelAdmin):
    capabilities = CATALOGUE
    list_display = ("name", "code", "kind", "fee", "free_threshold", "sort_order", "is_active")
    list_editable = ("fee", "free_threshold", "sort_order", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "code")


class ReadOnlyInline(CapabilityAdminMixin, TabularInline):
    capabilities = {"view": ORDER_READERS}
    extra = 0
    can_delete = False
    show_change_link = False
    hide_title = True

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    fields = ("product_name", "unit_price_display", "quantity", "line_total_display")
    verbose_name_plural = _("order lines")

    @display(description=_("unit price"))
    def unit_price_display(self, obj):
        return format_twd(obj.unit_price)

    @display(description=_("line total"))
    def line_total_display(self, obj):
        return format_twd(obj.line_total)


class OrderStatusChangeInline(ReadOnlyInline):
    model = OrderStatusChange
    fields = ("created_at", "actor", "from_label", "to_label", "note")
    verbose_name_plural = _("status history")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")

    def get_fields(self, request, obj=None):
        # The first change is the buyer's own, so the actor can be a member's e-mail address.
        if has(request.user, C.VIEW_CONTACT_DATA):
            return self.fields
        return tuple("actor_masked" if name == "actor" else name for name in self.fields)

    @display(description=_("by"))
    def actor_masked(self, obj):
        actor = obj.actor
        if actor is None:
            return "—"
        return actor.name or mask_email(actor.email)

    @display(description=_("from"))
    def from_label(self, obj):
        return S(obj.from_status).label if obj.from_status else "—"

    @display(description=_("to"))
    def to_label(self, obj):
        return S(obj.to_status).label


class PaymentInline(ReadOnlyInline):
    model = Payment
    fields = (
        "created_at",
        "gateway",
        "method",
        "reference",
        "provider_reference",
        "amount",
        "status",
        "refunded_at",
        "refund",
    )

    @display(description=_("refund"))
    def refund(self, obj):
        parts = [obj.refund_reference, gettext(obj.refund_note) if obj.refund_note else ""]
        return " · ".join(part for part in parts if part) or "—"


def _can_refund(payment: Payment) -> bool:
    try:
        return get_gateway(payment.gateway).refundable(payment)
    except DomainError:
        return False


def refund_duplicates(request, payments) -> None:
    """Give back each duplicate charge through its gateway; say what went back and what did not."""
    for payment in payments:
        try:
            done = refund_duplicate(payment)
        except DomainError as exc:
            done, reason = payment, exc.message
        else:
            reason = gettext(done.refund_note) if done.refund_note else ""
        if done.status == Payment.Status.REFUNDED:
            messages.success(
                request,
                gettext("%(reference)s: %(amount)s refunded (%(refund)s).")
                % {
                    "reference": done.reference,
                    "amount": format_twd(done.amount),
                    "refund": done.refund_reference,
                },
            )
        else:
            messages.error(
                request,
                gettext("%(reference)s: not refunded. %(reason)s")
                % {"reference": done.reference, "reason": reason},
            )


class DuplicateChargeFilter(admin.SimpleListFilter):
    title = _("duplicate charge")
    parameter_name = "duplicate_charge"

    def lookups(self, request, model_admin):
        return [
            ("to_refund", _("To refund")),
            ("refunded", _("Refunded")),
        ]

    def queryset(self, request, queryset):
        status = {"to_refund": Payment.Status.DUPLICATE, "refunded": Payment.Status.REFUNDED}
        if self.value() in status:
            return queryset.filter(payments__status=status[self.value()]).distinct()
        return queryset


class PlacedDateFilter(RangeDateFilter):
    """From / to dates, each day taken whole in the shop's time zone."""

    def queryset(self, request, queryset):
        lookups = {}
        for suffix, lookup in (("_from", "__date__gte"), ("_to", "__date__lte")):
            value = self.used_parameters.get(self.parameter_name + suffix)
            if value:
                try:
                    lookups[self.parameter_name + lookup] = forms.DateField().clean(value)
                except ValidationError:
                    return queryset.none()
        return queryset.filter(**lookups)


def _masked_fields(fields):
    # The member link shows their name or address, so it goes with the e-mail address.
    return tuple(
        "email_masked" if name == "email" else "member_masked" if name == "user" else name
        for name in fields
    )


@admin.register(Order)
class OrderAdmin(CapabilityAdminMixin, ModelAdmin):
    # Without "change" a fulfilment user gets the read-only order page; the status panel and
    # the ship action are theirs through action_capabilities.
    capabilities = {"view": ORDER_READERS, "change": C.MANAGE_ORDERS}
    action_capabilities = {"fulfil": ORDER_READERS, "manage": C.MANAGE_ORDERS}
    list_display = (
        "number",
        "member",
        "recipient_name",
        "status_badge",
        "total",
        "payment_method",
        "placed_at",
    )
    list_filter = (
        "status",
        "payment_method",
        "shipping_method",
        "source",
        DuplicateChargeFilter,
        ("placed_at", PlacedDateFilter),
    )
    list_filter_submit = True
    list_select_related = ("user", "shipping_method")
    search_fields = (
        "number",
        "recipient_name",
        "recipient_phone",
        "email",
        "user__email",
        "payment_reference",
        "external_ref",
    )
    date_hierarchy = "placed_at"
    actions = [_bulk_action(target) for target in STATUS_ACTION_LABELS] + [
        "refund_duplicate_charges"
    ]
    inlines = (OrderLineInline, OrderStatusChangeInline, PaymentInline)
    change_form_outer_before_template = "orders/admin/status_panel.html"
    # Staff may correct where the parcel goes; what was bought and paid is a record.
    editable_fields = (
        "recipient_name",
        "recipient_phone",
        "county",
        "district",
        "street",
        "postal_code",
        "cvs_store_name",
        "cvs_store_id",
        "note",
        "carrier",
        "tracking_number",
    )
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "number",
                    "status_text",
                    "user",
                    "email",
                    "source",
                    "external_ref",
                    "placed_at",
                    "paid_at",
                    "completed_at",
                )
            },
        ),
        (
            _("Recipient"),
            {
                "fields": (
                    "recipient_name",
                    "recipient_phone",
                    "county",
                    "district",
                    "street",
                    "postal_code",
                    "cvs_store_name",
                    "cvs_store_id",
                    "note",
                )
            },
        ),
        (
            _("Shipping and payment"),
            {
                "fields": (
                    "shipping_method",
                    "carrier",
                    "tracking_number",
                    "payment_method",
                    "payment_reference",
                )
            },
        ),
        (
            _("Amounts"),
            {"fields": ("goods", "discount", "shipping", "credit", "credit_shipping", "total")},
        ),
    )

    def get_readonly_fields(self, request, obj=None):
        names = [field.name for field in Order._meta.fields]
        methods = [
            "status_text",
            "email_masked",
            "member_masked",
            "goods",
            "discount",
            "shipping",
            "credit",
            "credit_shipping",
            "total",
        ]
        return [name for name in names if name not in self.editable_fields] + methods

    def get_search_fields(self, request):
        fields = super().get_search_fields(request)
        if has(request.user, C.VIEW_CONTACT_DATA):
            return fields
        # Searching by address would tell whether someone is a buyer.
        return tuple(f for f in fields if f not in ("email", "user__email"))

    def has_add_permission(self, request):
        # Orders come from checkout and the API, which price and take stock.
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @display(description=_("member"), ordering="user__email")
    def member(self, obj):
        return obj.user or "—"

    @display(description=_("member"), ordering="user__email")
    def member_masked(self, obj):
        if obj.user is None:
            return "—"
        return obj.user.name or mask_email(obj.user.email)

    @display(description=_("email"))
    def email_masked(self, obj):
        return mask_email(obj.email)

    def get_list_display(self, request):
        names = super().get_list_display(request)
        if has(request.user, C.VIEW_CONTACT_DATA):
            return names
        return tuple("member_masked" if name == "member" else name for name in names)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if has(request.user, C.VIEW_CONTACT_DATA):
            return fieldsets
        return [
            (title, {**options, "fields": _masked_fields(options["fields"])})
            for title, options in fieldsets
        ]

    @display(description=_("status"), ordering="status", label=STATUS_COLOURS)
    def status_badge(self, obj):
        return obj.status, obj.status_label

    @display(description=_("status"))
    def status_text(self, obj):
        return obj.status_label

    @display(description=_("goods"))
    def goods(self, obj):
        return format_twd(obj.goods_total)

    @display(description=_("discount"))
    def discount(self, obj):
        return format_twd(obj.discount_total)

    @display(description=_("shipping"))
    def shipping(self, obj):
        return format_twd(obj.shipping_fee)

    @display(description=_("shopping credit used"))
    def credit(self, obj):
        return format_twd(obj.credit_used)

    @display(description=_("shopping credit on shipping"))
    def credit_shipping(self, obj):
        return format_twd(obj.credit_on_shipping)

    @display(description=_("total"), ordering="grand_total")
    def total(self, obj):
        return format_twd(obj.grand_total)

    @admin.action(description=_("Refund duplicate charges"), permissions=["manage"])
    def refund_duplicate_charges(self, request, queryset):
        payments = Payment.objects.filter(
            order__in=queryset, status=Payment.Status.DUPLICATE
        ).order_by("pk")
        if not payments:
            messages.info(request, gettext("None of these orders has a charge to refund."))
        refund_duplicates(request, [p for p in payments if _can_refund(p)])
        for payment in payments:
            if not _can_refund(payment):
                messages.warning(
                    request,
                    gettext(
                        "%(reference)s: its gateway cannot refund; refund it by hand, then "
                        "record it on the order's page."
                    )
                    % {"reference": payment.reference},
                )

    # -- status moves from the order page -------------------------------------------------------

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/status/",
                self.admin_site.admin_view(self.status_view),
                name="{}_{}_status".format(*info),
            ),
            path(
                "<path:object_id>/payments/<int:payment_id>/refund/",
                self.admin_site.admin_view(self.refund_view),
                name="{}_{}_refund_payment".format(*info),
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        order = self.get_object(request, unquote(object_id))
        if order is not None:
            targets = allowed_targets(order.status, payment_method=order.payment_method)
            permitted = [
                (target, STATUS_ACTION_LABELS[target])
                for target in targets
                if may_move_to(request.user, target)
            ]
            # The panel reads an empty list as "final status": a role with no move here gets
            # the whole list with the buttons hidden instead.
            extra_context["status_actions"] = permitted or [
                (target, STATUS_ACTION_LABELS[target]) for target in targets
            ]
            extra_context["status_url"] = reverse(
                "admin:orders_order_status", args=[order.pk], current_app=self.admin_site.name
            )
            extra_context["status_colour"] = STATUS_COLOURS[order.status]
            extra_context["can_change_status"] = bool(permitted)
            extra_context["can_ship"] = any(target == S.SHIPPED for target, _label in permitted)
            extra_context["carriers"] = Carrier.choices
            extra_context["duplicate_payments"] = [
                (
                    payment,
                    _can_refund(payment),
                    gettext(payment.refund_note) if payment.refund_note else "",
                    reverse(
                        "admin:orders_order_refund_payment",
                        args=[order.pk, payment.pk],
                        current_app=self.admin_site.name,
                    ),
                )
                for payment in order.payments.filter(status=Payment.Status.DUPLICATE)
            ]
            extra_context["can_refund_payments"] = has(request.user, C.MANAGE_ORDERS)
        return super().change_view(request, object_id, form_url, extra_context)

    def refund_view(self, request, object_id, payment_id):
        """Give back one duplicate charge: through its gateway, or record a refund made by hand."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not has(request.user, C.MANAGE_ORDERS):
            raise PermissionDenied
        order = self.get_object(request, unquote(object_id))
        if order is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        payment = order.payments.filter(pk=payment_id).first()
        back = HttpResponseRedirect(
            reverse("admin:orders_order_change", args=[order.pk], current_app=self.admin_site.name)
        )
        if payment is None or payment.status != Payment.Status.DUPLICATE:
            messages.info(request, gettext("This payment has nothing to refund."))
            return back
        if _can_refund(payment):
            refund_duplicates(request, [payment])
            return back
        reference = " ".join(request.POST.get("refund_reference", "").split())
        if not reference:
            messages.error(
                request,
                gettext("Enter the reference of the refund you made (or a short note of how)."),
            )
            return back
        done = refund_duplicate(payment, refunded_elsewhere=reference)
        messages.success(
            request,
            gettext("%(reference)s: recorded as refunded (%(refund)s).")
            % {"reference": done.reference, "refund": done.refund_reference},
        )
        return back

    def status_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        order = self.get_object(request, unquote(object_id))
        if order is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        target = request.POST.get("target", "")
        if target not in S.values:
            messages.error(request, gettext("Choose a status to move the order to."))
        elif not may_move_to(request.user, target):
            raise PermissionDenied
        else:
            shipping = target == S.SHIPPED
            # The panel's carrier fields are for shipping; another button ignores them.
            apply_status(
                request,
                [order],
                target,
                note=request.POST.get("note", ""),
                carrier=request.POST.get("carrier", "") if shipping else "",
                tracking_number=request.POST.get("tracking_number", "") if shipping else "",
            )
        return HttpResponseRedirect(
            reverse("admin:orders_order_change", args=[order.pk], current_app=self.admin_site.name)
        )


from fenrun.orders import provider_admin  # noqa: E402, F401 (registers the providers' admin)
