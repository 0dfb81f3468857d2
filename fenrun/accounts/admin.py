from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.forms import AdminPasswordChangeForm, UserChangeForm, UserCreationForm

from fenrun.accounts.models import MemberGroup, User


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
class UserAdmin(BaseUserAdmin, ModelAdmin):
    """Members and staff: they log in with their e-mail address, there is no username."""

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


@admin.register(MemberGroup)
class MemberGroupAdmin(ModelAdmin):
    list_display = ("name", "code", "is_default", "sort_order")
    list_editable = ("sort_order",)
    prepopulated_fields = {"code": ("name",)}
    search_fields = ("name", "code")


# Staff permission groups keep Django's admin, restyled to match the rest of the back office.
admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(BaseGroupAdmin, ModelAdmin):
    pass
