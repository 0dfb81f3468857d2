"""A member sees their own downline and nothing else, by page or by API; staff see all."""

import pytest

from fenrun.analytics.access import mask_name

API = "/api/v1/analytics"


@pytest.mark.parametrize(
    "name, masked",
    [
        ("王小明", "王*明"),
        ("王明", "王*"),
        ("歐陽小明", "歐**明"),
        ("A", "*"),
        ("Alice Chen", "A***e C**n"),
        ("", "＊"),
    ],
)
def test_mask_name(name, masked):
    assert mask_name(name) == masked


def test_member_reads_their_downline_with_other_names_masked(member_client, org):
    body = member_client.get(f"{API}/members/{org.kid1.pk}/node").json()
    node = body["node"]
    assert node["name"] == "李*華"
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
    assert body["uplines"] == []
    children = member_client.get(f"{API}/members/{org.member.pk}/children").json()
    assert [c["name"] for c in children["children"]] == ["李*華", "張*玲"]
    assert all(c["phone"] is None and c["email"] is None for c in children["children"])


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
    assert member_client.get(f"{API}/search", {"q": "黃路人"}).json() == []
    assert member_client.get(f"{API}/search", {"q": "林源頭"}).json() == []
    hits = member_client.get(f"{API}/search", {"q": "吳孫子"}).json()
    assert [(h["id"], h["name"], h["level"]) for h in hits] == [(org.grandkid.pk, "吳*子", 2)]
    # Phone numbers are not searchable by members: a hit would confirm whose number it is.
    assert member_client.get(f"{API}/search", {"q": org.grandkid.phone}).json() == []


def test_staff_search_by_phone_code_and_name(staff_client, org):
    hits = staff_client.get(f"{API}/search", {"q": org.stranger.phone}).json()
    assert [h["id"] for h in hits] == [org.stranger.pk]
    assert hits[0]["name"] == "黃路人"


@pytest.mark.parametrize(
    "path",
    ["/leaderboards/downline_sales", "/depth", "/utm", "/dashboard", "/tags", "/sources"],
)
def test_staff_reports_refuse_members(member_client, path):
    assert member_client.get(API + path).status_code == 403


def test_anonymous_api_is_401(client, org):
    assert client.get(f"{API}/members/{org.member.pk}/node").status_code == 401


def test_staff_see_anyone_with_personal_data(staff_client, org):
    node = staff_client.get(f"{API}/members/{org.grandkid.pk}/node").json()["node"]
    assert node["name"] == "吳孫子" and node["phone"] == org.grandkid.phone
    assert node["level"] == 5
    sources = staff_client.get(f"{API}/sources").json()
    assert {c["id"] for c in sources["children"]} >= {org.source.pk, org.stranger.pk}


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
    assert "李*華" in page and "吳*子" in page
    assert "李大華" not in page and org.kid1.phone not in page and org.kid1.email not in page
    csv = b"".join(
        member_client.get("/member/downline/members/", {"format": "csv"}).streaming_content
    )
    text = csv.decode("utf-8-sig")
    assert "李*華" in text and "李大華" not in text and org.kid1.email not in text


@pytest.mark.parametrize(
    "url",
    [
        "/staff/analytics/",
        "/staff/analytics/chart/",
        "/staff/analytics/levels/",
        "/staff/analytics/leaderboards/",
        "/staff/analytics/campaigns/",
        "/staff/analytics/utm/",
        "/staff/analytics/tags/",
    ],
)
def test_staff_pages(client, staff, org, url):
    assert client.get(url).status_code == 302  # to the login page
    client.force_login(org.member)
    assert client.get(url).status_code == 403
    client.force_login(staff)
    assert client.get(url).status_code == 200


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
    assert [c["downline"] for c in quick["children"]] == [c["downline"] for c in full["children"]]
    assert all(not c["has_sales"] and c["downline_sales"] == "0.00" for c in quick["children"])
    assert full["children"][0]["has_sales"] and full["children"][0]["personal_sales"] == "1000.00"
    node = member_client.get(f"{API}/members/{org.member.pk}/node", {"sales": "false"}).json()
    assert node["node"]["downline"] == 3 and node["node"]["has_sales"] is False
