import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from fenrun.accounts import hooks
from fenrun.accounts.tests.factories import UserFactory
from fenrun.catalog.tests.factories import ProductFactory
from fenrun.orders.models import Cart, CartLine

pytestmark = pytest.mark.django_db

User = get_user_model()
PASSWORD = "pass-word-123"
NEW_PASSWORD = "another-secret-456"


def registration(**overrides):
    data = {
        "email": "New.Member@Example.com",
        "name": "陳小春",
        "phone": "0912 345 678",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
        "referral_code": "",
    }
    data.update(overrides)
    return data


def add_to_cart(client, product, quantity=1):
    client.post(reverse("storefront:cart_add"), {"product": product.pk, "quantity": quantity})


def test_register_creates_a_member_who_logs_in_with_their_password(client):
    response = client.post(reverse("accounts:register"), registration())
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:register_sent")
    user = User.objects.get()
    assert user.email == "new.member@example.com"
    assert user.name == "陳小春"
    assert user.phone == "0912345678"
    assert user.check_password(NEW_PASSWORD)
    # Not logged in: a taken address gets the same answer, and it cannot log anyone in.
    assert "_auth_user_id" not in client.session
    assert [m.to for m in mail.outbox] == [["new.member@example.com"]]
    page = client.get(response["Location"]).content.decode()
    assert "new.member@example.com" in page and 'data-testid="register-sent"' in page
    client.post(reverse("accounts:login"), {"username": user.email, "password": NEW_PASSWORD})
    assert int(client.session["_auth_user_id"]) == user.pk


def test_register_page_renders_with_the_referral_code_from_the_link(client):
    response = client.get(reverse("accounts:register"), {"ref": "AMEI2024"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="referral_code"' in html
    assert 'value="AMEI2024"' in html


def test_phone_is_optional(client):
    client.post(reverse("accounts:register"), registration(phone=""))
    assert User.objects.get().phone == ""


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"name": ""}, "name"),
        ({"phone": "0212345678"}, "phone"),
        ({"password2": "something-else-789"}, "password2"),
        ({"password1": "12345678", "password2": "12345678"}, "password1"),
    ],
)
def test_bad_registration_input(client, overrides, field):
    response = client.post(reverse("accounts:register"), registration(**overrides))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not User.objects.exists()


def test_a_taken_address_gets_the_same_answer_and_its_owner_an_email(client):
    """Issue 12: registration said 「此電子郵件已註冊」, telling anyone who has an account."""
    owner = UserFactory(email="new.member@example.com", password=PASSWORD)
    taken = client.post(
        reverse("accounts:register"), registration(email="NEW.MEMBER@example.COM", phone="")
    )
    taken_page = client.get(taken["Location"]).content.decode()
    fresh = client.post(
        reverse("accounts:register"), registration(email="fresh@example.com", phone="")
    )
    fresh_page = client.get(fresh["Location"]).content.decode()
    assert taken.status_code == fresh.status_code == 302
    assert taken["Location"] == fresh["Location"]

    def same(page):  # every render masks the CSRF token differently
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page)

    assert same(taken_page.replace("new.member@example.com", "fresh@example.com")) == same(
        fresh_page
    )
    assert "已註冊" not in taken_page
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)  # nothing changed on the account
    assert User.objects.filter(email__iexact="new.member@example.com").count() == 1
    notice = mail.outbox[0]
    assert notice.to == ["new.member@example.com"]
    assert reverse("accounts:password_reset") in notice.body


def test_the_owner_of_a_taken_address_is_not_mail_bombed(client):
    UserFactory(email="amei@example.com")
    for _n in range(6):
        client.post(reverse("accounts:register"), registration(email="amei@example.com", phone=""))
    assert len(mail.outbox) == 3


def test_phone_is_unique(client):
    UserFactory(phone="0912345678")
    response = client.post(reverse("accounts:register"), registration(phone="+886912345678"))
    assert "此手機號碼已被註冊。" in response.context["form"].errors["phone"]
    assert User.objects.count() == 1


def test_registration_hooks_receive_the_referral_code(client, monkeypatch):
    monkeypatch.setattr(hooks, "REGISTRATION_CHECKS", [])
    calls = []
    monkeypatch.setattr(
        hooks, "REGISTRATION_HOOKS", [lambda request, user, code: calls.append((user.email, code))]
    )
    client.post(reverse("accounts:register"), registration(referral_code="  AMEI2024 "))
    assert calls == [("new.member@example.com", "AMEI2024")]


def test_a_hook_may_refuse_the_registration(client, monkeypatch):
    from django.core.exceptions import ValidationError

    def refuse(request, user, code):
        raise ValidationError("這個推薦碼不存在。")

    monkeypatch.setattr(hooks, "REGISTRATION_CHECKS", [])
    monkeypatch.setattr(hooks, "REGISTRATION_HOOKS", [refuse])
    response = client.post(reverse("accounts:register"), registration(referral_code="NOPE"))
    assert response.status_code == 200
    assert response.context["form"].errors["referral_code"] == ["這個推薦碼不存在。"]
    assert not User.objects.exists()
    assert "_auth_user_id" not in client.session


def test_a_check_refuses_before_the_address_is_looked_at(client, monkeypatch):
    from django.core.exceptions import ValidationError

    seen = []

    def refuse(request, *, email, phone, referral_code):
        seen.append((email, phone, referral_code))
        raise ValidationError("這個推薦碼不存在。")

    monkeypatch.setattr(hooks, "REGISTRATION_CHECKS", [refuse])
    UserFactory(email="new.member@example.com")
    response = client.post(reverse("accounts:register"), registration(referral_code="NOPE"))
    # A taken address gets the code's answer too, not "check your e-mail".
    assert response.status_code == 200
    assert response.context["form"].errors == {"referral_code": ["這個推薦碼不存在。"]}
    assert seen == [("new.member@example.com", "0912345678", "NOPE")]
    assert not mail.outbox


def test_registration_keeps_the_guest_cart(client):
    product = ProductFactory(stock=5)
    add_to_cart(client, product, 2)
    client.post(reverse("accounts:register"), registration())
    user = User.objects.get()
    # The member logs in next, in the same browser: the cart follows them then.
    client.post(reverse("accounts:login"), {"username": user.email, "password": NEW_PASSWORD})
    assert Cart.objects.get(user=user).lines.get().quantity == 2
    assert not Cart.objects.filter(user__isnull=True).exists()


def test_login_with_email_in_any_case_and_redirect(client):
    UserFactory(email="amei@example.com")
    response = client.post(
        reverse("accounts:login"),
        {"username": "AMEI@Example.com ", "password": PASSWORD, "next": "/cart/"},
    )
    assert response.status_code == 302
    assert response.url == "/cart/"
    assert "_auth_user_id" in client.session


def test_login_refuses_a_wrong_password_and_an_offsite_next(client):
    UserFactory(email="amei@example.com")
    response = client.post(
        reverse("accounts:login"), {"username": "amei@example.com", "password": "nope"}
    )
    assert response.status_code == 200
    assert "電子郵件或密碼錯誤。" in response.content.decode()
    response = client.post(
        reverse("accounts:login"),
        {"username": "amei@example.com", "password": PASSWORD, "next": "https://evil.example.com/"},
    )
    assert response.url == reverse("storefront:member_orders")


def test_login_merges_the_guest_cart_into_the_members_cart(client):
    member = UserFactory(email="amei@example.com")
    tea, honey = ProductFactory(stock=5), ProductFactory(stock=3)
    member_cart = Cart.objects.create(user=member)
    CartLine.objects.create(cart=member_cart, product=tea, quantity=1)

    add_to_cart(client, tea, 2)
    add_to_cart(client, honey, 3)
    guest_key = client.session.session_key
    client.post(reverse("accounts:login"), {"username": "amei@example.com", "password": PASSWORD})

    assert client.session.session_key != guest_key  # rotated at login
    lines = {line.product_id: line.quantity for line in member_cart.lines.all()}
    assert lines == {tea.pk: 3, honey.pk: 3}
    assert not Cart.objects.filter(session_key=guest_key).exists()
    html = client.get(reverse("storefront:cart")).content.decode()
    assert 'data-count="6"' in html


def test_merge_is_capped_at_stock(client):
    member = UserFactory(email="amei@example.com")
    tea = ProductFactory(stock=4)
    CartLine.objects.create(cart=Cart.objects.create(user=member), product=tea, quantity=3)
    add_to_cart(client, tea, 3)
    client.post(reverse("accounts:login"), {"username": "amei@example.com", "password": PASSWORD})
    assert CartLine.objects.get(cart__user=member).quantity == 4


def test_logout_is_a_post(client):
    client.force_login(UserFactory())
    assert client.get(reverse("accounts:logout")).status_code == 405
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_header_shows_member_links(client):
    html = client.get("/").content.decode()
    assert "登入" in html and "註冊" in html
    client.force_login(UserFactory())
    html = client.get("/").content.decode()
    assert "會員中心" in html and "登出" in html
    assert reverse("accounts:logout") in html


def test_password_reset_flow(client):
    user = UserFactory(email="amei@example.com")
    response = client.post(reverse("accounts:password_reset"), {"email": "AMEI@example.com"})
    assert response.status_code == 302
    assert response.url == reverse("accounts:password_reset_done")
    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    assert "重設" in mail.outbox[0].subject

    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    assert "設定新密碼" in form_page.content.decode()
    response = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.url == reverse("accounts:password_reset_complete")
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_password_reset_for_an_unknown_address_sends_nothing_and_says_the_same(client):
    response = client.post(reverse("accounts:password_reset"), {"email": "nobody@example.com"})
    assert response.url == reverse("accounts:password_reset_done")
    assert mail.outbox == []


def test_bad_reset_link(client):
    response = client.get("/accounts/reset/MQ/bad-token/")
    assert response.status_code == 200
    assert "此連結已失效" in response.content.decode()


def test_password_change(client):
    user = UserFactory()
    client.force_login(user)
    page = client.get(reverse("accounts:password_change"))
    assert page.status_code == 200
    assert "我的訂單" in page.content.decode()  # inside the member center
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.url == reverse("accounts:password_change_done")
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert "_auth_user_id" in client.session  # still logged in


def test_password_change_needs_login(client):
    response = client.get(reverse("accounts:password_change"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_logged_in_member_visiting_register_goes_to_the_member_center(client):
    client.force_login(UserFactory())
    response = client.get(reverse("accounts:register"))
    assert response.url == reverse("storefront:member_orders")


def test_admin_password_change_keeps_its_own_template(client):
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    response = client.get("/admin/password_change/")
    assert response.status_code == 200
    assert "member/base.html" not in [t.name for t in response.templates]


def test_login_page_pointing_to_itself_does_not_loop(client):
    client.force_login(UserFactory())
    response = client.get(reverse("accounts:login"), {"next": reverse("accounts:login")})
    assert response.status_code == 302
    assert response.url == reverse("storefront:member_orders")
