"""Staff plan pages with preview, an order's commissions page, and "我的獎金"."""

import re
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from fenrun.accounts.tests.factories import UserFactory
from fenrun.catalog.tests.factories import ProductFactory
from fenrun.commissions.models import Commission, CommissionPlan, PlanVersion
from fenrun.commissions.services import update_settings

from .conftest import complete, make_chain, make_plan, place, role_user, seed_plan

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def staff_client(client):
    staff = role_user("店長", email="boss@example.com")
    client.force_login(staff)
    client.staff = staff
    return client


def plan_post(**overrides):
    data = {
        "name": "兩層",
        "description": "",
        "mode": "levels",
        "levels": "2",
        "rate_1": "10",
        "rate_2": "5",
        "inactive_rule": "pass_up",
        "rounding_mode": "half_up",
        "rounding_places": "0",
        "preview-amount": "1000",
        "preview-buyer_level": "2",
    }
    data.update(overrides)
    return data


def test_plan_pages_need_staff(client):
    member = UserFactory()
    client.force_login(member)
    response = client.get(reverse("commissions:plan_list"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_plan_list_shows_plans_the_plus_button_and_precedence(staff_client):
    seed_plan()
    response = staff_client.get(reverse("commissions:plan_list"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "seed" in html and reverse("commissions:plan_create") in html
    assert 'id="precedence"' in html


def test_create_plan_through_the_page(staff_client):
    response = staff_client.post(reverse("commissions:plan_create"), plan_post(is_default="on"))
    plan = CommissionPlan.objects.get(name="兩層")
    assert response.status_code == 302
    assert response["Location"] == reverse("commissions:plan_edit", args=[plan.pk])
    assert plan.is_default and plan.current_version.to_rules().rates == (D(10), D(5))
    page = staff_client.get(response["Location"])
    assert page.status_code == 200 and "v1" in page.content.decode()


def test_bad_input_shows_field_errors_and_saves_nothing(staff_client):
    response = staff_client.post(
        reverse("commissions:plan_create"), plan_post(rate_1="150", rate_2="1.005")
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) >= {"rate_1", "rate_2"}
    assert 'aria-invalid="true"' in response.content.decode()
    assert not CommissionPlan.objects.exists()


def test_three_levels_show_the_legal_warning_and_record_the_acknowledgement(staff_client):
    response = staff_client.post(
        reverse("commissions:plan_create"), plan_post(levels="3", rate_3="2")
    )
    assert response.status_code == 200
    assert "legal_acknowledged" in response.context["form"].errors
    assert "多層次傳銷管理法" in response.content.decode()
    response = staff_client.post(
        reverse("commissions:plan_create"),
        plan_post(levels="3", rate_3="2", legal_acknowledged="on"),
    )
    assert response.status_code == 302
    version = PlanVersion.objects.get()
    assert version.legal_acknowledged_by == staff_client.staff
    assert version.legal_acknowledged_at is not None


def test_preview_on_submit_saves_nothing_and_shows_who_gets_what(staff_client):
    response = staff_client.post(
        reverse("commissions:plan_create"),
        plan_post(
            mode="matrix", levels="2", m_1_1="5", m_2_1="3", m_2_2="4", cap="7", _preview="1"
        ),
    )
    assert response.status_code == 200 and not CommissionPlan.objects.exists()
    preview = response.context["preview"]
    assert [(row.tree_level, row.amount) for row in preview.rows] == [(2, D(30)), (1, D(40))]
    assert preview.total == D(70)
    assert "preview-table" in response.content.decode()


def test_live_preview_fragment(staff_client):
    response = staff_client.post(
        reverse("commissions:plan_preview"),
        plan_post(**{"preview-buyer_level": "1", "preview-amount": "1000"}),
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html and "NT$100" in html  # level 1 member → sponsor (source) 10%


def test_live_preview_with_bad_rates_says_so(staff_client):
    response = staff_client.post(reverse("commissions:plan_preview"), plan_post(rate_1="abc"))
    assert response.status_code == 200 and response.context["preview"] is None


def test_assignments_from_the_plan_page(staff_client):
    plan = seed_plan(default=False)
    product = ProductFactory()
    url = reverse("commissions:assignment_add", args=[plan.pk])
    response = staff_client.post(url, {"target": "product", "product": product.pk})
    assert response.status_code == 302 and plan.assignments.get().product == product
    response = staff_client.post(url, {"target": "member", "member_email": "nobody@example.com"})
    assert plan.assignments.count() == 1
    assignment = plan.assignments.get()
    staff_client.post(reverse("commissions:assignment_remove", args=[assignment.pk]))
    assert not plan.assignments.exists()


def test_settings_form_on_the_plan_list(staff_client):
    response = staff_client.post(reverse("commissions:plan_list"), {"hold_days": "0"})
    assert response.status_code == 302
    from fenrun.commissions.models import CommissionSettings

    current = CommissionSettings.load()
    assert current.hold_days == 0 and current.automatic is False
    response = staff_client.post(reverse("commissions:plan_list"), {"hold_days": "-1"})
    assert response.status_code == 200 and "hold_days" in response.context["settings_form"].errors


def test_order_commissions_page_and_the_create_button(staff_client):
    seed_plan()
    update_settings(automatic=False, hold_days=7)
    source, l1, buyer = make_chain(3)
    order = complete(place(buyer))
    url = reverse("commissions:order_commissions", args=[order.pk])
    page = staff_client.get(url)
    assert page.status_code == 200 and "新增推薦獎金" in page.content.decode()
    response = staff_client.post(reverse("commissions:create_for_order", args=[order.pk]))
    assert response.status_code == 302 and response["Location"] == url
    assert Commission.objects.filter(order=order).count() == 2
    staff_client.post(reverse("commissions:create_for_order", args=[order.pk]))
    assert Commission.objects.filter(order=order).count() == 2
    page = staff_client.get(url).content.decode()
    assert "新增推薦獎金" not in page and source.email in page and "NT$40" in page


def test_create_button_on_an_unfinished_order_explains(staff_client):
    seed_plan()
    _source, buyer = make_chain(2)
    order = place(buyer)
    response = staff_client.post(
        reverse("commissions:create_for_order", args=[order.pk]), follow=True
    )
    assert response.status_code == 200 and not Commission.objects.exists()
    assert any("completed" in str(m) or "完成" in str(m) for m in response.context["messages"])


def test_my_commissions_lists_only_mine_with_filters(client):
    seed_plan()
    source, l1, buyer = make_chain(3)
    complete(place(buyer))
    client.force_login(l1)
    response = client.get(reverse("commissions:my_commissions"))
    assert response.status_code == 200
    rows = list(response.context["page"])
    assert [c.payee_id for c in rows] == [l1.pk] and rows[0].amount == D(30)
    assert response.context["totals"]["pending"] == D(30)
    response = client.get(reverse("commissions:my_commissions"), {"status": "available"})
    assert list(response.context["page"]) == []
    response = client.get(
        reverse("commissions:my_commissions"), {"date_from": "2030-01-02", "date_to": "2030-01-01"}
    )
    assert "date_to" in response.context["filters"].errors


def test_my_commissions_needs_login(client):
    response = client.get(reverse("commissions:my_commissions"))
    assert response.status_code == 302


def test_hot_pages_do_not_grow_queries_with_rows(client, django_assert_max_num_queries):
    seed_plan()
    source, l1, buyer = make_chain(3)
    for _ in range(4):
        complete(place(buyer, products=[ProductFactory(price=D(500)) for _ in range(3)]))
    client.force_login(l1)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("commissions:my_commissions"))
    assert len(response.context["page"]) == 12
    staff = role_user("店長")
    client.force_login(staff)
    order_id = Commission.objects.values_list("order_id", flat=True).first()
    # Staff pages read the role's permissions once per request: two queries more.
    with django_assert_max_num_queries(13):
        response = client.get(reverse("commissions:order_commissions", args=[order_id]))
    assert len(response.context["commissions"]) == 6
    for n in range(3):
        make_plan(f"extra {n}", rates=[1, 1, 1], default=False, guaranteed=[(1, 1)])
    with django_assert_max_num_queries(14):
        response = client.get(reverse("commissions:plan_list"))
    assert len(response.context["plans"]) == 4


def test_admin_pages_render(client):
    seed_plan()
    source, buyer = make_chain(2)
    order = complete(place(buyer))
    admin_user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin_user)
    plan = CommissionPlan.objects.get()
    commission = Commission.objects.get(order=order)
    for url in (
        "/admin/commissions/commissionplan/",
        f"/admin/commissions/commissionplan/{plan.pk}/change/",
        "/admin/commissions/planversion/",
        f"/admin/commissions/planversion/{plan.current_version.pk}/change/",
        "/admin/commissions/planassignment/",
        "/admin/commissions/commission/",
        f"/admin/commissions/commission/{commission.pk}/change/",
        "/admin/commissions/ordersettlement/",
        "/admin/commissions/commissionsettings/",
    ):
        assert client.get(url).status_code == 200, url
    response = client.get("/admin/commissions/commissionplan/add/")
    assert response.status_code == 302 and response["Location"] == reverse(
        "commissions:plan_create"
    )


class _Controls(HTMLParser):
    """Form controls of a page and the labels that name them."""

    SILENT = {"hidden", "submit", "button", "reset"}

    def __init__(self):
        super().__init__()
        self.controls: list[dict] = []
        self.label_for: set[str] = set()
        self.open_labels = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "label":
            self.open_labels += 1
            if attrs.get("for"):
                self.label_for.add(attrs["for"])
        elif tag in ("input", "select", "textarea") and attrs.get("type") not in self.SILENT:
            self.controls.append({**attrs, "_in_label": self.open_labels > 0})

    def handle_endtag(self, tag):
        if tag == "label":
            self.open_labels -= 1

    def unnamed(self) -> list[str]:
        return [
            c.get("name", "?")
            for c in self.controls
            if not (c["_in_label"] or c.get("aria-label") or c.get("id") in self.label_for)
        ]


def test_every_input_of_the_plan_editor_has_a_label(staff_client):
    plan = make_plan("dealers", rates=[10, 5, 3], guaranteed=[(1, 1)])
    for url in (
        reverse("commissions:plan_create"),
        reverse("commissions:plan_edit", args=[plan.pk]),
    ):
        parser = _Controls()
        parser.feed(staff_client.get(url).content.decode())
        assert any(c.get("name") == "g_1_tree_level" for c in parser.controls)
        assert parser.unnamed() == []


def test_the_preview_numbers_levels_below_the_source_and_pays_the_higher_rate(staff_client):
    page = staff_client.get(reverse("commissions:plan_create")).content.decode()
    assert "第 0 層" not in page and "層 0" not in page and "源頭本人消費" in page
    response = staff_client.post(
        reverse("commissions:plan_preview"),
        plan_post(
            levels="3",
            rate_3="3",
            g_1_tree_level="1",
            g_1_rate="1",
            **{"preview-buyer_level": "1"},
        ),
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert "層1 會員（第 2 階層）消費" in html
    assert "源頭（第 1 階層）" in html and "NT$100" in html
    assert "只發一次，取較高的比例" in html
    assert "第 0 層" not in html and "層 0" not in html


def test_the_create_button_says_its_name_once(staff_client):
    seed_plan()
    update_settings(automatic=False, hold_days=7)
    _source, _l1, buyer = make_chain(3)
    order = complete(place(buyer))
    html = staff_client.get(reverse("commissions:order_commissions", args=[order.pk])).content
    buttons = re.findall(r"<button[^>]*>(.*?)</button>", html.decode(), re.S)
    assert [re.sub(r"<[^>]+>|\s", "", b) for b in buttons if "推薦獎金" in b] == ["新增推薦獎金"]


def test_the_legal_acknowledgement_is_one_sentence_without_a_colon(staff_client):
    html = staff_client.get(reverse("commissions:plan_create")).content.decode()
    assert "本商店已取得必要的核可。" in html
    assert "核可。：" not in html and "核可。:" not in html
