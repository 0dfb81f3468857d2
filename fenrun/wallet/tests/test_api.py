import json

import pytest

from fenrun.core.models import IdempotencyKey
from fenrun.wallet import services
from fenrun.wallet.models import (
    Adjustment,
    Conversion,
    Transaction,
    Withdrawal,
)
from fenrun.wallet.tests.conftest import earn

API = "/api/v1/wallet"
BANK = {"bank_code": "812", "account_number": "1234567890123", "account_name": "王小明"}


def post(client, path, body=None, key=None):
    headers = {"Idempotency-Key": key} if key else {}
    return client.post(
        API + path, data=json.dumps(body or {}), content_type="application/json", headers=headers
    )


@pytest.fixture
def member_client(client, member):
    client.force_login(member)
    return client


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


def test_anonymous_gets_401(client, db):
    assert client.get(API + "/me").status_code == 401
    assert post(client, "/me/conversions", {"coins": 10}).status_code == 401


def test_balances_and_history(member_client, member):
    earn(member, 500)
    services.request_conversion(member, 200)
    body = member_client.get(API + "/me").json()
    assert (body["coins"], body["coins_reserved"], body["credit"], body["debt"]) == (
        "300.00",
        "200.00",
        "0.00",
        "0.00",
    )
    history = member_client.get(API + "/me/history").json()
    assert history["count"] == 2
    assert [i["type"] for i in history["items"]] == ["conversion_reserve", "commission_release"]
    only_bonus = member_client.get(API + "/me/history?type=bonus").json()
    assert only_bonus["count"] == 1
    assert only_bonus["items"][0]["balance_after"] == "500.00"


def test_history_rejects_bad_filters(member_client):
    response = member_client.get(API + "/me/history?date_from=yesterday")
    assert response.status_code == 422
    assert "errors" in response.json()
    assert member_client.get(API + "/me/history?limit=0").status_code == 422


def test_conversion_request_with_idempotency_key_runs_once(member_client, member):
    earn(member, 500)
    first = post(member_client, "/me/conversions", {"coins": 200}, key="abc")
    again = post(member_client, "/me/conversions", {"coins": 200}, key="abc")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert Conversion.objects.count() == 1
    # The same key with another body is refused; a new key is a new request (and conflicts).
    assert post(member_client, "/me/conversions", {"coins": 100}, key="abc").status_code == 422
    conflict = post(member_client, "/me/conversions", {"coins": 100}, key="def")
    assert conflict.status_code == 409
    assert Conversion.objects.count() == 1


def test_failed_request_can_be_retried_with_the_same_key(member_client, member):
    response = post(member_client, "/me/conversions", {"coins": 200}, key="retry")
    assert response.status_code == 422
    assert not IdempotencyKey.objects.exists()
    earn(member, 500)
    assert post(member_client, "/me/conversions", {"coins": 200}, key="retry").status_code == 201


@pytest.mark.parametrize(
    "coins", [0, -1, "1.5", 10.5, "abc", None, 10**12, 600, "1e999999999", "-1e999999999", "sNaN"]
)
def test_bad_conversion_input_is_4xx_and_writes_nothing(member_client, member, coins):
    earn(member, 500)
    before = Transaction.objects.count()
    response = post(member_client, "/me/conversions", {"coins": coins})
    assert response.status_code == 422
    body = response.json()
    assert body["detail"] and body["errors"]
    assert Transaction.objects.count() == before


def test_withdrawal_request_masks_bank_details(member_client, member):
    earn(member, 1000)
    response = post(member_client, "/me/withdrawals", {"amount": 500, **BANK}, key="w1")
    assert response.status_code == 201
    body = response.json()
    assert body["account_number"] == "•••••••••0123"
    assert body["account_name"] == "王○明"
    assert (body["fee"], body["payout"]) == ("15.00", "485.00")
    again = post(member_client, "/me/withdrawals", {"amount": 500, **BANK}, key="w1")
    assert again.json()["id"] == body["id"]
    assert Withdrawal.objects.count() == 1
    listed = member_client.get(API + "/me/withdrawals").json()["items"]
    assert listed[0]["account_number"] == "•••••••••0123"


def test_bad_withdrawal_names_each_field(member_client, member):
    earn(member, 1000)
    response = post(
        member_client,
        "/me/withdrawals",
        {"amount": "12.5", "bank_code": "8", "account_number": "12", "account_name": ""},
    )
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {
        "amount",
        "bank_code",
        "account_number",
        "account_name",
    }
    assert not Withdrawal.objects.exists()


def test_member_cannot_touch_another_members_requests(client, member, other_member):
    earn(member, 1000)
    conversion = services.request_conversion(member, 100)
    withdrawal = services.request_withdrawal(member, amount=500, **BANK)
    client.force_login(other_member)
    before = Transaction.objects.count()
    assert post(client, f"/me/conversions/{conversion.pk}/cancel").status_code == 404
    assert post(client, f"/me/withdrawals/{withdrawal.pk}/cancel").status_code == 404
    assert client.get(API + "/me/withdrawals").json()["items"] == []
    assert client.get(API + "/me/history").json()["count"] == 0
    assert Transaction.objects.count() == before
    conversion.refresh_from_db()
    assert conversion.status == Conversion.Status.PENDING


def test_member_cannot_use_staff_endpoints(member_client, member):
    earn(member, 1000)
    conversion = services.request_conversion(member, 100)
    withdrawal = services.request_withdrawal(member, amount=500, **BANK)
    before = Transaction.objects.count()
    for path, body in [
        (f"/staff/conversions/{conversion.pk}/approve", {}),
        (f"/staff/withdrawals/{withdrawal.pk}/approve", {}),
        (f"/staff/withdrawals/{withdrawal.pk}/pay", {"reference": "x"}),
        (
            f"/staff/members/{member.pk}/adjustments",
            {"account": "coins", "amount": 1, "reason": "x"},
        ),
        (f"/staff/members/{member.pk}/conversions", {"coins": 1}),
    ]:
        assert post(member_client, path, body).status_code == 403
    assert member_client.get(API + "/staff/conversions").status_code == 403
    assert member_client.get(API + f"/staff/withdrawals/{withdrawal.pk}").status_code == 403
    assert Transaction.objects.count() == before


def test_staff_queue_and_decisions(staff_client, member):
    earn(member, 1000)
    conversion = services.request_conversion(member, 100)
    withdrawal = services.request_withdrawal(member, amount=500, **BANK)
    queue = staff_client.get(API + "/staff/conversions").json()["items"]
    assert [c["id"] for c in queue] == [conversion.pk]
    approved = post(staff_client, f"/staff/conversions/{conversion.pk}/approve", key="a1")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    # A retry with the same key gets the same answer; without it, approving twice is a conflict.
    assert (
        post(staff_client, f"/staff/conversions/{conversion.pk}/approve", key="a1").json()
        == approved.json()
    )
    assert post(staff_client, f"/staff/conversions/{conversion.pk}/approve").status_code == 409

    full = staff_client.get(API + f"/staff/withdrawals/{withdrawal.pk}").json()
    assert full["account_number"] == BANK["account_number"]
    listed = staff_client.get(API + "/staff/withdrawals").json()["items"]
    assert listed[0]["account_number"].endswith("0123") and "•" in listed[0]["account_number"]
    assert post(staff_client, f"/staff/withdrawals/{withdrawal.pk}/approve").status_code == 200
    assert post(staff_client, f"/staff/withdrawals/{withdrawal.pk}/approve").status_code == 409
    bad = post(staff_client, f"/staff/withdrawals/{withdrawal.pk}/pay", {"reference": ""})
    assert bad.status_code == 422 and "reference" in bad.json()["errors"]
    paid = post(staff_client, f"/staff/withdrawals/{withdrawal.pk}/pay", {"reference": "TX9"})
    assert paid.json()["status"] == "paid"
    assert (
        post(
            staff_client, f"/staff/withdrawals/{withdrawal.pk}/reject", {"reason": "x"}
        ).status_code
        == 409
    )
    assert post(staff_client, "/staff/withdrawals/999999/approve").status_code == 404


def test_staff_reject_needs_a_reason(staff_client, member):
    earn(member, 1000)
    conversion = services.request_conversion(member, 100)
    response = post(staff_client, f"/staff/conversions/{conversion.pk}/reject", {"reason": " "})
    assert response.status_code == 422
    assert (
        post(
            staff_client, f"/staff/conversions/{conversion.pk}/reject", {"reason": "不符資格"}
        ).json()["status"]
        == "rejected"
    )


def test_staff_adjustment_and_member_wallet(staff_client, member):
    response = post(
        staff_client,
        f"/staff/members/{member.pk}/adjustments",
        {"account": "credit", "amount": 200, "reason": "活動贈送"},
        key="adj-1",
    )
    assert response.status_code == 201
    again = post(
        staff_client,
        f"/staff/members/{member.pk}/adjustments",
        {"account": "credit", "amount": 200, "reason": "活動贈送"},
        key="adj-1",
    )
    assert again.json() == response.json()
    assert Adjustment.objects.count() == 1
    missing_reason = post(
        staff_client,
        f"/staff/members/{member.pk}/adjustments",
        {"account": "credit", "amount": 200, "reason": ""},
    )
    assert missing_reason.status_code == 422
    wallet = staff_client.get(API + f"/staff/members/{member.pk}").json()
    assert wallet["balances"]["credit"] == "200.00"
    assert wallet["history"][0]["memo"] == "活動贈送"
    assert staff_client.get(API + "/staff/members/999999").status_code == 404


def test_staff_convert(staff_client, member):
    earn(member, 300)
    response = post(staff_client, f"/staff/members/{member.pk}/conversions", {"coins": 300})
    assert response.status_code == 201
    assert response.json()["origin"] == "staff"
    assert (
        post(staff_client, f"/staff/members/{member.pk}/conversions", {"coins": 1}).status_code
        == 422
    )


def test_idempotency_key_too_long(member_client, member):
    earn(member, 300)
    response = post(member_client, "/me/conversions", {"coins": 10}, key="k" * 101)
    assert response.status_code == 422


def test_openapi_lists_the_wallet(client, db):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert "/api/v1/wallet/me" in paths
    assert "/api/v1/wallet/staff/withdrawals/{withdrawal_id}/pay" in paths


def test_staff_need_the_wallet_capability_for_each_action(client, member):
    from fenrun.core.permissions import Capability
    from fenrun.wallet.tests.conftest import staff_with

    earn(member, 1000)
    conversion = services.request_conversion(member, 100)
    withdrawal = services.request_withdrawal(member, amount=500, **BANK)
    client.force_login(staff_with(Capability.VIEW_WALLETS))
    assert client.get(API + "/staff/conversions").status_code == 200
    assert post(client, f"/staff/conversions/{conversion.pk}/approve").status_code == 403
    assert post(client, f"/staff/withdrawals/{withdrawal.pk}/approve").status_code == 403
    seen = client.get(API + f"/staff/withdrawals/{withdrawal.pk}").json()
    assert seen["account_number"] == withdrawal.masked_account_number
    adjust = {"account": "coins", "amount": 5, "reason": "x"}
    assert post(client, f"/staff/members/{member.pk}/adjustments", adjust).status_code == 403
    client.force_login(staff_with(Capability.DECIDE_WALLET_REQUESTS))
    assert client.get(API + "/staff/withdrawals").status_code == 403  # no VIEW_WALLETS
    assert post(client, f"/staff/withdrawals/{withdrawal.pk}/approve").status_code == 200
    pay = post(client, f"/staff/withdrawals/{withdrawal.pk}/pay", {"reference": "T"})
    assert pay.status_code == 403  # deciding is not paying out
    conversion.refresh_from_db()
    assert conversion.status == Conversion.Status.PENDING


@pytest.mark.parametrize("amount", ["1e999999999", "1e-999999999", "NaN"])
def test_a_withdrawal_of_an_absurd_amount_is_422_not_a_crash(member_client, member, amount):
    earn(member, 1000)
    before = Transaction.objects.count()
    response = post(member_client, "/me/withdrawals", {"amount": amount, **BANK})
    assert response.status_code == 422
    assert Transaction.objects.count() == before
