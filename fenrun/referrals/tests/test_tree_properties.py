"""Property tests: any sequence of registrations and re-assignments leaves a consistent tree."""

from django.contrib.auth import get_user_model
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from fenrun.referrals import selectors, services
from fenrun.referrals.models import ReferralNode
from fenrun.referrals.services import ReferralError
from fenrun.referrals.tree import SEGMENT_WIDTH, path_ids

# ("join", sponsor index or None) registers a member; ("move", member, sponsor or None) is a
# staff re-assignment. Indices are taken modulo the members that exist at that point.
operations = st.lists(
    st.one_of(
        st.tuples(st.just("join"), st.none() | st.integers(0, 30)),
        st.tuples(st.just("move"), st.integers(0, 30), st.none() | st.integers(0, 30)),
    ),
    min_size=1,
    max_size=18,
)


class TreeProperties(TestCase):
    @settings(max_examples=35, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(operations)
    def test_any_history_keeps_a_tree(self, ops):
        User = get_user_model()
        staff = User.objects.create(email="prop-staff@example.com", password="!", is_staff=True)
        members: list = []
        parent: dict[int, int | None] = {}  # the model the database must agree with

        def descendant_of(node_id, ancestor_id):
            while node_id is not None:
                if node_id == ancestor_id:
                    return True
                node_id = parent[node_id]
            return False

        for op in ops:
            if op[0] == "join" or not members:
                user = User.objects.create(email=f"prop-{len(members)}@example.com", password="!")
                sponsor = (
                    members[op[1] % len(members)]
                    if op[0] == "join" and op[1] is not None and members
                    else None
                )
                services.bind_sponsor(user, sponsor, via="link" if sponsor else "none")
                members.append(user)
                parent[user.pk] = sponsor.pk if sponsor else None
                continue
            member = members[op[1] % len(members)]
            sponsor = members[op[2] % len(members)] if op[2] is not None else None
            allowed = (sponsor is None or not descendant_of(sponsor.pk, member.pk)) and parent[
                member.pk
            ] != (sponsor.pk if sponsor else None)
            try:
                services.reassign_sponsor(member, sponsor, actor=staff, reason="property test")
            except ReferralError:
                assert not allowed
            else:
                assert allowed
                parent[member.pk] = sponsor.pk if sponsor else None

        nodes = {n.pk: n for n in ReferralNode.objects.filter(pk__in=parent)}
        # Every node's stored path and level; the selectors on a few of them (queries cost).
        probes = set(list(parent)[-4:]) | {members[0].pk}
        for user_id, node in nodes.items():
            chain, walker = [], user_id
            while walker is not None:
                chain.append(walker)
                assert len(chain) <= len(parent), "cycle"
                walker = parent[walker]
            chain.reverse()
            assert node.sponsor_id == parent[user_id]
            assert path_ids(node.path) == chain
            assert node.depth == len(chain) == len(node.path) // SEGMENT_WIDTH
            if user_id not in probes:
                continue
            ups = selectors.upline_chain(user_id, limit=None)
            assert [u.user_id for u in ups] == chain[:-1][::-1]
            assert [u.tree_level for u in ups] == list(range(len(chain) - 1, 0, -1))
            below = [
                other for other in parent if other != user_id and descendant_of(other, user_id)
            ]
            assert set(selectors.downline_ids(user_id)) == set(below)
            expected_levels: dict[int, int] = {}
            for other in below:
                level = nodes[other].depth - node.depth
                expected_levels[level] = expected_levels.get(level, 0) + 1
            assert selectors.downline_counts_by_level(user_id) == expected_levels

        # Many chains at once agree with the model: self, `limit` uplines, then the uplines on
        # the asked tree levels further up.
        limit, far_levels = 2, {1, 3}
        chains = selectors.chains_of(parent, limit=limit, tree_levels=far_levels)
        assert set(chains) == set(parent)
        for user_id, got in chains.items():
            path = path_ids(nodes[user_id].path)
            expected = [(user_id, 0, len(path))] + [
                (path[len(path) - 1 - level], level, len(path) - level)
                for level in range(1, len(path))
                if level <= limit or len(path) - level in far_levels
            ]
            assert [(u.user_id, u.level, u.tree_level) for u in got] == expected
