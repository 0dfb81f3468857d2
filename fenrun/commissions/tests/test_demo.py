"""The demo seed: the seed's plan as default, a 3-level 經銷商方案, commissions; idempotent."""

from decimal import Decimal
from io import StringIO

import pytest

from fenrun.accounts.tests.factories import UserFactory
from fenrun.catalog.tests.factories import CategoryFactory, ProductFactory
from fenrun.commissions import demo
from fenrun.commissions.models import Commission, CommissionPlan, OrderSettlement
from fenrun.orders.models import Order

from .conftest import complete, make_chain, place

pytestmark = pytest.mark.django_db
D = Decimal


def test_seed_twice_creates_plans_and_commissions_once():
    staff = UserFactory(email=demo.STAFF_EMAIL, is_staff=True)
    tea = CategoryFactory(slug=demo.DEALER_CATEGORY)
    source, level1, buyer = make_chain(3)
    order = complete(place(buyer, products=[ProductFactory(price=D(1000))]))
    tea_order = complete(place(buyer, products=[ProductFactory(price=D(1000), category=tea)]))
    Order.objects.filter(pk__in=[order.pk, tea_order.pk]).update(source="demo")
    # Completed before any plan existed: settled with nothing to pay.
    assert OrderSettlement.objects.count() == 2 and not Commission.objects.exists()

    demo.seed(StringIO())
    demo.seed(StringIO())

    seed_plan = CommissionPlan.objects.get(name=demo.SEED_PLAN)
    dealer = CommissionPlan.objects.get(name=demo.DEALER_PLAN)
    assert seed_plan.is_default and not dealer.is_default
    assert CommissionPlan.objects.count() == 2
    assert dealer.current_version.levels == 3
    assert dealer.current_version.legal_acknowledged_by == staff
    assert dealer.assignments.get().category == tea
    paid = {(c.order_id, c.payee_id): c.amount for c in Commission.objects.all()}
    assert paid == {
        (order.pk, level1.pk): D(30),
        (order.pk, source.pk): D(40),
        (tea_order.pk, level1.pk): D(100),
        # The source stands on the guaranteed tree level 1 (1%) and is level 2 (5%): paid once,
        # at the higher rate.
        (tea_order.pk, source.pk): D(50),
    }
    assert OrderSettlement.objects.count() == 2
