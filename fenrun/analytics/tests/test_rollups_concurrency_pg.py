"""Payments of buyers who share uplines, at once, while the tree moves (PostgreSQL: real row
locks, real threads): no deadlock, and the roll-ups equal a rebuild afterwards."""

from decimal import Decimal

import pytest

from fenrun.accounts.tests.factories import UserFactory
from fenrun.analytics import rollups, selectors
from fenrun.analytics.periods import DateRange, today
from fenrun.catalog.tests.factories import ProductFactory
from fenrun.commissions.models import CommissionSettings
from fenrun.core import testing
from fenrun.orders.services import change_status, place_order
from fenrun.orders.status import OrderStatus
from fenrun.orders.tests.factories import ShippingMethodFactory, home_recipient
from fenrun.referrals import services as referrals
from fenrun.referrals.models import ReferralNode

pytestmark = [
    *testing.POSTGRES_ONLY,
    pytest.mark.django_db(transaction=True),
]

THREADS = 8
ORDERS_PER_THREAD = 4


def test_concurrent_payments_and_moves_keep_the_rollups_exact():
    settings_row = CommissionSettings.load()
    settings_row.automatic = False
    settings_row.save()
    staff = UserFactory(is_staff=True)
    # A chain of 24 (deeper than 20 for the top), with buyers hanging at several depths: every
    # payment writes rows of the same uplines.
    chain = [UserFactory(phone="") for _ in range(24)]
    referrals.bind_sponsor(chain[0], None, via="none")
    for upper, lower in zip(chain, chain[1:], strict=False):
        referrals.bind_sponsor(lower, upper, via="link")
    other_top = UserFactory(phone="")
    referrals.bind_sponsor(other_top, None, via="none")
    buyers = []
    for t in range(THREADS):
        buyer = UserFactory(phone="")
        referrals.bind_sponsor(buyer, chain[5 + t * 2], via="link")
        buyers.append(buyer)
    method = ShippingMethodFactory()
    product = ProductFactory(price=Decimal("250.50"), stock=1000)
    orders = {
        t: [
            place_order(
                items=[(product.pk, 1 + (t + k) % 3)],
                recipient=home_recipient(),
                shipping_method=method,
                payment_method="atm",
                user=buyers[t],
            )
            for k in range(ORDERS_PER_THREAD)
        ]
        for t in range(THREADS)
    }

    def pay(t):
        def job():
            for k, order in enumerate(orders[t]):
                change_status(order, OrderStatus.PAID, actor=staff)
                if k == 0:
                    change_status(order, OrderStatus.REFUNDED, actor=staff)

        return job

    def mover():
        # The middle of the chain (with half the buyers below) goes to the other source and
        # back, while the payments run.
        for target in (other_top, chain[9], other_top, chain[9]):
            referrals.reassign_sponsor(chain[10], target, actor=staff, reason="race")

    testing.run_all_at_once([pay(t) for t in range(THREADS)] + [mover])

    result = rollups.check()
    assert result.ok, result
    period = DateRange(today(), today())
    paid = [o for t in range(THREADS) for o in orders[t][1:]]
    expected = sum((o.goods_total - o.discount_total for o in paid), Decimal(0))
    node = ReferralNode.objects.get(pk=chain[0].pk)
    report = selectors.level_figures(chain[0].pk, node, period)
    assert report.total.orders == len(paid)
    assert report.total.sales == expected
