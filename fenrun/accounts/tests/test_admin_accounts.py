import pytest
from django.test import Client
from django.urls import reverse

from fenrun.accounts.models import MemberGroup, User
from fenrun.accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The production hasher is slow on purpose; these tests are about the back office, not it.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def staff_client():
    client = Client()
    client.force_login(UserFactory(email="boss@example.com", is_staff=True, is_superuser=True))
    return client


def test_staff_add_a_member_by_email_without_a_username(staff_client):
    response = staff_client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "New.Member@Example.com",
            "password1": "a-long-pass-phrase-9",
            "password2": "a-long-pass-phrase-9",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    user = User.objects.get(email="new.member@example.com")
    assert user.check_password("a-long-pass-phrase-9") and not user.is_staff


def test_a_taken_email_is_refused_whatever_its_case(staff_client):
    UserFactory(email="taken@example.com")
    response = staff_client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "TAKEN@example.com",
            "password1": "a-long-pass-phrase-9",
            "password2": "a-long-pass-phrase-9",
        },
    )
    assert response.status_code == 200
    assert User.objects.filter(email__iexact="taken@example.com").count() == 1


def test_staff_set_name_phone_group_and_ban(staff_client):
    member = UserFactory(email="fan@example.com")
    vip = MemberGroup.objects.create(name="VIP", code="vip")
    url = reverse("admin:accounts_user_change", args=[member.pk])
    page = staff_client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    assert "username" not in form.fields
    data = {
        "email": "fan@example.com",
        "name": "小粉絲",
        "phone": "0911222333",
        "group": vip.pk,
        "is_banned": "on",
        "is_active": "on",
        "date_joined_0": "2025-01-01",
        "date_joined_1": "00:00:00",
    }
    response = staff_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    member.refresh_from_db()
    assert (member.name, member.phone, member.group, member.is_banned) == (
        "小粉絲",
        "0911222333",
        vip,
        True,
    )


def test_a_malformed_phone_is_a_form_error(staff_client):
    member = UserFactory()
    url = reverse("admin:accounts_user_change", args=[member.pk])
    response = staff_client.post(url, {"email": member.email, "phone": "12345", "is_active": "on"})
    assert response.status_code == 200
    assert "phone" in response.context["adminform"].form.errors


def test_members_are_found_by_email_name_or_phone(staff_client):
    UserFactory(email="alice@example.com", name="林小愛", phone="0933000111")
    UserFactory(email="bob@example.com", name="陳大寶")
    url = reverse("admin:accounts_user_changelist")
    for query in ("alice", "林小愛", "0933000111"):
        found = [u.email for u in staff_client.get(url, {"q": query}).context["cl"].result_list]
        assert found == ["alice@example.com"], query


def test_members_cannot_open_the_member_list():
    client = Client()
    client.force_login(UserFactory())
    response = client.get(reverse("admin:accounts_user_changelist"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
