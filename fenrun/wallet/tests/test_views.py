import csv
import io

import pytest
from django.urls import reverse

from fenrun.catalog.tests.factories import ProductFactory
from fenrun.core.permissions import Capability
from fenrun.orders.services import place_order
from fenrun.orders.tests.factories import ShippingMethodFactory, home_recipient
from fenrun.wallet import services
from fenrun.wallet.models import Adjustment, Conversion, Transaction, Withdrawal
from fenrun.wallet.tests.conftest import earn, staff_with

BANK = {"bank_code": "812", "account_number": "1234567890123", "account_name": "王小明"}


@pytest.fixture
def member_client(client, member):
    client.force_login(member)
    return client


@pytest.fixture
def staff_client(client, admin_user):
    client.force_login(admin_user)
    return client


def test_my_account_needs_login(client, db):
    response = client.get(reverse("wallet:my_account"))
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_my_account_shows_balances_history_and_order_link(member_client, member, admin_user):
    earn(member, 500)
    services.adjust_balance(
        member,
        account_kind="credit",
        amount=300,
        reason="生日禮",
        actor=admin_user,
        idempotency_key="b",
    )
    product = ProductFactory()
    order = place_order(
        items=[(product.pk, 1)],
        recipient=home_recipient(),
        shipping_method=ShippingMethodFactory(),
        payment_method="atm",
        user=member,
        credit_to_use=100,
    )
    response = member_client.get(reverse("wallet:my_account"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="balance-coins"' in html
    assert response.context["balances"].coins == 500
    assert response.context["balances"].credit == 200
    assert reverse("storefront:member_order_detail", args=[order.number]) in html
    assert "生日禮" in html
    assert 'id="balance-debt"' not in html


def test_history_filters(member_client, member, admin_user):
    earn(member, 500)
    services.adjust_balance(
        member, account_kind="credit", amount=300, reason="r", actor=admin_user, idempotency_key="b"
    )
    page = member_client.get(reverse("wallet:my_account") + "?type=bonus").context["page"]
    assert [e.transaction.kind for e in page] == ["commission_release"]
    page = member_client.get(reverse("wallet:my_account") + "?account=credit").context["page"]
    assert [e.account.kind for e in page] == ["credit"]
    page = member_client.get(
        reverse("wallet:my_account") + "?date_from=2000-01-01&date_to=2000-01-02"
    ).context["page"]
    assert list(page) == []
    bad = member_client.get(
        reverse("wallet:my_account") + "?date_from=2001-01-02&date_to=2000-01-01"
    )
    assert bad.status_code == 200
    assert bad.context["filters"].errors


def test_debt_is_shown_to_the_member(member_client, member, admin_user):
    cid = earn(member, 100)
    services.convert_coins(member, 100, actor=admin_user)
    from fenrun.wallet.tests.conftest import reverse as reverse_commission

    reverse_commission(member, cid, 100)
    html = member_client.get(reverse("wallet:my_account")).content.decode()
    assert 'id="balance-debt"' in html
    assert "NT$100" in html


def test_conversion_form_and_double_submit(member_client, member):
    earn(member, 500)
    data = {"coins": "200", "token": "t-1"}
    response = member_client.post(reverse("wallet:request_conversion"), data)
    assert response.status_code == 302
    member_client.post(reverse("wallet:request_conversion"), data)
    assert Conversion.objects.count() == 1
    assert Conversion.objects.get().coins == 200


@pytest.mark.parametrize("coins", ["0", "-3", "1.5", "abc", "9999", "1e999999999", "sNaN"])
def test_conversion_form_errors_write_nothing(member_client, member, coins):
    earn(member, 500)
    before = Transaction.objects.count()
    response = member_client.post(
        reverse("wallet:request_conversion"), {"coins": coins, "token": "t"}
    )
    assert response.status_code == 422
    assert response.context["conversion_form"].errors["coins"]
    assert Transaction.objects.count() == before


def test_withdrawal_form(member_client, member):
    earn(member, 1000)
    response = member_client.post(
        reverse("wallet:request_withdrawal"), {"amount": "500", "token": "w", **BANK}
    )
    assert response.status_code == 302
    html = member_client.get(reverse("wallet:my_account")).content.decode()
    assert "•••••••••0123" in html
    assert BANK["account_number"] not in html


def test_withdrawal_form_errors(member_client, member):
    earn(member, 1000)
    response = member_client.post(
        reverse("wallet:request_withdrawal"),
        {
            "amount": "500",
            "token": "w",
            "bank_code": "12",
            "account_number": "12ab",
            "account_name": "x",
        },
    )
    assert response.status_code == 422
    errors = response.context["withdrawal_form"].errors
    assert set(errors) == {"bank_code", "account_number"}
    assert not Withdrawal.objects.exists()


def test_member_cannot_cancel_another_members_request(client, member, other_member):
    earn(member, 1000)
    conversion = services.request_conversion(member, 100)
    client.force_login(other_member)
    response = client.post(reverse("wallet:cancel_conversion", args=[conversion.pk]))
    assert response.status_code == 404
    conversion.refresh_from_db()
    assert conversion.status == Conversion.Status.PENDING


def test_member_cancels_own_request(member_client, member):
    earn(member, 1000)
    withdrawal = services.request_withdrawal(member, amount=500, **BANK)
    member_client.post(reverse("wallet:cancel_withdrawal", args=[withdrawal.pk]))
    withdrawal.refresh_from_db()
    assert withdrawal.status == Withdrawal.Status.CANCELLED


def test_staff_pages_are_closed_to_members(member_client, member):
    earn(member, 1000)
    conversion = services.request_conversion(member, 100)
    for name, args in [
        ("wallet:staff_queues", []),
        ("wallet:staff_members", []),
        ("wallet:staff_member", [member.pk]),
        ("wallet:staff_ledger_csv", []),
    ]:
        response = member_client.get(reverse(name, args=args))
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
    member_client.post(
        reverse("wallet:staff_decide_conversion", args=[conversion.pk]), {"action": "approve"}
    )
    member_client.post(
        reverse("wallet:staff_adjust", args=[member.pk]),
        {"account_kind": "coins", "amount": "999", "reason": "x", "token": "t"},
    )
    conversion.refresh_from_db()
    assert conversion.status == Conversion.Status.PENDING
    assert not Adjustment.objects.exists()


def test_staff_queue_decisions(staff_client, member):
    earn(member, 2000)
    conversion = services.request_conversion(member, 100)
    withdrawal = services.request_withdrawal(member, amount=500, **BANK)
    other = services.request_withdrawal(member, amount=400, **BANK)
    html = staff_client.get(reverse("wallet:staff_queues")).content.decode()
    assert "•••••••••0123" in html and BANK["account_number"] not in html
    staff_client.post(
        reverse("wallet:staff_decide_conversion", args=[conversion.pk]), {"action": "approve"}
    )
    conversion.refresh_from_db()
    assert conversion.status == Conversion.Status.APPROVED
    # Rejecting without a reason is refused with a message, nothing changes.
    response = staff_client.post(
        reverse("wallet:staff_decide_withdrawal", args=[withdrawal.pk]),
        {"action": "reject"},
        follow=True,
    )
    assert response.status_code == 200
    withdrawal.refresh_from_db()
    assert withdrawal.status == Withdrawal.Status.PENDING
    staff_client.post(
        reverse("wallet:staff_decide_withdrawal", args=[withdrawal.pk]), {"action": "approve"}
    )
    staff_client.post(
        reverse("wallet:staff_decide_withdrawal", args=[withdrawal.pk]),
        {"action": "pay", "reference": "T1"},
    )
    staff_client.post(
        reverse("wallet:staff_decide_withdrawal", args=[other.pk]),
        {"action": "reject", "reason": "帳號錯誤"},
    )
    withdrawal.refresh_from_db()
    other.refresh_from_db()
    assert (withdrawal.status, other.status) == (Withdrawal.Status.PAID, Withdrawal.Status.REJECTED)
    detail = staff_client.get(
        reverse("wallet:staff_withdrawal", args=[withdrawal.pk])
    ).content.decode()
    assert BANK["account_number"] in detail  # the full number, to make the transfer
    assert (
        staff_client.post(
            reverse("wallet:staff_decide_withdrawal", args=[99999]), {"action": "approve"}
        ).status_code
        == 404
    )


def test_staff_next_redirect_stays_on_site(staff_client, member):
    earn(member, 1000)
    withdrawal = services.request_withdrawal(member, amount=500, **BANK)
    response = staff_client.post(
        reverse("wallet:staff_decide_withdrawal", args=[withdrawal.pk]),
        {"action": "approve", "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("wallet:staff_queues")


def test_staff_adjustment_needs_a_reason(staff_client, member):
    url = reverse("wallet:staff_adjust", args=[member.pk])
    response = staff_client.post(
        url, {"account_kind": "coins", "amount": "100", "reason": "", "token": "a"}
    )
    assert response.status_code == 422
    assert not Adjustment.objects.exists()
    response = staff_client.post(
        url, {"account_kind": "coins", "amount": "100", "reason": "補發獎金", "token": "a"}
    )
    assert response.status_code == 302
    staff_client.post(
        url, {"account_kind": "coins", "amount": "100", "reason": "補發獎金", "token": "a"}
    )
    assert Adjustment.objects.count() == 1
    page = staff_client.get(reverse("wallet:staff_member", args=[member.pk]))
    assert page.context["balances"].coins == 100
    assert "補發獎金" in page.content.decode()


def test_staff_convert_and_member_search(staff_client, member):
    earn(member, 300)
    staff_client.post(
        reverse("wallet:staff_convert", args=[member.pk]), {"coins": "300", "token": "c"}
    )
    assert Conversion.objects.get().origin == Conversion.Origin.STAFF
    bad = staff_client.post(
        reverse("wallet:staff_convert", args=[member.pk]), {"coins": "1", "token": "d"}
    )
    assert bad.status_code == 422
    rows = staff_client.get(reverse("wallet:staff_members") + f"?q={member.email}").context["rows"]
    assert [(m.pk, b.credit) for m, b in rows] == [(member.pk, 300)]


def test_ledger_csv_export_streams_every_entry(staff_client, member, admin_user):
    earn(member, 500)
    services.adjust_balance(
        member,
        account_kind="coins",
        amount=-20,
        reason='=HYPERLINK("x")',
        actor=admin_user,
        idempotency_key="q",
    )
    response = staff_client.get(reverse("wallet:staff_ledger_csv"))
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == Transaction.objects.count() * 2
    assert sum(float(r["金額"]) for r in rows) == 0
    assert any(r["備註"].startswith("'=") for r in rows)  # no formula injection


def test_ledger_csv_speaks_the_shops_language_and_keeps_the_codes(staff_client, member):
    # Its headers and values were codes (commission_release, coins) in a zh-Hant back office.
    earn(member, 500)
    text = b"".join(staff_client.get(reverse("wallet:staff_ledger_csv")).streaming_content)
    rows = list(csv.reader(io.StringIO(text.decode("utf-8-sig"))))
    assert rows[0] == [
        "分錄編號",
        "交易編號",
        "時間",
        "類型",
        "來源",
        "來源編號",
        "帳戶",
        "會員編號",
        "會員 e-mail",
        "金額",
        "異動後餘額",
        "備註",
        "type_code",
        "source_code",
        "account_code",
    ]
    coins = next(r for r in rows[1:] if r[14] == "coins")
    assert coins[3] == "推薦獎金" and coins[4] == "獎金" and coins[6] == "網站幣"
    assert coins[12:14] == ["commission_release", "commission"]
    assert not {"commission_release", "coins", "commission"} & set(coins[:12])
    english = staff_client.get(reverse("wallet:staff_ledger_csv"), HTTP_ACCEPT_LANGUAGE="en")
    header = b"".join(english.streaming_content).decode("utf-8-sig").splitlines()[0]
    assert header.startswith("Entry no.,Transaction no.,Time,Type") and "account_code" in header


def test_wallet_page_has_no_duplicate_ids(member_client, member):
    # The conversion and the withdrawal form each rendered a hidden input id="id_token".
    import re
    from collections import Counter

    earn(member, 500)
    html = member_client.get(reverse("wallet:my_account")).content.decode()
    ids = Counter(re.findall(r'\sid="([^"]+)"', html))
    assert [i for i, n in ids.items() if n > 1] == []
    assert 'name="token"' in html


def test_admin_pages_are_read_only(staff_client, member):
    earn(member, 500)
    for url in [
        "/admin/wallet/transaction/",
        "/admin/wallet/entry/",
        "/admin/wallet/account/",
        "/admin/wallet/withdrawal/",
        "/admin/wallet/conversion/",
        "/admin/wallet/adjustment/",
    ]:
        assert staff_client.get(url).status_code == 200
    assert staff_client.get("/admin/wallet/entry/add/").status_code == 403
    tx = Transaction.objects.first()
    assert (
        staff_client.post(f"/admin/wallet/transaction/{tx.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    response = staff_client.get("/admin/wallet/walletsettings/", follow=True)
    assert response.status_code == 200
    assert "conversion_mode" in response.content.decode()


def test_staff_without_the_capability_get_403(client, member):
    earn(member, 1000)
    withdrawal = services.request_withdrawal(member, amount=500, **BANK)
    client.force_login(staff_with(Capability.VIEW_WALLETS))
    assert client.get(reverse("wallet:staff_queues")).status_code == 200
    page = client.get(reverse("wallet:staff_withdrawal", args=[withdrawal.pk])).content.decode()
    assert BANK["account_number"] not in page and withdrawal.masked_account_number in page
    assert 'value="approve"' not in page and 'value="pay"' not in page
    response = client.post(
        reverse("wallet:staff_decide_withdrawal", args=[withdrawal.pk]), {"action": "approve"}
    )
    assert response.status_code == 403
    withdrawal.refresh_from_db()
    assert withdrawal.status == Withdrawal.Status.PENDING


@pytest.mark.parametrize("mode", ["automatic", "manual"])
def test_the_conversion_card_does_not_contradict_the_mode(member_client, member, mode):
    from fenrun.wallet.models import WalletSettings

    settings = WalletSettings.load()
    settings.conversion_mode = mode
    settings.save()
    html = member_client.get(reverse("wallet:my_account")).content.decode()
    automatic = "目前為自動轉換" in html
    assert automatic == (mode == "automatic")
    # In automatic mode the card must not say that every request waits for staff.
    assert ("每筆申請由管理者審核" in html) == (mode == "manual")
