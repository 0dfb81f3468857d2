"""One masking style for names, wherever a member is shown to someone else."""

import pytest

from fenrun.core.privacy import mask_name


@pytest.mark.parametrize(
    "name, masked",
    [
        ("王小明", "王○明"),
        ("王明", "王○"),
        ("歐陽小明", "歐○○明"),
        ("何", "○"),
        ("Alice Chen", "A○○○e C○○n"),
        ("  陳 美君 ", "陳○○君"),
        ("", "○○"),
    ],
)
def test_mask_name(name, masked):
    assert mask_name(name) == masked


def test_the_referral_tree_and_the_reports_mask_alike():
    from types import SimpleNamespace

    from fenrun.analytics import access
    from fenrun.referrals.selectors import mask_name as referral_mask

    member = SimpleNamespace(name="楊子廷", email="yang@example.com")
    assert referral_mask(member) == access.mask_name("楊子廷") == "楊○廷"
    nameless = SimpleNamespace(name="", email="dora@example.com")
    assert referral_mask(nameless) == "d○○a"
