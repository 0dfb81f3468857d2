import io

import pytest

from fenrun.referrals import demo, selectors
from fenrun.referrals.models import Campaign, Click, ReferralNode

pytestmark = pytest.mark.django_db


def test_demo_seed_builds_a_deep_tree_and_is_idempotent():
    out = io.StringIO()
    demo.seed(out)
    nodes = ReferralNode.objects.filter(user__email__startswith="demo-member-")
    assert nodes.count() == 50
    assert nodes.filter(sponsor__isnull=True).count() == len(demo.ROOTS)
    assert max(n.depth for n in nodes) >= 7
    live = Campaign.objects.get(title="山嵐直播 11月場")
    assert live.ends_at > live.starts_at
    clicks = Click.objects.count()
    assert 200 <= clicks <= 500
    assert Click.objects.filter(campaign=live).exists()
    assert {"facebook", "line", "google", "instagram"} <= set(
        Click.objects.values_list("utm_source", flat=True)
    )
    first = nodes.get(user__email="demo-member-01@example.com")
    assert selectors.downline_count(first.pk) >= 8
    demo.seed(io.StringIO())
    assert ReferralNode.objects.filter(user__email__startswith="demo-member-").count() == 50
    assert Click.objects.count() == clicks
    assert Campaign.objects.count() == 3
    assert "referrals:" in out.getvalue()
