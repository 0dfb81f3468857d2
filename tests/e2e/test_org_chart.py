"""The organisation chart in a real headless Chromium: staff open it at a member, expand a
node by clicking it on the canvas, and find a member by search, who the chart then opens at."""

import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "pass-word-123"


@pytest.fixture
def organisation(transactional_db):
    from django.utils import timezone

    from fenrun.accounts.tests.factories import UserFactory
    from fenrun.analytics.models import Metric, TagRule
    from fenrun.analytics.services import recompute_member_tags
    from fenrun.analytics.tests.builders import build_tree, make_order
    from fenrun.core.testing import grant_role

    # 0 林源頭 → 1 王小明, 2 李大華, 3 張美玲; 1 → 4 陳小華, 5 黃阿寶; 4 → 6 吳家豪 → 7, 8
    users = build_tree([None, 0, 0, 0, 1, 1, 4, 6, 6])
    names = [
        "林源頭",
        "王小明",
        "李大華",
        "張美玲",
        "陳小華",
        "黃阿寶",
        "吳家豪",
        "蔡依林",
        "許志安",
    ]
    for user, name in zip(users, names, strict=True):
        user.name = name
        user.save(update_fields=["name"])
    now = timezone.now()
    for i, goods in [(1, 1800), (4, 2600), (5, 900), (6, 3200), (7, 1200), (2, 700)]:
        make_order(users[i], goods=Decimal(goods), placed_at=now - timedelta(hours=i))
    TagRule.objects.create(
        name="轉單王", metric=Metric.DOWNLINE_SALES, threshold=Decimal("5000"), color="#d9480f"
    )
    recompute_member_tags()
    staff = grant_role(UserFactory(email="boss@example.com", name="店長"), "店長")
    return {"users": users, "staff": staff}


@pytest.mark.browser
@pytest.mark.xdist_group("browser")
def test_staff_open_the_chart_expand_a_node_and_find_a_member(live_server, organisation, page):
    from playwright.sync_api import expect

    users = organisation["users"]
    source, wang, chen, wu = users[0], users[1], users[4], users[6]
    base = live_server.url

    page.goto(base + "/accounts/login/")
    page.locator("#id_username").fill("boss@example.com")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form").get_by_role("button").last.click()
    page.wait_for_load_state()

    # Open the chart at the source: the member and their three direct referrals load.
    page.goto(f"{base}/staff/analytics/chart/?member={source.pk}")
    chart = page.locator("#org-chart")
    expect(page.locator("#node-detail-name")).to_have_text("林源頭")
    expect(page.locator("#chart-status")).to_contain_text("3")
    expect(chart).to_have_attribute("data-ready", re.compile(r"[1-9]"))
    ids = page.evaluate("window.fenrunOrgChart.nodeIds()")
    assert set(ids) == {str(u.pk) for u in users[:4]}
    expect(page.locator("#node-detail")).to_contain_text("轉單王")

    # Expand 王小明 by clicking his node on the canvas: his two referrals are fetched.
    expect(chart).to_have_attribute("data-idle", "1")
    point = page.evaluate(f"window.fenrunOrgChart.nodePoint({wang.pk})")
    assert point is not None
    page.mouse.click(point["x"], point["y"])
    expect(page.locator("#node-detail-name")).to_have_text("王小明")
    expect(chart).to_have_attribute("data-ready", "2")
    ids = page.evaluate("window.fenrunOrgChart.nodeIds()")
    assert {str(chen.pk), str(users[5].pk)} <= set(ids)
    assert str(wu.pk) not in ids  # deeper levels wait until asked for
    expect(page.locator("#node-detail")).to_contain_text(
        "NT$7,900"
    )  # 2,600 + 900 + 3,200 + 1,200 below 王小明

    # Find 吳家豪 (not loaded yet) by name and jump to him.
    page.locator("#chart-search-q").fill("吳家")
    page.locator("#chart-search").get_by_role("button").click()
    hit = page.locator(f'.search-hit[data-member-id="{wu.pk}"]')
    expect(hit).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "org_chart.png"), full_page=True)
    hit.click()
    expect(page.locator("#node-detail-name")).to_have_text("吳家豪")
    expect(page.locator("#chart-breadcrumb")).to_contain_text("陳小華")
    expect(page.locator("#chart-breadcrumb")).to_contain_text("林源頭")
    expect(page).to_have_url(re.compile(rf"member={wu.pk}"))
    expect(page.locator("#chart-status")).to_contain_text("吳家豪")
    ids = page.evaluate("window.fenrunOrgChart.nodeIds()")
    assert set(ids) == {str(wu.pk), str(users[7].pk), str(users[8].pk)}
    page.screenshot(path=str(ARTIFACTS / "org_chart_found.png"), full_page=True)


@pytest.mark.browser
@pytest.mark.xdist_group("browser")
def test_a_page_of_referrals_ends_in_a_node_that_loads_the_next(
    live_server, organisation, page, monkeypatch
):
    """The chart reads the API's count/limit/offset: with two a page, the source's third
    referral waits behind a "more" node until it is clicked."""
    from playwright.sync_api import expect

    from fenrun.analytics import selectors

    monkeypatch.setattr(selectors, "CHILDREN_PAGE", 2)
    users = organisation["users"]
    source = users[0]
    base = live_server.url
    page.goto(base + "/accounts/login/")
    page.locator("#id_username").fill("boss@example.com")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form").get_by_role("button").last.click()
    page.wait_for_load_state()

    page.goto(f"{base}/staff/analytics/chart/?member={source.pk}")
    chart = page.locator("#org-chart")
    expect(chart).to_have_attribute("data-ready", "1")
    ids = set(page.evaluate("window.fenrunOrgChart.nodeIds()"))
    more = f"more-{source.pk}"
    assert ids == {str(source.pk), str(users[1].pk), str(users[2].pk), more}

    expect(chart).to_have_attribute("data-idle", "1")
    point = page.evaluate(f"window.fenrunOrgChart.nodePoint('{more}')")
    assert point is not None
    page.mouse.click(point["x"], point["y"])
    expect(chart).to_have_attribute("data-ready", "2")
    assert str(users[3].pk) in page.evaluate("window.fenrunOrgChart.nodeIds()")
    expect(page.locator("#chart-status")).to_contain_text("3")
