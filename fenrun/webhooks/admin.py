"""Back office: webhook endpoints, and every delivery with its attempts and a replay action."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from unfold.admin import ModelAdmin, TabularInline

from fenrun.core.permissions import Capability, CapabilityAdminMixin
from fenrun.webhooks import services
from fenrun.webhooks.forms import EndpointForm
from fenrun.webhooks.models import Attempt, Delivery, Endpoint
from fenrun.webhooks.signing import new_secret

C = Capability.MANAGE_INTEGRATIONS


@admin.register(Endpoint)
class EndpointAdmin(CapabilityAdminMixin, ModelAdmin):
    capabilities = {"view": C, "add": C, "change": C, "delete": C}
    action_capabilities = {"integrate": C}
    form = EndpointForm
    list_display = ("name", "url", "event_list", "is_active", "created_at")
    list_filter = ("is_active",)
    search_fields = ("name", "url")
    readonly_fields = ("secret", "created_at")
    actions = ["rotate_secret"]

    def get_fields(self, request, obj=None):
        fields = ("name", "url", "events", "is_active")
        return fields + ("secret", "created_at") if obj else fields

    @admin.display(description=_("Events"))
    def event_list(self, obj):
        return ", ".join(obj.events or [])

    @admin.action(description=_("Issue a new signing secret"), permissions=["integrate"])
    def rotate_secret(self, request, queryset):
        for endpoint in queryset:
            endpoint.secret = new_secret()
            endpoint.save(update_fields=["secret"])
        self.message_user(
            request,
            _("New secrets issued: update the receiving servers before the next delivery."),
            messages.WARNING,
        )


class AttemptInline(TabularInline):
    model = Attempt
    extra = 0
    can_delete = False
    fields = ("attempted_at", "status_code", "duration_ms", "error", "response_excerpt", "replay")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return True


@admin.register(Delivery)
class DeliveryAdmin(CapabilityAdminMixin, ModelAdmin):
    # Deliveries are a log: nobody edits or adds one; staff replay them.
    capabilities = {"view": C}
    action_capabilities = {"integrate": C}
    list_display = (
        "kind",
        "endpoint",
        "status",
        "attempts",
        "last_status_code",
        "last_duration_ms",
        "created_at",
        "delivered_at",
        "next_attempt_at",
    )
    list_filter = ("status", "kind", "endpoint")
    list_select_related = ("endpoint",)
    search_fields = ("event_id",)
    fields = (
        "endpoint",
        "kind",
        "event_id",
        "status",
        "attempts",
        "next_attempt_at",
        "last_status_code",
        "last_duration_ms",
        "created_at",
        "delivered_at",
        "payload",
    )
    readonly_fields = fields
    inlines = [AttemptInline]
    actions = ["replay"]

    @admin.action(description=_("Send again now"), permissions=["integrate"])
    def replay(self, request, queryset):
        count = services.replay(queryset.values_list("pk", flat=True))
        self.message_user(
            request,
            ngettext(
                "%(n)d delivery is being sent again.",
                "%(n)d deliveries are being sent again.",
                count,
            )
            % {"n": count},
            messages.SUCCESS,
        )
