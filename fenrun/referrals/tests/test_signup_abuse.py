"""Issue 12, item 10: guessing referral codes through registration, and fake downlines built by
bursts of sign-ups under one sponsor."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from fenrun.analytics import selectors as analytics
from fenrun.analytics import services as tags
from fenrun.analytics.models import MemberTag, Metric, Period, TagRule
from fenrun.analytics.periods import DateRange, today
from fenrun.core.permissions import Capability
from fenrun.referrals import services
from fenrun.referrals.middleware import COOKIE_NAME
from fenrun.referrals.models import ReferralCode, ReferralSettings, SignupReview

from .conftest import make_user, staff_with
from .test_attribution import register
from .test_links import BROWSER, code_of

pytestmark = pytest.mark.django_db
User = get_user_model()


def member_with_code(**extra):
    member = make_user(**extra)
    services.ensure_code(member)
    return member


def guess_limit(n):
    ReferralSettings.objects.update_or_create(pk=1, defaults={"unknown_code_limit": n})
    services.forget_settings_cache()


@pytest.fixture(autouse=True)
def _roomy_registration_limit(settings):
    # These tests register many members from one address; the per-address limit has its own.
    settings.FENRUN_REGISTRATION_LIMITS = {"window_seconds": 600, "attempts_per_ip": 1000}


def sign_ups(client, code, n, *, prefix="fan", addresses=None):
    for i in range(n):
        extra = {"REMOTE_ADDR": addresses[i]} if addresses else {}
        response = client.post(
            reverse("accounts:register"),
            {
                "email": f"{prefix}{i}@example.com",
                "name": "新會員",
                "password1": "a-Long-pass-2026",
                "password2": "a-Long-pass-2026",
                "referral_code": code,
            },
            HTTP_USER_AGENT=BROWSER,
            **extra,
        )
        assert response.status_code == 302, response.content.decode()[:2000]
        client.logout()
    return list(User.objects.filter(email__startswith=prefix).order_by("pk"))


# ---------------------------------------------------------------- guessing codes


def test_wrong_codes_at_registration_count_against_the_guessing_budget(client):
    guess_limit(3)
    real = member_with_code()
    for i in range(3):
        response = register(client, f"guess{i}@example.com", referral_code=f"guess{i:03d}")
        assert f"guess{i:03d}" in response.content.decode()  # told the code is unknown
    # Over the budget a real code is not even looked up: the answer no longer tells.
    response = register(client, "late@example.com", referral_code=code_of(real))
    html = response.content.decode()
    assert response.status_code == 200
    assert "嘗試了過多不存在的推薦碼" in html  # "Too many unknown referral codes were tried"
    assert not User.objects.filter(email="late@example.com").exists()
    # ... and the share links stop answering too: one budget for the address.
    assert COOKIE_NAME not in client.get(f"/r/{code_of(real)}", HTTP_USER_AGENT=BROWSER).cookies
    # Another address is not affected.
    response = register(
        client, "other@example.com", referral_code=code_of(real), REMOTE_ADDR="198.51.100.4"
    )
    assert response.status_code == 302


def test_a_guesser_blocked_on_share_links_is_blocked_at_registration(client):
    guess_limit(3)
    real = member_with_code()
    for i in range(3):
        client.get(f"/r/guess{i:03d}", HTTP_USER_AGENT=BROWSER)
    response = register(client, "late@example.com", referral_code=code_of(real))
    assert response.status_code == 200
    assert not User.objects.filter(email="late@example.com").exists()


def test_the_registration_preview_is_no_oracle_once_over_the_budget(client):
    guess_limit(3)
    real = member_with_code(name="王小明")
    page = reverse("accounts:register")
    assert (
        'data-testid="sponsor-note"' in client.get(page, {"code": code_of(real)}).content.decode()
    )
    for i in range(3):
        client.get(page, {"code": f"guess{i:03d}"})
    html = client.get(page, {"code": code_of(real)}).content.decode()
    assert 'data-testid="sponsor-note"' not in html


def test_taken_vanity_codes_count_against_the_budget(client):
    guess_limit(3)
    for word in ("amei", "bobo", "cici"):
        ReferralCode.objects.create(user=make_user(), code=word, kind="vanity")
    member = make_user()
    client.force_login(member)
    for word in ("amei", "bobo", "cici"):
        response = client.post("/api/v1/referrals/me/code", {"code": word}, "application/json")
        assert response.status_code == 409 or response.status_code == 422
    response = client.post("/api/v1/referrals/me/code", {"code": "free-one"}, "application/json")
    assert response.status_code == 429
    assert response.json()["code"] == "referral_code_guessing"
    assert not ReferralCode.objects.filter(code="free-one").exists()


# ---------------------------------------------------------------- bursts


def test_a_burst_under_one_code_from_one_address_is_flagged_earlier_sign_ups_too(client):
    sponsor = member_with_code()
    fans = sign_ups(client, code_of(sponsor), 5)
    reviews = SignupReview.objects.filter(status="pending")
    assert set(reviews.values_list("member_id", flat=True)) == {f.pk for f in fans}
    assert set(reviews.values_list("sponsor_id", flat=True)) == {sponsor.pk}
    # The bindings themselves stand (staff decide).
    assert all(f.referral_node.sponsor_id == sponsor.pk for f in fans)


def test_sign_ups_from_different_addresses_below_the_sponsor_limit_are_not_flagged(client):
    sponsor = member_with_code()
    sign_ups(client, code_of(sponsor), 5, addresses=[f"198.51.100.{i}" for i in range(5)])
    assert not SignupReview.objects.exists()


def test_many_sign_ups_under_one_sponsor_from_anywhere_are_flagged(client, settings):
    settings.FENRUN_SIGNUP_BURST = {**settings.FENRUN_SIGNUP_BURST, "per_sponsor": 4}
    sponsor = member_with_code()
    sign_ups(client, code_of(sponsor), 4, addresses=[f"198.51.100.{i}" for i in range(4)])
    assert SignupReview.objects.count() == 4


def test_two_sign_ups_from_one_address_are_a_household_not_a_burst(client):
    sponsor = member_with_code()
    sign_ups(client, code_of(sponsor), 2)
    assert not SignupReview.objects.exists()


def recruiting_figures():
    period = DateRange(today() - timedelta(days=1), today())
    return (
        {row.user_id: row.value for row in analytics.leaderboard(Metric.NEW_MEMBERS, period)},
        analytics.metric_values(Metric.DOWNLINE_NEW_MEMBERS, period),
    )


def test_flagged_sign_ups_count_for_no_leaderboard_or_tag_until_approved(client):
    gamer, honest = member_with_code(), member_with_code()
    fans = sign_ups(client, code_of(gamer), 20)
    sign_ups(client, code_of(honest), 2, prefix="real", addresses=["198.51.100.1", "198.51.100.2"])
    leaders, downline = recruiting_figures()
    assert gamer.pk not in leaders and leaders[honest.pk] == 2
    assert gamer.pk not in downline
    rule = TagRule.objects.create(
        name="招募達人",
        metric=Metric.NEW_MEMBERS,
        period=Period.ROLLING,
        period_days=30,
        threshold=1,
    )
    tags.recompute_rule(rule)
    assert set(MemberTag.objects.values_list("member_id", flat=True)) == {honest.pk}

    staff = staff_with(Capability.MANAGE_MEMBERS)
    client.force_login(staff)
    changelist = reverse("admin:referrals_signupreview_changelist")
    assert client.get(changelist, {"status__exact": "pending"}).status_code == 200
    ids = list(SignupReview.objects.filter(member__in=fans[:12]).values_list("pk", flat=True))
    assert (
        client.post(changelist, {"action": "approve", "_selected_action": ids}).status_code == 302
    )
    client.post(
        changelist,
        {
            "action": "reject",
            "_selected_action": list(
                SignupReview.objects.filter(member__in=fans[12:]).values_list("pk", flat=True)
            ),
        },
    )
    assert SignupReview.objects.filter(status="approved").count() == 12
    assert SignupReview.objects.filter(status="rejected", decided_by=staff).count() == 8
    leaders, downline = recruiting_figures()
    assert leaders[gamer.pk] == 12 and downline[gamer.pk] == 12
    tags.recompute_rule(rule)
    assert gamer.pk in set(MemberTag.objects.values_list("member_id", flat=True))


def test_only_staff_who_manage_members_review_sign_ups(client):
    sponsor = member_with_code()
    sign_ups(client, code_of(sponsor), 3)
    review = SignupReview.objects.first()
    changelist = reverse("admin:referrals_signupreview_changelist")
    client.force_login(staff_with(Capability.VIEW_REPORTS))
    assert client.get(changelist).status_code == 403
    client.post(changelist, {"action": "approve", "_selected_action": [review.pk]})
    review.refresh_from_db()
    assert review.status == "pending"


def test_a_wrong_code_gets_the_same_answer_for_a_taken_and_a_new_address(client):
    make_user(email="taken@example.com")
    taken = register(client, "taken@example.com", referral_code="nosuchcode")
    new = register(client, "new@example.com", referral_code="nosuchcode")
    assert taken.status_code == new.status_code == 200
    assert taken.context["form"].errors == new.context["form"].errors
    assert list(new.context["form"].errors) == ["referral_code"]
    assert not User.objects.filter(email="new@example.com").exists()
