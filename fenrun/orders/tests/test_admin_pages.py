"""Every back-office page of the shop renders for staff: a broken admin option shows up here."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse

from fenrun.accounts.models import MemberGroup
from fenrun.accounts.tests.factories import UserFactory
from fenrun.catalog.models import ProductImage
from fenrun.catalog.tests.factories import ProductFactory
from fenrun.core.auth import issue_integrator_token
from fenrun.orders.models import PaymentProvider
from fenrun.orders.services import place_order
from fenrun.orders.tests.factories import ShippingMethodFactory, home_recipient

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("uninstrumented_templates")]


ONE_ROW_SETTINGS = {("core", "sharesettings")}


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The production hasher is slow on purpose; these tests are about the back office, not it.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


SHOP_APPS = {"catalog", "orders", "core", "accounts", "auth"}


@pytest.fixture
def one_of_each():
    product = ProductFactory()
    ProductImage.objects.create(product=product, image=ContentFile(b"x", name="p.png"))
    place_order(
        items=[(product.pk, 1)],
        recipient=home_recipient(),
        shipping_method=ShippingMethodFactory(),
        payment_method="cod",
        user=UserFactory(),
    )
    issue_integrator_token("pos")
    MemberGroup.objects.create(name="VIP", code="vip")
    Group.objects.create(name="客服")
    PaymentProvider.objects.create(code="ecpay", merchant_id="3002607", methods=["card"])


def test_every_shop_admin_page_renders(one_of_each):
    staff = UserFactory(is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(staff)
    models = [m for m in admin.site._registry if m._meta.app_label in SHOP_APPS]
    assert {m._meta.model_name for m in models} >= {
        "category",
        "product",
        "shippingmethod",
        "order",
        "integratortoken",
        "user",
        "membergroup",
        "group",
    }
    for model in models:
        info = model._meta.app_label, model._meta.model_name
        prefix = "admin:{}_{}_".format(*info)
        changelist = client.get(reverse(prefix + "changelist"))
        if info in ONE_ROW_SETTINGS:
            # The list of a one-row settings model is that row's page.
            assert changelist.status_code == 302, info
            assert client.get(changelist["Location"]).status_code == 200, info
            continue
        assert changelist.status_code == 200, info
        searched = client.get(reverse(prefix + "changelist"), {"q": "x"})
        assert searched.status_code == 200, info
        obj = model._default_manager.first()
        assert client.get(reverse(prefix + "change", args=[obj.pk])).status_code == 200, info
        add = client.get(reverse(prefix + "add"))
        assert add.status_code == (403 if info == ("orders", "order") else 200), info


def test_stock_and_active_are_edited_from_the_product_list():
    staff = UserFactory(is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(staff)
    product = ProductFactory(stock=3)
    url = reverse("admin:catalog_product_changelist")
    page = client.get(url)
    assert 'name="form-0-stock"' in page.content.decode()
    response = client.post(
        url,
        {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-MIN_NUM_FORMS": "0",
            "form-MAX_NUM_FORMS": "1000",
            "form-0-id": str(product.pk),
            "form-0-stock": "42",
            "_save": "1",
        },
    )
    assert response.status_code == 302
    product.refresh_from_db()
    assert product.stock == 42 and product.is_active is False
