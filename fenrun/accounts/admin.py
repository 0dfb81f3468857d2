from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.forms import AdminPasswordChangeForm, UserChangeForm, UserCreationForm

from fenrun.accounts.models import MemberGroup, User
from fenrun.core.permissions import APP_LABEL, Capability, CapabilityAdminMixin, describe, has

# What makes an account staff, and which roles it holds: only MANAGE_STAFF edits these, so
# whoever manages members cannot promote anyone, themselves included.
STAFF_FIELDS = ("is_staff", "is_superuser", "groups", "user_permissions")


class LowercaseEmailMixin:
    """Addresses are stored in lower case, as the manager and sign-up store them, so log-in matches."""

    def clean_email(self):
        return User.objects.normalize_email(self.cleaned_data["email"]).lower()


class MemberCreationForm(LowercaseEmailMixin, UserCreationForm):
    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("email",)
        field_classes = {}


class MemberChangeForm(LowercaseEmailMixin, UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User
        fields = "__all__"
        field_classes = {}


@admin.register(User)
class UserAdmin(CapabilityAdminMixin, BaseUserAdmin, ModelAdmin):
    """Members and staff: they log in with their e-mail address, there is no username.

    The list shows e-mail and phone, so reading it needs contact-data access (or managing
    members, which edits them). Members are deactivated, never deleted: their orders,
    commissions and ledger rows point at them.
    """

    capabilities = {
        "view": (Capability.VIEW_CONTACT_DATA, Capability.MANAGE_MEMBERS),
        "change": Capability.MANAGE_MEMBERS,
        "add": Capability.MANAGE_MEMBERS,
    }

    form = MemberChangeForm
    add_form = MemberCreationForm
    change_password_form = AdminPasswordChangeForm
    ordering = ("-date_joined",)
    list_display = (
        "email",
        "name",
        "phone",
        "group",
        "is_banned",
        "is_active",
        "is_staff",
        "date_joined",
    )
    list_filter = ("group", "is_banned", "is_active", "is_staff", "is_superuser")
    list_select_related = ("group",)
    search_fields = ("email", "name", "phone")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Member"), {"fields": ("name", "phone", "group", "is_banned")}),
        (
            _("Permissions"),
            {
                "fields": (
                    "is_active",
                    "is_staff",
                    "is_superuser",
                    "groups",
                    "user_permissions",
                ),
                "classes": ("collapse",),
            },
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "password1", "password2"),
            },
        ),
    )
    readonly_fields = ("last_login", "date_joined")

    def has_change_permission(self, request, obj=None):
        # A staff account (its e-mail, its password) is staff business: whoever could change
        # it could log in as that staff member.
        if obj is not None and (obj.is_staff or obj.is_superuser):
            if not has(request.user, Capability.MANAGE_STAFF):
                return False
        return super().has_change_permission(request, obj)

    def get_readonly_fields(self, request, obj=None):
        fields = tuple(super().get_readonly_fields(request, obj))
        if not has(request.user, Capability.MANAGE_STAFF):
            return fields + STAFF_FIELDS
        if not request.user.is_superuser:
            # Only a superuser makes another: MANAGE_STAFF hands out roles, not "everything".
            return fields + ("is_superuser",)
        return fields


@admin.register(MemberGroup)
class MemberGroupAdmin(CapabilityAdminMixin, ModelAdmin):
    capabilities = {
        "view": Capability.MANAGE_MEMBERS,
        "change": Capability.MANAGE_MEMBERS,
        "add": Capability.MANAGE_MEMBERS,
        "delete": Capability.MANAGE_MEMBERS,
    }
    list_display = ("name", "code", "is_default", "sort_order")
    list_editable = ("sort_order",)
    prepopulated_fields = {"code": ("name",)}
    search_fields = ("name", "code")


# Staff roles (Django groups) keep Django's admin, restyled to match the rest of the back
# office; changing what a role may do is managing staff.
admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(CapabilityAdminMixin, BaseGroupAdmin, ModelAdmin):
    capabilities = {
        "view": Capability.MANAGE_STAFF,
        "change": Capability.MANAGE_STAFF,
        "add": Capability.MANAGE_STAFF,
        "delete": Capability.MANAGE_STAFF,
    }

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if db_field.name == "permissions":
            # A role is a set of capabilities: name them in the shop's language, and put them
            # first; Django's own per-model permissions follow, as Django names them.
            field.label_from_instance = _permission_label
        return field


def _permission_label(permission) -> str:
    if permission.content_type.app_label != APP_LABEL:
        return str(permission)
    try:
        capability = Capability(f"{APP_LABEL}.{permission.codename}")
    except ValueError:
        return str(permission)
    return _("Staff capability: %(what)s") % {"what": describe(capability)}
