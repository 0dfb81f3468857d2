"""Bursts of sign-ups under one sponsor: flagged for staff, left out of recruiting figures.

A script that registers 20 accounts under one code in a few seconds builds a fake downline that
wins recruiting leaderboards and tags. Refusing such sign-ups would also refuse a KOL's live
stream, so they are *flagged*: the setting FENRUN_SIGNUP_BURST says when (``per_sponsor_and_ip``
sign-ups under one sponsor from one client address, or ``per_sponsor`` from anywhere, within
``window_seconds``); once a burst is seen every sign-up in it is flagged, the earlier ones too.
Staff with MANAGE_MEMBERS approve or reject them in the back office. docs/referral-tree.md
("Flagged sign-ups") explains the choice.
"""

from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from fenrun.referrals.models import ReferralNode, SignupReview

S = SignupReview.Status


def _burst_settings() -> dict:
    return settings.FENRUN_SIGNUP_BURST


def record_signup(node: ReferralNode, ip_hash: str) -> int:
    """Remember where ``node`` signed up from and flag the burst it completes, if any.

    Runs in the registration's transaction, after the binding: bindings queue on the tree lock,
    so two sign-ups of one burst never both miss each other. Returns the size of the burst
    flagged (0: none).
    """
    if ip_hash:
        ReferralNode.objects.filter(pk=node.pk).update(signup_ip_hash=ip_hash)
    if node.sponsor_id is None:
        return 0
    rules = _burst_settings()
    recent = ReferralNode.objects.filter(
        sponsor_id=node.sponsor_id,
        bound_at__gte=timezone.now() - timedelta(seconds=rules["window_seconds"]),
    ).exclude(bound_via=ReferralNode.BoundVia.STAFF)
    burst: list[int] = []
    reason = ""
    if ip_hash:
        same_address = list(recent.filter(signup_ip_hash=ip_hash).values_list("pk", flat=True))
        if len(same_address) >= rules["per_sponsor_and_ip"]:
            burst = same_address
            reason = _(
                "%(count)s sign-ups under one sponsor from one address within %(min)s min"
            ) % {
                "count": len(same_address),
                "min": rules["window_seconds"] // 60,
            }
    if not burst:
        everyone = list(recent.values_list("pk", flat=True))
        if len(everyone) >= rules["per_sponsor"]:
            burst = everyone
            reason = _("%(count)s sign-ups under one sponsor within %(min)s min") % {
                "count": len(everyone),
                "min": rules["window_seconds"] // 60,
            }
    if not burst:
        return 0
    SignupReview.objects.bulk_create(
        [SignupReview(member_id=pk, sponsor_id=node.sponsor_id, reason=reason) for pk in burst],
        ignore_conflicts=True,  # already flagged (or already reviewed): the first record stays
    )
    return len(burst)


def decide(reviews, *, approve: bool, actor) -> int:
    """Approve or reject pending flagged sign-ups; decided ones are left as they are."""
    return reviews.filter(status=S.PENDING).update(
        status=S.APPROVED if approve else S.REJECTED,
        decided_by=actor,
        decided_at=timezone.now(),
    )


def uncounted() -> Q:
    """Reviews whose member must not count (yet): every one not approved."""
    return ~Q(status=S.APPROVED)


def uncounted_member_ids() -> set[int]:
    """Members left out of recruiting figures, leaderboards and tags until approved."""
    return set(SignupReview.objects.filter(uncounted()).values_list("member_id", flat=True))
