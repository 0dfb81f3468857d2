"""The default roles against the wallet: who may look, decide, pay, adjust and see contacts."""

import json

import pytest
from django.urls import reverse

from fenrun.core.permissions import Capability
from fenrun.wallet import ledger, services
from fenrun.wallet.models import Account, AccountKind, WalletSettings, Withdrawal
from fenrun.wallet.tests.conftest import earn, staff_in, staff_with

API = "/api/v1/wallet"
BANK = {"bank_code": "812", "account_number": "1234567890123", "account_name": "王小明"}

pytestmark = pytest.mark.django_db


def post(client, path, body=None):
    return client.post(API + path, data=json.dumps(body or {}), content_type="application/json")


@pytest.fixture
def withdrawal(member):
    earn(member, 1000)
    return services.request_withdrawal(member, amount=500, **BANK)


def test_finance_approves_and_pays_a_withdrawal_on_the_page(client, withdrawal):
    client.force_login(staff_in("財務"))
    decide = reverse("wallet:staff_decide_withdrawal", args=[withdrawal.pk])
    page = client.get(reverse("wallet:staff_withdrawal", args=[withdrawal.pk])).content.decode()
    assert BANK["account_number"] in page  # the full number, to make the transfer
    assert client.post(decide, {"action": "approve"}).status_code == 302
    assert client.post(decide, {"action": "pay", "reference": "TX1"}).status_code == 302
    withdrawal.refresh_from_db()
    assert withdrawal.status == Withdrawal.Status.PAID


@pytest.mark.parametrize("role", ["行銷", "出貨"])
def test_roles_without_wallet_rights_get_403_everywhere(client, member, withdrawal, role):
    client.force_login(staff_in(role))
    for name, args in [
        ("wallet:staff_queues", []),
        ("wallet:staff_members", []),
        ("wallet:staff_member", [member.pk]),
        ("wallet:staff_withdrawal", [withdrawal.pk]),
        ("wallet:staff_ledger_csv", []),
    ]:
        assert client.get(reverse(name, args=args)).status_code == 403, name
    decide = reverse("wallet:staff_decide_withdrawal", args=[withdrawal.pk])
    assert client.post(decide, {"action": "approve"}).status_code == 403
    assert client.get(API + "/staff/withdrawals").status_code == 403
    assert post(client, f"/staff/withdrawals/{withdrawal.pk}/approve").status_code == 403
    assert client.get("/admin/wallet/transaction/").status_code == 403
    withdrawal.refresh_from_db()
    assert withdrawal.status == Withdrawal.Status.PENDING


def test_paying_needs_pay_withdrawals_and_deciding_does_not_include_it(client, withdrawal):
    decider = staff_with(Capability.VIEW_WALLETS, Capability.DECIDE_WALLET_REQUESTS)
    client.force_login(decider)
    decide = reverse("wallet:staff_decide_withdrawal", args=[withdrawal.pk])
    page = client.get(reverse("wallet:staff_withdrawal", args=[withdrawal.pk])).content.decode()
    assert BANK["account_number"] not in page and 'value="pay"' not in page
    assert client.post(decide, {"action": "approve"}).status_code == 302
    assert client.post(decide, {"action": "pay", "reference": "T"}).status_code == 403
    assert (
        post(client, f"/staff/withdrawals/{withdrawal.pk}/pay", {"reference": "T"}).status_code
        == 403
    )
    detail = client.get(API + f"/staff/withdrawals/{withdrawal.pk}").json()
    assert detail["account_number"] == withdrawal.masked_account_number

    cashier = staff_with(Capability.PAY_WITHDRAWALS)
    client.force_login(cashier)
    assert (
        client.get(API + f"/staff/withdrawals/{withdrawal.pk}").json()["account_number"]
        == (BANK["account_number"])
    )
    assert client.post(decide, {"action": "reject", "reason": "x"}).status_code == 403
    paid = post(client, f"/staff/withdrawals/{withdrawal.pk}/pay", {"reference": "TX2"})
    assert paid.status_code == 200 and paid.json()["status"] == "paid"


def test_adjusting_needs_adjust_wallets(client, member):
    client.force_login(staff_with(Capability.VIEW_WALLETS, Capability.DECIDE_WALLET_REQUESTS))
    adjust = {"account": "credit", "amount": 5, "reason": "x"}
    assert post(client, f"/staff/members/{member.pk}/adjustments", adjust).status_code == 403
    form = {"account_kind": "credit", "amount": "5", "reason": "x", "token": "t1"}
    assert client.post(reverse("wallet:staff_adjust", args=[member.pk]), form).status_code == 403
    client.force_login(staff_with(Capability.ADJUST_WALLETS))
    assert post(client, f"/staff/members/{member.pk}/adjustments", adjust).status_code == 201


def test_contact_data_is_masked_without_view_contact_data(client, member):
    earn(member, 100)
    member.name = ""
    member.save(update_fields=["name"])
    masked = member.email[0] + "***@" + member.email.split("@")[1]
    client.force_login(staff_with(Capability.VIEW_WALLETS))
    for url in (
        reverse("wallet:staff_members"),
        reverse("wallet:staff_member", args=[member.pk]),
    ):
        html = client.get(url).content.decode()
        assert member.email not in html and masked in html, url
    assert client.get(API + f"/staff/members/{member.pk}").json()["email"] == masked
    csv = b"".join(client.get(reverse("wallet:staff_ledger_csv")).streaming_content)
    assert member.email.encode() not in csv
    # Searching by address would confirm it: without contact data the search is by name only.
    search = client.get(reverse("wallet:staff_members"), {"q": member.email})
    assert search.context["rows"] == []
    assert member.email not in client.get("/admin/wallet/account/").content.decode()

    client.force_login(staff_in("財務"))
    assert client.get(API + f"/staff/members/{member.pk}").json()["email"] == member.email
    assert member.email in client.get(reverse("wallet:staff_members")).content.decode()


def test_wallet_settings_are_changed_only_with_manage_plans(client):
    settings = WalletSettings.load()
    url = reverse("admin:wallet_walletsettings_change", args=[settings.pk])
    client.force_login(staff_with(Capability.VIEW_WALLETS))
    assert client.get(url).status_code == 200  # wallet staff read the rules they apply
    assert client.post(url, {"conversion_mode": "auto"}).status_code == 403
    for role in ("行銷", "出貨"):
        client.force_login(staff_in(role))
        assert client.get(url).status_code == 403
        assert client.get(reverse("admin:wallet_walletsettings_changelist")).status_code == 403
    client.force_login(staff_with(Capability.MANAGE_PLANS))
    page = client.get(url)
    assert page.status_code == 200 and "conversion_ratio" in page.context["adminform"].form.fields


def test_a_ledger_refusal_is_a_json_conflict_not_a_server_error(client, member, monkeypatch):
    earn(member, 300)
    conversion = services.request_conversion(member, 100)
    account = Account.objects.get(owner=member, kind=AccountKind.COINS)

    def raced(*args, **kwargs):
        raise ledger.InsufficientFunds(account, 100)

    monkeypatch.setattr(services, "approve_conversion", raced)
    client.force_login(staff_in("財務"))
    response = post(client, f"/staff/conversions/{conversion.pk}/approve")
    assert response.status_code == 409
    assert response.json()["code"] == "insufficient_funds" and response.json()["detail"]


def test_wallet_errors_carry_their_code(client, member):
    earn(member, 300)
    client.force_login(member)
    assert post(client, "/me/conversions", {"coins": 100}).status_code == 201
    again = post(client, "/me/conversions", {"coins": 100})
    assert again.status_code == 409
    assert again.json()["code"] == "conversion_pending" and "coins" in again.json()["errors"]
    too_many = post(client, "/me/withdrawals", {"amount": 100000, **BANK})
    assert too_many.json()["code"] == "insufficient_coins"


def test_the_openapi_document_says_who_may_call_each_wallet_operation(client, db):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    wallet = {p: ops for p, ops in paths.items() if p.startswith(API)}
    for path, operations in wallet.items():
        for method, operation in operations.items():
            assert operation.get("x-access"), f"{method} {path}"
    pay = wallet[API + "/staff/withdrawals/{withdrawal_id}/pay"]["post"]
    assert pay["x-access"] == [str(Capability.PAY_WITHDRAWALS)]
    assert wallet[API + "/me"]["get"]["x-access"] == ["member"]
