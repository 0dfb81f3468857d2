"""Providers are configured by staff without code: on/off, methods, environment, keys at rest."""

import pytest
from django.test import Client
from django.urls import reverse

from fenrun.accounts.tests.factories import UserFactory
from fenrun.core import secrets
from fenrun.core.testing import grant_role
from fenrun.orders.gateways import enabled_options, find_option
from fenrun.orders.gateways.config import provider_settings
from fenrun.orders.gateways.ecpay import ECPayGateway
from fenrun.orders.models import PaymentProvider

pytestmark = pytest.mark.django_db


def codes():
    return [option.code for option in enabled_options()]


def test_checkout_offers_the_methods_of_enabled_providers_only(ecpay_provider, linepay_provider):
    assert codes() == [
        "test.card",
        "ecpay.card",
        "ecpay.atm",
        "ecpay.cvs",
        "ecpay.barcode",
        "linepay.linepay",
    ]
    ecpay_provider.methods = ["atm"]
    ecpay_provider.save()
    linepay_provider.is_enabled = False
    linepay_provider.save()
    assert codes() == ["test.card", "ecpay.atm"]
    assert find_option("ecpay.card") is None


def test_a_provider_without_keys_is_not_offered(db):
    PaymentProvider.objects.create(
        code="ecpay", is_enabled=True, merchant_id="3002607", methods=["card"]
    )
    assert "ecpay.card" not in codes()


def test_the_test_gateway_can_be_switched_off(db, settings):
    PaymentProvider.objects.create(code="test", is_enabled=False)
    assert "test.card" not in codes()
    settings.FENRUN_TEST_GATEWAY_ENABLED = True
    PaymentProvider.objects.filter(code="test").delete()
    assert "test.card" in codes()


@pytest.mark.parametrize(
    ("mode", "host"),
    [
        ("standin", "http://testserver/standin/ecpay"),
        ("test", "https://payment-stage.ecpay.com.tw"),
        ("production", "https://payment.ecpay.com.tw"),
    ],
)
def test_one_setting_points_ecpay_at_the_stand_in_its_test_host_or_production(
    ecpay_provider, settings, mode, host
):
    settings.FENRUN_SITE_URL = "http://testserver"
    ecpay_provider.mode = mode
    ecpay_provider.save()
    assert ECPayGateway().base_url() == host


def test_keys_in_the_environment_win_over_stored_ones(ecpay_provider, settings):
    settings.FENRUN_PAYMENT_CREDENTIALS = {
        "ecpay": {"merchant_id": "3999999", "key": "envkey0000000000", "iv": "enviv00000000000"}
    }
    config = provider_settings("ecpay")
    assert (config.merchant_id, config.key, config.iv) == (
        "3999999",
        "envkey0000000000",
        "enviv00000000000",
    )


def test_staff_enter_keys_which_are_stored_encrypted_and_never_shown():
    owner = grant_role(UserFactory(email="owner@example.com"), "店長")
    client = Client()
    client.force_login(owner)
    response = client.post(
        reverse("admin:orders_paymentprovider_add"),
        {
            "code": "ecpay",
            "is_enabled": "on",
            "mode": "test",
            "merchant_id": "3002607",
            "key": "pwFHCqoQZGmho4w6",
            "iv": "EkRm7iFT261dpevs",
            "methods": ["card", "atm"],
            "installments": ["3", "6"],
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    row = PaymentProvider.objects.get(code="ecpay")
    assert "pwFHCqoQZGmho4w6" not in row.key_encrypted
    assert secrets.decrypt(row.key_encrypted) == "pwFHCqoQZGmho4w6"
    assert row.installments == [3, 6]
    page = client.get(reverse("admin:orders_paymentprovider_change", args=[row.pk]))
    assert b"pwFHCqoQZGmho4w6" not in page.content and b"EkRm7iFT261dpevs" not in page.content
    # Saving again without typing the keys keeps them.
    client.post(
        reverse("admin:orders_paymentprovider_change", args=[row.pk]),
        {
            "code": "ecpay",
            "is_enabled": "on",
            "mode": "production",
            "merchant_id": "3002607",
            "methods": ["card"],
        },
    )
    assert provider_settings("ecpay").key == "pwFHCqoQZGmho4w6"
    assert provider_settings("ecpay").mode == "production"


def test_staff_without_the_integrations_capability_cannot_see_the_keys_page():
    packer = grant_role(UserFactory(email="packer@example.com"), "出貨")
    client = Client()
    client.force_login(packer)
    assert client.get(reverse("admin:orders_paymentprovider_changelist")).status_code == 403


def test_production_refuses_to_store_a_key_without_the_secrets_key(settings):
    settings.DEBUG = False
    settings.SECRET_KEY = "a-real-production-secret-key-of-some-length-0123456789"
    settings.FENRUN_SECRETS_KEY = ""
    with pytest.raises(secrets.SecretsKeyMissing):
        secrets.encrypt("pwFHCqoQZGmho4w6")
