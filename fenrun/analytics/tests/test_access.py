"""A member sees their own downline and nothing else, by page or by API; staff see all."""

import io

import pytest
from openpyxl import load_workbook

from fenrun.analytics.tests.conftest import staff_in
from fenrun.core.privacy import mask_email, mask_phone

API = "/api/v1/analytics"


def test_member_reads_their_downline_with_other_names_masked(member_client, org):
    body = member_client.get(f"{API}/members/{org.kid1.pk}/node").json()
    node = body["node"]
    assert node["name"] == "李○華"
    assert node["email"] is None and node["phone"] is None
    assert node["level"] == 1
    assert node["direct_referrals"] == 1 and node["downline"] == 1
    assert node["personal_sales"] == "1000.00" and node["downline_sales"] == "500.00"
    # The breadcrumb stops at the member: nothing above them leaks.
    assert body["uplines"] == [{"id": org.member.pk, "name": "王小明"}]


def test_member_sees_their_own_data_unmasked_and_no_upline(member_client, org):
    body = member_client.get(f"{API}/members/{org.member.pk}/node").json()
    assert body["node"]["name"] == "王小明"
    assert body["node"]["email"] == org.member.email
    assert body["node"]["sponsor_id"] is None
    assert (body["node"]["level"], body["node"]["tree_level"]) == (0, None)
    assert body["uplines"] == []
    children = member_client.get(f"{API}/members/{org.member.pk}/children").json()
    assert [c["name"] for c in children["items"]] == ["李○華", "張○玲"]
    assert all(c["phone"] is None and c["email"] is None for c in children["items"])


@pytest.mark.parametrize("who", ["source", "sponsor", "stranger"])
@pytest.mark.parametrize("endpoint", ["node", "children", "levels", "downline"])
def test_member_asking_outside_their_downline_gets_403_and_nothing_else(
    member_client, org, who, endpoint
):
    target = getattr(org, who)
    response = member_client.get(f"{API}/members/{target.pk}/{endpoint}")
    assert response.status_code == 403
    text = response.content.decode()
    assert target.name not in text and target.email not in text and target.phone not in text
    assert set(response.json()) <= {"detail", "code", "errors"}


def test_unknown_member_is_404(member_client, staff_client):
    assert member_client.get(f"{API}/members/987654321/node").status_code == 404
    assert staff_client.get(f"{API}/members/987654321/levels").status_code == 404


def test_member_search_stays_inside_the_downline(member_client, org):
    assert member_client.get(f"{API}/search", {"q": "黃路人"}).json()["items"] == []
    assert member_client.get(f"{API}/search", {"q": "林源頭"}).json()["items"] == []
    hits = member_client.get(f"{API}/search", {"q": "吳孫子"}).json()["items"]
    assert [(h["id"], h["name"], h["level"]) for h in hits] == [(org.grandkid.pk, "吳○子", 2)]
    # Phone numbers are not searchable by members: a hit would confirm whose number it is.
    assert member_client.get(f"{API}/search", {"q": org.grandkid.phone}).json()["items"] == []


def test_staff_search_by_phone_code_and_name(staff_client, org):
    hits = staff_client.get(f"{API}/search", {"q": org.stranger.phone}).json()["items"]
    assert [h["id"] for h in hits] == [org.stranger.pk]
    assert hits[0]["name"] == "黃路人"


@pytest.mark.parametrize(
    "path",
    ["/leaderboards/downline_sales", "/depth", "/utm", "/dashboard", "/tags", "/sources"],
)
def test_staff_reports_refuse_members(member_client, path):
    response = member_client.get(API + path)
    assert response.status_code == 403
    assert set(response.json()) <= {"detail", "code", "errors"}


def test_anonymous_api_is_401(client, org):
    assert client.get(f"{API}/members/{org.member.pk}/node").status_code == 401


def test_staff_see_anyone_with_personal_data(staff_client, org):
    node = staff_client.get(f"{API}/members/{org.grandkid.pk}/node").json()["node"]
    assert node["name"] == "吳孫子" and node["phone"] == org.grandkid.phone
    # 層 as on the member's chart: counted from the top (the source is 0), 1 = direct referral.
    assert (node["level"], node["tree_level"]) == (4, 5)
    source = staff_client.get(f"{API}/members/{org.source.pk}/node").json()["node"]
    assert (source["level"], source["tree_level"]) == (0, 1)
    hits = staff_client.get(f"{API}/search", {"q": "吳孫子"}).json()["items"]
    assert [h["level"] for h in hits] == [4]
    sources = staff_client.get(f"{API}/sources").json()
    assert {c["id"] for c in sources["items"]} >= {org.source.pk, org.stranger.pk}


# ---------------------------------------------------------------- pages


@pytest.mark.parametrize(
    "url",
    ["/member/downline/", "/member/downline/levels/", "/member/downline/members/"],
)
def test_member_pages_refuse_outside_members(member_client, org, url):
    for outsider in (org.sponsor, org.stranger):
        response = member_client.get(url, {"member": outsider.pk})
        assert response.status_code == 403
        assert outsider.name not in response.content.decode()
    assert member_client.get(url, {"member": 987654321}).status_code == 404
    assert member_client.get(url, {"member": "abc"}).status_code == 404
    ok = member_client.get(url, {"member": org.kid1.pk})
    assert ok.status_code == 200


def test_member_downline_list_masks_and_hides_contacts(member_client, org):
    page = member_client.get("/member/downline/members/").content.decode()
    assert "李○華" in page and "吳○子" in page
    assert "李大華" not in page and org.kid1.phone not in page and org.kid1.email not in page
    csv = b"".join(
        member_client.get("/member/downline/members/", {"format": "csv"}).streaming_content
    )
    text = csv.decode("utf-8-sig")
    assert "李○華" in text and "李大華" not in text and org.kid1.email not in text


STAFF_PAGES = [
    "/staff/analytics/",
    "/staff/analytics/chart/",
    "/staff/analytics/levels/",
    "/staff/analytics/leaderboards/",
    "/staff/analytics/campaigns/",
    "/staff/analytics/utm/",
]


@pytest.mark.parametrize("url", [*STAFF_PAGES, "/staff/analytics/tags/"])
def test_staff_pages(client, staff, org, url):
    assert client.get(url).status_code == 302  # to the login page
    client.force_login(org.member)
    assert client.get(url).status_code == 302  # members are sent to the back-office login
    client.force_login(staff_in("出貨"))  # fulfilment: staff, but no reports
    assert client.get(url).status_code == 403
    client.force_login(staff)
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("url", STAFF_PAGES)
def test_report_pages_need_view_reports(client, org, url):
    client.force_login(staff_in("財務"))  # finance reads reports
    assert client.get(url).status_code == 200


def test_tag_rules_and_recompute_need_manage_campaigns(client, org):
    client.force_login(staff_in("財務"))  # reports, but not campaigns
    assert client.get("/staff/analytics/tags/").status_code == 403
    assert client.post("/staff/analytics/tags/recompute/").status_code == 403
    assert client.get(f"{API}/tags").status_code == 403
    assert client.post(f"{API}/tags/recompute").status_code == 403
    client.force_login(staff_in("行銷"))
    assert client.get("/staff/analytics/tags/").status_code == 200
    assert client.post("/staff/analytics/tags/recompute/").status_code == 302
    assert client.get(f"{API}/tags").status_code == 200


@pytest.mark.parametrize(
    "path",
    ["/leaderboards/downline_sales", "/depth", "/utm", "/dashboard", "/sources"],
)
def test_staff_reports_refuse_staff_without_view_reports(client, org, path):
    client.force_login(staff_in("出貨"))
    response = client.get(API + path)
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"


def test_fulfilment_staff_use_the_member_api_as_a_member(client, org):
    """Being staff is not seeing the organisation: without VIEW_REPORTS the member operations
    treat them as the member they are (outside the tree: nobody but themselves)."""
    client.force_login(staff_in("出貨"))
    assert client.get(f"{API}/members/{org.member.pk}/node").status_code == 403
    assert client.get(f"{API}/search", {"q": org.member.name}).json()["items"] == []


def test_openapi_declares_access_per_operation(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    access = {
        (path, method): op.get("x-access")
        for path, ops in paths.items()
        if path.startswith(API)
        for method, op in ops.items()
    }
    assert access[(f"{API}/members/{{member_id}}/node", "get")] == ["member"]
    assert access[(f"{API}/dashboard", "get")] == ["core.view_reports"]
    assert access[(f"{API}/tags/recompute", "post")] == ["core.manage_campaigns"]
    assert all(access.values()), access


# ---------------------------------------------------------------- contact data


def test_marketing_sees_reports_with_contact_data_masked_by_api(marketing_client, org):
    node = marketing_client.get(f"{API}/members/{org.grandkid.pk}/node").json()["node"]
    assert node["name"] == "吳孫子"  # names are not contact data
    assert node["phone"] == "0911***006"
    assert node["email"] == mask_email(org.grandkid.email) != org.grandkid.email
    children = marketing_client.get(f"{API}/members/{org.member.pk}/children").json()
    assert all(c["phone"].count("*") == 3 for c in children["items"])
    text = marketing_client.get(f"{API}/members/{org.member.pk}/children").content.decode()
    assert org.kid1.email not in text and org.kid1.phone not in text
    # Searching by a phone number would confirm whose it is.
    assert marketing_client.get(f"{API}/search", {"q": org.stranger.phone}).json()["items"] == []
    assert marketing_client.get(f"{API}/search", {"q": org.stranger.email}).json()["items"] == []
    assert [
        h["id"] for h in marketing_client.get(f"{API}/search", {"q": "黃路人"}).json()["items"]
    ] == [org.stranger.pk]


def test_marketing_sees_the_downline_page_and_export_masked(marketing_client, org):
    url = f"/staff/analytics/members/{org.member.pk}/downline/"
    page = marketing_client.get(url).content.decode()
    assert "李大華" in page and "0911***004" in page
    assert org.kid1.phone not in page and org.kid1.email not in page
    for fmt in ("csv", "xlsx"):
        response = marketing_client.get(url, {"format": fmt})
        body = b"".join(response.streaming_content)
        if fmt == "csv":
            cells = body.decode("utf-8-sig")
        else:
            sheet = load_workbook(io.BytesIO(body)).active
            cells = "\n".join(str(v) for row in sheet.iter_rows(values_only=True) for v in row)
        assert "李大華" in cells and "0911***004" in cells and mask_email(org.kid1.email) in cells
        assert org.kid1.phone not in cells and org.kid1.email not in cells


def test_contact_data_in_full_with_the_capability(client, org):
    client.force_login(staff_in("財務"))  # finance holds VIEW_CONTACT_DATA
    node = client.get(f"{API}/members/{org.kid1.pk}/node").json()["node"]
    assert (node["email"], node["phone"]) == (org.kid1.email, org.kid1.phone)
    page = client.get(f"/staff/analytics/members/{org.member.pk}/downline/").content.decode()
    assert org.kid1.phone in page and org.kid1.email in page


def test_marketing_tag_members_and_leaderboard_exports_are_masked(marketing_client, org):
    from fenrun.analytics.models import Metric, TagRule
    from fenrun.analytics.services import recompute_member_tags

    for user in (org.source, org.sponsor):
        user.name = ""  # a member without a name falls back to their (masked) e-mail
        user.save(update_fields=["name"])
    rule = TagRule.objects.create(name="轉單王", metric=Metric.DOWNLINE_SALES, threshold=1)
    recompute_member_tags()
    for url, query in (
        (f"/staff/analytics/tags/{rule.pk}/", {}),
        (f"/staff/analytics/tags/{rule.pk}/", {"format": "csv"}),
        ("/staff/analytics/leaderboards/", {}),
        ("/staff/analytics/leaderboards/", {"table": "downline_sales", "format": "csv"}),
    ):
        response = marketing_client.get(url, query)
        assert response.status_code == 200, url
        body = (
            b"".join(response.streaming_content) if response.streaming else response.content
        ).decode("utf-8-sig")
        assert org.source.email not in body and org.sponsor.email not in body, (url, query)
        assert mask_email(org.source.email) in body, (url, query)


@pytest.mark.parametrize(
    "email, masked",
    [("dora@example.com", "d***@example.com"), ("x", "x***"), ("", "")],
)
def test_mask_email(email, masked):
    assert mask_email(email) == masked


@pytest.mark.parametrize(
    "phone, masked", [("0912345678", "0912***678"), ("+886912345678", "+886***678"), ("", "")]
)
def test_mask_phone(phone, masked):
    assert mask_phone(phone) == masked


def test_member_chart_page_renders_config(member_client, org):
    response = member_client.get("/member/downline/")
    assert response.status_code == 200
    config = response.context["chart_config"]
    assert config["rootId"] == org.member.pk and config["isStaff"] is False
    assert 'id="org-chart"' in response.content.decode()


def test_structure_first_then_sales(member_client, org):
    quick = member_client.get(f"{API}/members/{org.member.pk}/children", {"sales": "false"})
    full = member_client.get(f"{API}/members/{org.member.pk}/children").json()
    quick = quick.json()
    assert [c["downline"] for c in quick["items"]] == [c["downline"] for c in full["items"]]
    assert all(not c["has_sales"] and c["downline_sales"] == "0.00" for c in quick["items"])
    assert full["items"][0]["has_sales"] and full["items"][0]["personal_sales"] == "1000.00"
    node = member_client.get(f"{API}/members/{org.member.pk}/node", {"sales": "false"}).json()
    assert node["node"]["downline"] == 3 and node["node"]["has_sales"] is False
