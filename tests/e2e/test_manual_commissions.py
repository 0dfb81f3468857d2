"""Staff in a shop that creates commissions by hand: they open the list of completed orders
without commissions on a phone-sized screen, tick them all and press 新增推薦獎金."""

from decimal import Decimal
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "pass-word-123"


@pytest.fixture
def completed_orders(transactional_db):
    from fenrun.accounts.tests.factories import UserFactory
    from fenrun.commissions import services
    from fenrun.commissions.tests.conftest import complete, make_chain, place, seed_plan
    from fenrun.core.testing import grant_role

    services.update_settings(automatic=False, hold_days=7)
    seed_plan()
    source, level1, level2 = make_chain(3)
    orders = [complete(place(level2, price=Decimal(1000))) for _ in range(3)]
    staff = grant_role(UserFactory(email="boss@example.com"), "財務")
    return {"orders": orders, "source": source, "level1": level1, "staff": staff}


@pytest.mark.browser
@pytest.mark.xdist_group("browser")
def test_staff_settle_every_ticked_order_from_the_list(live_server, completed_orders, page):
    from playwright.sync_api import expect

    from fenrun.commissions.models import Commission, OrderSettlement

    orders = completed_orders["orders"]
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server.url + "/accounts/login/")
    page.locator("#id_username").fill("boss@example.com")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form").get_by_role("button").last.click()
    page.wait_for_load_state()

    page.goto(live_server.url + "/staff/commissions/unsettled/")
    table = page.locator("#unsettled-orders")
    for order in orders:
        expect(table).to_contain_text(order.number)
    master = page.locator("input[data-select-all]")
    expect(master).to_be_visible()  # the script shows it
    master.check()
    for order in orders:
        expect(page.locator(f"#order-{order.pk}")).to_be_checked()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "manual_commissions.png"), full_page=True)
    page.get_by_role("button", name="新增推薦獎金").click()

    expect(page.locator("body")).to_contain_text("已結算 3 筆訂單，新增 6 筆推薦獎金。")
    expect(page.locator("body")).to_contain_text("所有已完成的訂單都已新增推薦獎金。")
    assert OrderSettlement.objects.filter(order__in=orders).count() == 3
    paid = sorted(Commission.objects.values_list("payee_id", "amount"))
    source, level1 = completed_orders["source"], completed_orders["level1"]
    assert paid == sorted([(source.pk, Decimal(40)), (level1.pk, Decimal(30))] * 3)
