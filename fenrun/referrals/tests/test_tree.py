import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from fenrun.referrals import selectors, services
from fenrun.referrals.models import ReferralNode, SponsorChange
from fenrun.referrals.services import ReferralError
from fenrun.referrals.tree import SEGMENT_WIDTH, path_ids, segment, successor

from .conftest import make_user

pytestmark = pytest.mark.django_db


def bind(user, sponsor):
    return services.bind_sponsor(user, sponsor, via=ReferralNode.BoundVia.LINK)


def chain(length):
    users = [make_user() for _ in range(length)]
    services.bind_sponsor(users[0], None, via=ReferralNode.BoundVia.NONE)
    for parent, child in zip(users, users[1:], strict=False):
        bind(child, parent)
    return users


def test_successor_carries_nines():
    assert successor("000000012") == "000000013"
    assert successor("000000019000000999") == "000000019000001000"
    assert successor("999") is None


def test_levels_and_paths_follow_the_sponsor_chain():
    a, b, c = chain(3)
    nodes = {n.pk: n for n in ReferralNode.objects.all()}
    assert [nodes[u.pk].depth for u in (a, b, c)] == [1, 2, 3]
    assert path_ids(nodes[c.pk].path) == [a.pk, b.pk, c.pk]
    assert nodes[c.pk].sponsor_id == b.pk


def test_upline_chain_is_nearest_first_with_absolute_levels():
    users = chain(5)
    ups = selectors.upline_chain(users[4].pk)
    assert [u.user_id for u in ups] == [users[3].pk, users[2].pk, users[1].pk, users[0].pk]
    assert [u.level for u in ups] == [1, 2, 3, 4]
    assert [u.tree_level for u in ups] == [4, 3, 2, 1]
    assert selectors.upline_chain(users[4].pk, limit=2)[-1].user_id == users[2].pk
    assert selectors.upline_chain(users[0].pk) == []


def test_upline_chain_is_one_query(django_assert_num_queries):
    users = chain(4)
    with django_assert_num_queries(1):
        selectors.upline_chain(users[3].pk)


def test_upline_reports_banned_and_inactive_and_group():
    a, b, c = chain(3)
    get_user_model().objects.filter(pk=a.pk).update(is_banned=True)
    get_user_model().objects.filter(pk=b.pk).update(is_active=False)
    ups = {u.user_id: u for u in selectors.upline_chain(c.pk)}
    assert ups[a.pk].is_active is False
    assert ups[b.pk].is_active is False
    c2 = make_user()
    bind(c2, a)
    assert selectors.upline_chain(c2.pk)[0].group_id is None


def test_uplines_at_tree_levels_reach_beyond_the_window():
    users = chain(30)
    found = selectors.uplines_at_tree_levels(users[29].pk, {1, 2, 30, 31, 0})
    assert [(u.user_id, u.tree_level, u.level) for u in found] == [
        (users[1].pk, 2, 28),
        (users[0].pk, 1, 29),
    ]


def test_descendants_and_counts_per_level():
    root = make_user()
    services.bind_sponsor(root, None, via="none")
    kids = [make_user() for _ in range(3)]
    for kid in kids:
        bind(kid, root)
    grandkids = [make_user() for _ in range(4)]
    for i, g in enumerate(grandkids):
        bind(g, kids[i % 2])
    other_root = make_user()
    services.ensure_node(other_root)
    assert selectors.downline_count(root.pk) == 7
    assert selectors.downline_counts_by_level(root.pk) == {1: 3, 2: 4}
    assert selectors.downline_counts_by_level(kids[0].pk) == {1: 2}
    assert selectors.downline_count(other_root.pk) == 0
    assert set(selectors.downline_ids(kids[1].pk)) == {grandkids[1].pk, grandkids[3].pk}


def test_first_binding_wins():
    a, b, c = make_user(), make_user(), make_user()
    bind(c, a)
    with pytest.raises(ReferralError):
        bind(c, b)
    assert ReferralNode.objects.get(pk=c.pk).sponsor_id == a.pk


def test_source_binding_is_permanent_too():
    a, b = make_user(), make_user()
    services.bind_sponsor(b, None, via="none")
    with pytest.raises(ReferralError):
        bind(b, a)


def test_self_referral_refused_own_account_and_same_person():
    a = make_user(email="amy.lin@gmail.com", phone="0912000111")
    with pytest.raises(ReferralError):
        bind(a, a)
    twin = make_user(email="amylin+shop@gmail.com")
    with pytest.raises(ReferralError):
        bind(twin, a)
    assert not ReferralNode.objects.filter(pk=twin.pk, bound_at__isnull=False).exists()


def test_unbound_source_with_downline_moves_with_it():
    a, b, c = make_user(), make_user(), make_user()
    bind(c, b)  # b is an unbound source with one referral
    bind(b, a)
    assert path_ids(ReferralNode.objects.get(pk=c.pk).path) == [a.pk, b.pk, c.pk]
    with pytest.raises(ReferralError):
        # a is not bound yet but is now above b and c: binding it below c would be a cycle
        bind(a, c)


def test_reassign_moves_the_subtree_and_is_audited():
    staff = make_user(is_staff=True)
    a, b, c, d = chain(4)
    x = make_user()
    services.bind_sponsor(x, None, via="none")
    change = services.reassign_sponsor(b, x, actor=staff, reason="客服確認推薦人填錯")
    assert (change.old_sponsor_id, change.new_sponsor_id, change.actor_id) == (a.pk, x.pk, staff.pk)
    assert change.reason == "客服確認推薦人填錯"
    assert [u.user_id for u in selectors.upline_chain(d.pk)] == [c.pk, b.pk, x.pk]
    assert selectors.downline_count(a.pk) == 0
    assert selectors.downline_counts_by_level(x.pk) == {1: 1, 2: 1, 3: 1}
    # and back to a source
    services.reassign_sponsor(b, None, actor=staff, reason="獨立經營")
    node = ReferralNode.objects.get(pk=d.pk)
    assert (node.depth, path_ids(node.path)) == (3, [b.pk, c.pk, d.pk])
    assert SponsorChange.objects.filter(member=b).count() == 2


def test_reassign_refuses_cycles_and_missing_reason():
    staff = make_user(is_staff=True)
    a, b, c = chain(3)
    with pytest.raises(ReferralError) as err:
        services.reassign_sponsor(a, c, actor=staff, reason="try")
    assert err.value.field == "sponsor"
    with pytest.raises(ReferralError):
        services.reassign_sponsor(b, b, actor=staff, reason="try")
    with pytest.raises(ReferralError) as err:
        services.reassign_sponsor(c, None, actor=staff, reason="  ")
    assert err.value.field == "reason"
    assert not SponsorChange.objects.exists()


def test_database_refuses_inconsistent_nodes():
    a = make_user()
    b = make_user()
    services.ensure_node(a)
    bad = [
        dict(user=b, depth=0, path=""),
        dict(user=b, depth=2, path=segment(b.pk), sponsor=a),  # length does not match level
        dict(user=b, depth=1, path=segment(a.pk)),  # path does not end with own id
        dict(user=b, depth=2, path=segment(a.pk) + segment(b.pk)),  # level 2 without sponsor
    ]
    for fields in bad:
        with pytest.raises(IntegrityError), transaction.atomic():
            ReferralNode.objects.create(**fields)


def _bulk_chain(length):
    """A chain built in SQL: binding 5,000 members one by one takes minutes, and sending 110 MB
    of paths from Python takes longer than letting the database concatenate them (a running
    string aggregate in member order is exactly the chain's paths)."""
    User = get_user_model()
    User.objects.bulk_create(
        [User(email=f"deep-{i}@example.com", name=f"{i:05d}", password="!") for i in range(length)],
        batch_size=1000,
    )
    if connection.vendor == "sqlite":
        running_path = "group_concat(printf('%%09d', id), '')"
    else:
        running_path = "string_agg(lpad(CAST(id AS text), 9, '0'), '')"
    node, user = ReferralNode._meta.db_table, User._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {node} (user_id, sponsor_id, depth, path, bound_via, created_at)
            SELECT id, LAG(id) OVER w, ROW_NUMBER() OVER w, {running_path} OVER w, 'import', %s
            FROM {user} WHERE email LIKE 'deep-%%'
            WINDOW w AS (ORDER BY name ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
            """,
            [timezone.now()],
        )
    return list(User.objects.filter(email__startswith="deep-").order_by("name"))


def test_five_thousand_levels():
    users = _bulk_chain(5000)
    bottom = users[-1]
    ups = selectors.upline_chain(bottom.pk)
    assert [u.user_id for u in ups] == [u.pk for u in users[-2:-22:-1]]
    assert ups[0].tree_level == 4999
    everything = selectors.upline_chain(bottom.pk, limit=None)
    assert len(everything) == 4999 and everything[-1].user_id == users[0].pk
    assert selectors.uplines_at_tree_levels(bottom.pk, {1, 3})[1].user_id == users[0].pk
    assert selectors.downline_count(users[0].pk) == 4999
    assert selectors.downline_count(users[3000].pk) == 1999
    counts = selectors.downline_counts_by_level(users[4000].pk)
    assert len(counts) == 999 and set(counts.values()) == {1}
    # a binding and a move at the bottom of the chain
    leaf = make_user()
    services.bind_sponsor(leaf, bottom, via="link")
    assert ReferralNode.objects.get(pk=leaf.pk).depth == 5001
    staff = make_user(is_staff=True)
    services.reassign_sponsor(users[4990], users[10], actor=staff, reason="deep move")
    node = ReferralNode.objects.get(pk=leaf.pk)
    assert node.depth == 12 + 9 + 1  # users[4990] now on level 12, the leaf 10 below it
    assert len(node.path) == node.depth * SEGMENT_WIDTH
    assert selectors.upline_chain(leaf.pk, limit=11)[-1].user_id == users[10].pk


def test_subtree_query_uses_the_path_index():
    a, b = chain(2)
    node = ReferralNode.objects.get(pk=a.pk)
    qs = ReferralNode.objects.filter(**services.subtree_lookup(node.path, node.depth))
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            plan = " ".join(str(row) for row in cursor.fetchall())
        else:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("EXPLAIN " + sql, params)
            plan = " ".join(row[0] for row in cursor.fetchall())
    assert "refnode_path_head_depth" in plan
