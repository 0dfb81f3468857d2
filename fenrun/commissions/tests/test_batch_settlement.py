"""Settling many completed orders at once: the manual mode's bulk action and command."""

from dataclasses import replace
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fenrun.accounts.tests.factories import UserFactory
from fenrun.commissions import services
from fenrun.commissions.forms import PlanSpec
from fenrun.commissions.models import Commission, CommissionPlan, OrderSettlement
from fenrun.orders.services import change_status
from fenrun.orders.status import OrderStatus
from fenrun.wallet.selectors import balances

from .conftest import complete, make_chain, make_plan, place, role_user, seed_plan

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def manual(db):
    services.update_settings(automatic=False, hold_days=7)


def paid_by_payee(order_ids) -> dict[int, dict[int, Decimal]]:
    result: dict[int, dict[int, Decimal]] = {}
    for c in Commission.objects.filter(order_id__in=order_ids):
        result.setdefault(c.order_id, {})[c.payee_id] = c.amount
    return result


def test_a_batch_pays_each_order_what_the_plan_says(manual):
    seed_plan()
    source, level1, level2 = make_chain(3)
    by_level2 = [complete(place(level2, price=D(price))) for price in (1000, 2500, 80)]
    by_level1 = complete(place(level1, price=D(1000)))
    guest = complete(place(None, price=D(999)))
    ids = [o.pk for o in [*by_level2, by_level1, guest]]

    batch = services.settle_orders(ids)

    assert sorted(batch.created) == sorted(ids)
    assert paid_by_payee(ids) == {
        by_level2[0].pk: {source.pk: D(40), level1.pk: D(30)},
        by_level2[1].pk: {source.pk: D(100), level1.pk: D(75)},
        by_level2[2].pk: {source.pk: D("3"), level1.pk: D("2")},  # 3.2 and 2.4, whole NT$
        by_level1.pk: {source.pk: D(50)},
    }
    settlement = OrderSettlement.objects.get(order_id=by_level2[1].pk)
    assert settlement.total == D(175) and settlement.referrer_id == level1.pk
    assert settlement.automatic is False
    # The guest's order has nobody to pay but is settled (it will not be offered again).
    assert OrderSettlement.objects.get(order_id=guest.pk).total == 0


def test_a_second_batch_changes_nothing_and_reports_what_it_skipped(manual):
    seed_plan()
    _source, level1, level2 = make_chain(3)
    done = complete(place(level2))
    open_order = change_status(place(level2), OrderStatus.PAID)
    first = services.settle_orders([done.pk, open_order.pk, 999_999])
    assert list(first.created) == [done.pk]
    assert first.not_completed == [open_order.pk] and first.missing == [999_999]
    rows = Commission.objects.count()

    again = services.settle_orders([done.pk])
    assert again.created == {} and list(again.existing) == [done.pk]
    assert Commission.objects.count() == rows == 2
    assert not Commission.objects.filter(order=open_order).exists()
    assert level1.pk in paid_by_payee([done.pk])[done.pk]


def test_the_number_of_queries_does_not_grow_with_the_batch(manual):
    seed_plan()
    chains = [make_chain(4) for _ in range(4)]
    orders = [complete(place(chain[-1], price=D(500 + i))) for i, chain in enumerate(chains * 2)]

    def queries(ids):
        with CaptureQueriesContext(connection) as ctx:
            services.settle_orders(ids)
        return len(ctx.captured_queries)

    first = queries([orders[0].pk])  # also reads the plan's rules, kept for later batches
    small = queries([orders[1].pk, orders[2].pk])
    large = queries([o.pk for o in orders[3:]])
    assert large == small == first - 3
    assert Commission.objects.count() == 8 * 2


def test_with_no_hold_the_batch_pays_the_coins_at_once(manual, hold):
    hold(0)
    seed_plan()
    source, level1, level2 = make_chain(3)
    orders = [complete(place(level2, price=D(1000))) for _ in range(3)]
    services.settle_orders([o.pk for o in orders])
    assert set(Commission.objects.values_list("status", flat=True)) == {"available"}
    assert balances(source).coins == D(120)
    assert balances(level1).coins == D(90)


def test_a_plan_edit_between_placement_and_the_batch_keeps_the_old_rates(manual):
    plan = make_plan("two", rates=[10, 5])
    source, level1, level2 = make_chain(3)
    order = complete(place(level2, price=D(1000)))
    current = CommissionPlan.objects.get(pk=plan.pk).current_version.to_rules()
    services.save_plan(
        plan=plan,
        spec=PlanSpec(
            name="two",
            description="",
            is_default=True,
            rules=replace(current, rates=(D(30), D(15))),
            legal_acknowledged=False,
        ),
    )
    later = complete(place(level2, price=D(1000)))
    services.settle_orders([order.pk, later.pk])
    assert paid_by_payee([order.pk, later.pk]) == {
        order.pk: {level1.pk: D(100), source.pk: D(50)},
        later.pk: {level1.pk: D(300), source.pk: D(150)},
    }


# -- the staff page ------------------------------------------------------------------------


def test_staff_page_lists_unsettled_orders_and_settles_the_ticked_ones(client, manual):
    seed_plan()
    source, level1, level2 = make_chain(3)
    first, second = (complete(place(level2)) for _ in range(2))
    staff = role_user("財務")
    client.force_login(staff)
    url = reverse("commissions:unsettled_orders")

    page = client.get(url)
    assert page.status_code == 200
    assert first.number in page.text and second.number in page.text

    response = client.post(url, {"order": [str(first.pk), "junk"]}, follow=True)
    assert response.status_code == 200
    assert "1" in response.text
    assert first.number not in response.text and second.number in response.text
    settlement = OrderSettlement.objects.get(order=first)
    assert settlement.created_by == staff and settlement.automatic is False
    assert not OrderSettlement.objects.filter(order=second).exists()


def test_staff_page_asks_for_a_tick_and_refuses_members(client, manual):
    seed_plan()
    url = reverse("commissions:unsettled_orders")
    client.force_login(role_user("財務"))
    response = client.post(url, {}, follow=True)
    assert response.status_code == 200
    assert OrderSettlement.objects.count() == 0
    client.force_login(UserFactory())
    assert client.get(url).status_code == 302  # to the staff login
    assert client.post(url, {"order": ["1"]}).status_code == 302
    assert OrderSettlement.objects.count() == 0


# -- the command ---------------------------------------------------------------------------


def test_command_settles_every_unsettled_order_in_batches(manual):
    seed_plan()
    _source, _level1, level2 = make_chain(3)
    orders = [complete(place(level2)) for _ in range(5)]
    services.create_commissions_for_order(orders[0].pk)
    out = StringIO()
    call_command("settle_commissions", "--batch-size", "2", stdout=out)
    assert "settled 4 order(s): 8 commission(s) created" in out.getvalue()
    assert OrderSettlement.objects.count() == 5
    out = StringIO()
    call_command("settle_commissions", stdout=out)
    assert "settled 0 order(s)" in out.getvalue()


def test_command_filters_by_order_and_completion_day(manual):
    seed_plan()
    _source, _level1, level2 = make_chain(3)
    a, b = complete(place(level2)), complete(place(level2))
    call_command("settle_commissions", "--order", str(b.pk), stdout=StringIO())
    assert list(OrderSettlement.objects.values_list("order_id", flat=True)) == [b.pk]
    call_command("settle_commissions", "--completed-before", "2000-01-01", stdout=StringIO())
    assert OrderSettlement.objects.count() == 1
    with pytest.raises(CommandError):
        call_command("settle_commissions", "--completed-before", "yesterday", stdout=StringIO())
    with pytest.raises(CommandError):
        call_command("settle_commissions", "--batch-size", "0", stdout=StringIO())
    assert not OrderSettlement.objects.filter(order=a).exists()
