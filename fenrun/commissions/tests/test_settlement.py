"""From a completed order to commissions: creation, once only, hold, release, reversal."""

from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from fenrun.accounts.tests.factories import UserFactory
from fenrun.commissions import selectors, services
from fenrun.commissions.events import CommissionReleased, CommissionReversed
from fenrun.commissions.models import Commission, CommissionSettings, OrderSettlement
from fenrun.core import events
from fenrun.orders.models import Order
from fenrun.orders.services import change_status
from fenrun.orders.status import OrderStatus

from .conftest import complete, make_chain, make_plan, place, seed_plan

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def published():
    """Commission events published during the test."""
    seen = []

    def record(event):
        seen.append(event)

    for kind in (CommissionReleased, CommissionReversed):
        events.subscribe(kind, record)
    yield seen
    for kind in (CommissionReleased, CommissionReversed):
        events.unsubscribe(kind, record)


def amounts(order):
    return {c.payee_id: c.amount for c in Commission.objects.filter(order=order)}


def test_seed_plan_pays_the_seed_example_when_the_order_completes():
    seed_plan()
    source, level1, level2 = make_chain(3)
    order = complete(place(level2, price=D(1000)))
    assert amounts(order) == {source.pk: D(40), level1.pk: D(30)}
    by_payee = {c.payee_id: c for c in Commission.objects.filter(order=order)}
    assert by_payee[level1.pk].level == 1 and by_payee[level1.pk].tree_level == 2
    assert by_payee[source.pk].level == 2 and by_payee[source.pk].tree_level == 1
    assert by_payee[source.pk].rate == D(4) and by_payee[source.pk].base == D(1000)
    assert "2" in by_payee[source.pk].rule_text
    order2 = complete(place(level1, price=D(1000)))
    assert amounts(order2) == {source.pk: D(50)}


def test_buyer_without_sponsor_creates_no_commissions():
    seed_plan()
    (source,) = make_chain(1)
    order = complete(place(source))
    assert not Commission.objects.filter(order=order).exists()
    assert OrderSettlement.objects.get(order=order).total == 0


def test_guest_order_through_a_link_pays_the_link_owner():
    from fenrun.referrals.services import ensure_code

    seed_plan()
    source, owner = make_chain(2)
    code = ensure_code(owner).code
    order = complete(place(None, context={"attribution": {"code": code}}))
    # The link owner is level 1 and has one upline: row 2 of the seed plan.
    assert amounts(order) == {owner.pk: D(30), source.pk: D(40)}


def test_completing_twice_pays_once():
    seed_plan()
    _source, _l1, buyer = make_chain(3)
    order = complete(place(buyer))
    first = services.create_commissions_for_order(order.pk)
    assert first.created is False and len(first.commissions) == 2
    assert Commission.objects.filter(order=order).count() == 2
    assert OrderSettlement.objects.filter(order=order).count() == 1


def test_the_database_refuses_a_second_settlement_and_a_second_commission_per_line():
    seed_plan()
    _source, _l1, buyer = make_chain(3)
    order = complete(place(buyer))
    with pytest.raises(IntegrityError), transaction.atomic():
        OrderSettlement.objects.create(order=order)
    commission = Commission.objects.filter(order=order).first()
    clone = Commission.objects.get(pk=commission.pk)
    clone.pk = None
    with pytest.raises(IntegrityError), transaction.atomic():
        clone.save()


def test_manual_mode_waits_for_staff_and_the_button_creates_once():
    seed_plan()
    services.update_settings(automatic=False, hold_days=7)
    source, buyer = make_chain(2)
    order = complete(place(buyer))
    assert not Commission.objects.filter(order=order).exists()
    assert not OrderSettlement.objects.filter(order=order).exists()
    staff = UserFactory(is_staff=True)
    result = services.create_commissions_for_order(order.pk, actor=staff)
    assert result.created and amounts(order) == {source.pk: D(50)}
    assert result.settlement.automatic is False and result.settlement.created_by == staff
    again = services.create_commissions_for_order(order.pk, actor=staff)
    assert again.created is False and Commission.objects.filter(order=order).count() == 1


def test_commissions_only_for_completed_orders():
    seed_plan()
    _source, buyer = make_chain(2)
    order = place(buyer)
    with pytest.raises(services.CommissionError):
        services.create_commissions_for_order(order.pk)


def test_hold_period_keeps_commissions_pending_until_the_release_command(published):
    seed_plan()
    source, buyer = make_chain(2)
    order = complete(place(buyer))
    commission = Commission.objects.get(order=order)
    assert commission.status == Commission.Status.PENDING
    assert commission.available_at == order.completed_at + timedelta(days=7)
    assert published == []

    out = StringIO()
    call_command("release_commissions", stdout=out)
    assert "released 0" in out.getvalue()
    commission.refresh_from_db()
    assert commission.status == Commission.Status.PENDING

    Commission.objects.filter(pk=commission.pk).update(
        available_at=timezone.now() - timedelta(seconds=1)
    )
    call_command("release_commissions", stdout=out)
    commission.refresh_from_db()
    assert commission.status == Commission.Status.AVAILABLE and commission.released_at
    assert published == [
        CommissionReleased(commission_id=commission.pk, payee_id=source.pk, amount=D(50))
    ]
    call_command("release_commissions", stdout=out)
    assert len(published) == 1  # released once


def test_zero_hold_makes_commissions_available_at_once(published, hold):
    hold(0)
    seed_plan()
    source, buyer = make_chain(2)
    order = complete(place(buyer))
    commission = Commission.objects.get(order=order)
    assert commission.status == Commission.Status.AVAILABLE
    assert [e.commission_id for e in published] == [commission.pk]


def test_refund_reverses_pending_commissions(published):
    seed_plan()
    source, l1, buyer = make_chain(3)
    order = complete(place(buyer))
    change_status(order, OrderStatus.REFUNDED)
    statuses = set(Commission.objects.filter(order=order).values_list("status", flat=True))
    assert statuses == {Commission.Status.REVERSED}
    reversed_events = [e for e in published if isinstance(e, CommissionReversed)]
    assert {(e.payee_id, e.amount, e.was_released) for e in reversed_events} == {
        (source.pk, D(40), False),
        (l1.pk, D(30), False),
    }
    assert OrderSettlement.objects.get(order=order).reversed_at is not None


def test_return_then_refund_reverses_available_commissions_exactly_once(published, hold):
    hold(0)
    seed_plan()
    source, l1, buyer = make_chain(3)
    order = complete(place(buyer))
    released = {e.commission_id: e.amount for e in published}
    order = change_status(order, OrderStatus.RETURNED)
    change_status(order, OrderStatus.REFUNDED)
    reversed_events = [e for e in published if isinstance(e, CommissionReversed)]
    # Exactly what was paid comes back, once.
    assert {e.commission_id: e.amount for e in reversed_events} == released
    assert all(e.was_released for e in reversed_events)
    assert services.reverse_commissions_for_order(order.pk) == 0


def test_a_reversed_commission_is_never_released(published):
    seed_plan()
    _source, buyer = make_chain(2)
    order = complete(place(buyer))
    change_status(order, OrderStatus.REFUNDED)
    Commission.objects.filter(order=order).update(available_at=timezone.now() - timedelta(days=1))
    assert services.release_due_commissions() == 0
    assert not [e for e in published if isinstance(e, CommissionReleased)]


def test_inactive_upline_pass_up_versus_forfeit():
    make_plan("pass", rates=[10, 5], inactive_rule="pass_up")
    top, middle, sponsor, buyer = make_chain(4)
    sponsor.is_banned = True
    sponsor.save()
    order = complete(place(buyer))
    assert amounts(order) == {middle.pk: D(100), top.pk: D(50)}

    make_plan("forfeit", rates=[10, 5], inactive_rule="forfeit")
    order = complete(place(buyer))
    assert amounts(order) == {middle.pk: D(50)}


def test_no_self_pay_unless_the_plan_says_so():
    make_plan("plain", rates=[10, 5])
    source, buyer = make_chain(2)
    order = complete(place(buyer))
    assert buyer.pk not in amounts(order)
    make_plan("self", rates=[10, 5], self_pay=True)
    order = complete(place(buyer))
    assert amounts(order) == {buyer.pk: D(100), source.pk: D(50)}
    assert Commission.objects.get(order=order, payee=buyer).level == 0


def test_guaranteed_level_far_above_the_window_is_paid():
    make_plan("guard", rates=[10], guaranteed=[(1, 2)])
    chain = make_chain(25)
    order = complete(place(chain[-1]))
    assert amounts(order) == {chain[-2].pk: D(100), chain[0].pk: D(20)}
    founder = Commission.objects.get(order=order, payee=chain[0])
    assert founder.rule == "guaranteed" and founder.level == 24 and founder.tree_level == 1


def test_twenty_levels_on_a_twenty_five_level_chain():
    make_plan("deep", rates=[1] * 20)
    chain = make_chain(26)
    order = complete(place(chain[-1], price=D(1000)))
    paid = amounts(order)
    assert len(paid) == 20 and set(paid.values()) == {D(10)}
    assert set(paid) == {m.pk for m in chain[-21:-1]}


def test_rounding_per_payee_per_order_across_lines():
    from fenrun.catalog.tests.factories import ProductFactory

    make_plan("small", rates=[1])
    source, buyer = make_chain(2)
    products = [ProductFactory(price=D(40), stock=10) for _ in range(3)]
    order = complete(place(buyer, products=products))
    rows = list(Commission.objects.filter(order=order).order_by("order_line_id"))
    # 3 × NT$0.40 = NT$1.20 → NT$1 in total, carried by one line; zero lines are not stored.
    assert [r.amount for r in rows] == [D(1)]
    assert OrderSettlement.objects.get(order=order).total == D(1)


def test_shipping_is_left_out_of_the_base_by_default():
    make_plan("ten", rates=[10])
    source, buyer = make_chain(2)
    order = complete(place(buyer, price=D(1000), shipping_fee=D(100)))
    assert order.shipping_fee == D(100)
    assert amounts(order) == {source.pk: D(100)}


def test_settings_singleton():
    settings_obj = CommissionSettings.load()
    assert settings_obj.automatic is True and settings_obj.hold_days == 7


def test_a_guaranteed_source_inside_the_window_is_paid_the_higher_rate():
    make_plan("dealers", rates=[10, 5, 3], guaranteed=[(1, 1)])
    source, referral = make_chain(2)
    order = complete(place(referral, price=D(1000)))
    assert amounts(order) == {source.pk: D(100)}  # 10 %, not the guaranteed 1 %
    commission = Commission.objects.get(order=order)
    assert commission.rule == "guaranteed" and commission.rate == D(10)


@pytest.mark.parametrize(
    ("credit_on_shipping", "base"),
    [
        (None, D(440)),  # the order records no shipping share: the credit paid goods only
        (D(0), D(440)),  # 「購物金可折抵運費」 off
        (D("37.97"), D("477.97")),  # on: 200 × 150 ÷ 790 paid shipping
    ],
)
def test_the_base_takes_the_credit_off_what_it_paid_for(credit_on_shipping, base):
    make_plan("ten", rates=[10])
    source, buyer = make_chain(2)
    order = complete(place(buyer, price=D(640), shipping_fee=D(150)))
    Order.objects.filter(pk=order.pk).update(
        credit_used=D(200), grand_total=F("grand_total") - D(200)
    )
    order.refresh_from_db()
    if credit_on_shipping is not None:
        order.credit_on_shipping = credit_on_shipping
    result = selectors.calculate_order(order).result
    assert [line.base for line in result.lines] == [base]
    assert selectors.credit_on_shipping(order) == (credit_on_shipping or 0)
