"""Who may read, edit and promote accounts in the back office."""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from fenrun.accounts.models import MemberGroup
from fenrun.accounts.tests.factories import UserFactory
from fenrun.core.permissions import Capability
from fenrun.core.testing import role_group

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def staff_with(*capabilities, **extra):
    user = UserFactory(is_staff=True, **extra)
    for capability in capabilities:
        app_label, codename = str(capability).split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return user


def staff_in(role):
    user = UserFactory(is_staff=True)
    user.groups.add(role_group(role))
    return user


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


def change_data(member, **extra):
    return {
        "email": member.email,
        "name": "改名",
        "phone": "",
        "is_active": "on",
        "date_joined_0": "2025-01-01",
        "date_joined_1": "00:00:00",
        **extra,
    }


@pytest.mark.parametrize("role", ["行銷", "出貨"])
def test_roles_without_contact_data_cannot_open_the_member_list(role):
    client = logged_in(staff_in(role))
    assert client.get(reverse("admin:accounts_user_changelist")).status_code == 403


def test_contact_data_reads_the_member_list_but_does_not_edit():
    member = UserFactory(email="fan@example.com", phone="0911222333")
    client = logged_in(staff_in("財務"))
    page = client.get(reverse("admin:accounts_user_changelist"))
    assert page.status_code == 200 and "0911222333" in page.content.decode()
    url = reverse("admin:accounts_user_change", args=[member.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, change_data(member)).status_code == 403
    member.refresh_from_db()
    assert member.name != "改名"


def test_manage_members_edits_a_member_but_cannot_make_anyone_staff():
    manager = staff_with(Capability.MANAGE_MEMBERS)
    member = UserFactory()
    owner_role = role_group("店長")
    url = reverse("admin:accounts_user_change", args=[member.pk])
    client = logged_in(manager)
    form = client.get(url).context["adminform"].form
    assert not {"is_staff", "is_superuser", "groups", "user_permissions"} & set(form.fields)
    response = client.post(
        url,
        change_data(
            member, is_staff="on", is_superuser="on", groups=[owner_role.pk], user_permissions=[]
        ),
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.name == "改名"
    assert not member.is_staff and not member.is_superuser and not member.groups.exists()


def test_manage_members_cannot_promote_themselves_or_touch_staff_accounts():
    manager = staff_with(Capability.MANAGE_MEMBERS)
    client = logged_in(manager)
    own = reverse("admin:accounts_user_change", args=[manager.pk])
    assert client.post(own, change_data(manager, is_superuser="on")).status_code == 403
    owner = staff_in("店長")
    password = reverse("admin:auth_user_password_change", args=[owner.pk])
    new_password = {"password1": "x-long-pass-9", "password2": "x-long-pass-9"}
    assert client.post(password, new_password).status_code == 403
    owner.refresh_from_db()
    assert not owner.check_password("x-long-pass-9")
    manager.refresh_from_db()
    assert not manager.is_superuser


def test_manage_staff_grants_a_role_but_not_superuser():
    boss = staff_with(Capability.MANAGE_STAFF, Capability.MANAGE_MEMBERS)
    member = UserFactory()
    marketing = role_group("行銷")
    url = reverse("admin:accounts_user_change", args=[member.pk])
    response = logged_in(boss).post(
        url, change_data(member, is_staff="on", is_superuser="on", groups=[marketing.pk])
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.is_staff and list(member.groups.all()) == [marketing]
    assert not member.is_superuser


def test_roles_admin_needs_manage_staff():
    assert logged_in(staff_in("財務")).get("/admin/auth/group/").status_code == 403
    assert (
        logged_in(staff_with(Capability.MANAGE_MEMBERS)).get("/admin/auth/group/").status_code
        == 403
    )
    assert (
        logged_in(staff_with(Capability.MANAGE_STAFF)).get("/admin/auth/group/").status_code == 200
    )


def test_member_groups_admin_needs_manage_members():
    MemberGroup.objects.create(name="VIP", code="vip")
    url = reverse("admin:accounts_membergroup_changelist")
    assert logged_in(staff_in("行銷")).get(url).status_code == 403
    assert logged_in(staff_with(Capability.MANAGE_MEMBERS)).get(url).status_code == 200


def test_the_role_editor_names_capabilities_in_the_shops_language():
    owner = logged_in(staff_in("店長"))
    html = owner.get("/admin/auth/group/add/", HTTP_ACCEPT_LANGUAGE="zh-Hant").content.decode()
    assert "員工權限：管理分潤方案與套用對象" in html
    assert "Manage commission plans" not in html
