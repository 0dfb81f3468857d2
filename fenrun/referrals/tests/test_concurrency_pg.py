"""Concurrent re-assignments never make a cycle (PostgreSQL: real row locks, real threads)."""

import random

import pytest

from fenrun.core import testing
from fenrun.referrals import services
from fenrun.referrals.models import ReferralNode
from fenrun.referrals.services import ReferralError
from fenrun.referrals.tree import SEGMENT_WIDTH, path_ids

from .conftest import make_user

pytestmark = [
    *testing.POSTGRES_ONLY,
    pytest.mark.django_db(transaction=True),
]


def assert_a_consistent_tree():
    nodes = {n.pk: n for n in ReferralNode.objects.all()}
    for node in nodes.values():
        chain, walker = [], node.pk
        while walker is not None:
            chain.append(walker)
            assert len(chain) <= len(nodes), f"cycle through {node.pk}"
            walker = nodes[walker].sponsor_id
        chain.reverse()
        assert path_ids(node.path) == chain
        assert node.depth == len(chain) == len(node.path) // SEGMENT_WIDTH


def test_crossed_reassignments_cannot_both_win():
    staff = make_user(is_staff=True)
    pairs = []
    for _ in range(6):
        a, b = make_user(), make_user()
        services.bind_sponsor(a, None, via="none")
        services.bind_sponsor(b, None, via="none")
        services.bind_sponsor(make_user(), a, via="link")
        services.bind_sponsor(make_user(), b, via="link")
        pairs.append((a, b))
    outcomes = []

    def move(member, sponsor):
        def job():
            for _ in range(1):
                try:
                    services.reassign_sponsor(member, sponsor, actor=staff, reason="race")
                    outcomes.append("moved")
                except ReferralError:
                    outcomes.append("refused")

        return job

    for a, b in pairs:
        testing.run_all_at_once([move(a, b), move(b, a)])
    assert outcomes.count("moved") == len(pairs)
    assert outcomes.count("refused") == len(pairs)
    assert_a_consistent_tree()


def test_random_concurrent_moves_and_bindings_keep_a_tree():
    staff = make_user(is_staff=True)
    members = [make_user() for _ in range(24)]
    services.bind_sponsor(members[0], None, via="none")
    for i, member in enumerate(members[1:], start=1):
        services.bind_sponsor(member, members[random.Random(i).randrange(i)], via="link")
    newcomers = [make_user() for _ in range(12)]

    def mover(seed):
        def job():
            rng = random.Random(seed)
            for _ in range(15):
                member, sponsor = rng.sample(members, 2)
                try:
                    services.reassign_sponsor(member, sponsor, actor=staff, reason="shuffle")
                except ReferralError:
                    pass

        return job

    def joiner():
        rng = random.Random(99)
        for newcomer in newcomers:
            services.bind_sponsor(newcomer, rng.choice(members), via="link")

    testing.run_all_at_once([mover(1), mover(2), mover(3), joiner])
    assert_a_consistent_tree()
    assert (
        ReferralNode.objects.filter(
            pk__in=[n.pk for n in newcomers], bound_at__isnull=False
        ).count()
        == 12
    )
