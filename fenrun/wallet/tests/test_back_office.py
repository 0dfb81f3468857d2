"""The back office as one place, in the shop's language: the staff layout, and the admin's words."""

import re

import pytest
from django.urls import reverse

from fenrun.core.permissions import Capability
from fenrun.wallet.tests.conftest import earn, staff_in, staff_with

STAFF_PAGES = [
    "wallet:staff_queues",
    "wallet:staff_members",
    "commissions:plan_list",
    "commissions:unsettled_orders",
    "analytics:dashboard",
    "analytics:campaigns",
]


def _nav(html: str) -> str:
    return html.split('id="staff-nav"')[1].split("</nav>")[0]


@pytest.mark.django_db
@pytest.mark.parametrize("name", STAFF_PAGES)
def test_staff_pages_share_the_staff_layout(client, name):
    # Plans and reports used the shop's layout (cart, product search, no way back to /admin/);
    # wallet review the admin theme.
    client.force_login(staff_in("店長"))
    html = client.get(reverse(name)).content.decode()
    assert 'class="site-header staff-header"' in html
    assert 'class="cart-link"' not in html and 'class="search-form"' not in html
    nav = _nav(html)
    for url in ("/admin/", reverse("commissions:plan_list"), reverse("wallet:staff_queues")):
        assert f'href="{url}"' in nav
    assert 'href="{}"'.format(reverse("analytics:dashboard")) in nav
    assert nav.count('aria-current="page"') == 1


@pytest.mark.django_db
def test_staff_navigation_shows_only_what_the_role_may_open(client):
    client.force_login(staff_with(Capability.VIEW_REPORTS))
    nav = _nav(client.get(reverse("analytics:dashboard")).content.decode())
    assert 'href="{}"'.format(reverse("analytics:dashboard")) in nav
    assert reverse("commissions:plan_list") not in nav
    assert reverse("wallet:staff_queues") not in nav
    assert 'href="/admin/"' in nav


@pytest.mark.django_db
def test_wallet_queue_rows_become_cards_on_a_phone(client, member):
    from fenrun.wallet import services

    earn(member, 1000)
    services.request_withdrawal(
        member, amount=500, bank_code="812", account_number="1234567890123", account_name="王小明"
    )
    client.force_login(staff_in("財務"))
    html = client.get(reverse("wallet:staff_queues")).content.decode()
    table = html.split('id="open-withdrawals"')[1].split("</table>")[0]
    assert 'class="table stack-table"' in html
    assert 'data-label="狀態"' in table and 'value="approve"' in table


@pytest.mark.django_db
def test_admin_changelist_speaks_zh_hant(client):
    # django-unfold ships no zh_Hant catalogue: its search box, filters and theme menu were English.
    client.force_login(staff_in("財務"))
    html = client.get("/admin/wallet/entry/").content.decode()
    for english in ("Search apps and models", "Type to search", ">Filters<", "Transaction<"):
        assert english not in html, english
    for words in ("搜尋功能與資料", "輸入關鍵字搜尋", "篩選", "錢包交易", "帳戶", "深色", "淺色"):
        assert words in html, words
    assert "<title>" in html and "fenrun 後台" in html


@pytest.mark.django_db
def test_ledger_rows_name_their_source_in_words(client, member):
    earn(member, 500)
    client.force_login(staff_in("財務"))
    html = client.get("/admin/wallet/entry/").content.decode()
    assert not re.search(r"\((commission|order|adjustment):\d+\)", html)
    assert "推薦獎金 (獎金 " in html


@pytest.mark.django_db
def test_user_admin_password_help_is_zh_hant(client, admin_user, member):
    client.force_login(admin_user)
    html = client.get(f"/admin/accounts/user/{member.pk}/change/").content.decode()
    assert "Raw passwords are not stored" not in html
    assert "密碼不以原文儲存" in html
    add = client.get("/admin/accounts/user/add/").content.decode()
    assert "After you've created a user" not in add
