from io import StringIO

from fenrun.orders.tests.factories import ShippingMethodFactory
from fenrun.wallet import demo, reconcile
from fenrun.wallet.models import Adjustment, Conversion, Transaction, Withdrawal


def test_demo_seed_is_idempotent_and_reconciles(db):
    from fenrun.accounts import demo as accounts_demo
    from fenrun.catalog import demo as catalog_demo

    catalog_demo.seed(StringIO())
    accounts_demo.seed(StringIO())
    ShippingMethodFactory()
    demo.seed(StringIO())
    counts = (
        Transaction.objects.count(),
        Conversion.objects.count(),
        Withdrawal.objects.count(),
        Adjustment.objects.count(),
    )
    demo.seed(StringIO())
    assert counts == (
        Transaction.objects.count(),
        Conversion.objects.count(),
        Withdrawal.objects.count(),
        Adjustment.objects.count(),
    )
    assert set(Conversion.objects.values_list("status", flat=True)) == {
        "approved",
        "pending",
        "rejected",
    }
    assert sorted(Withdrawal.objects.values_list("status", flat=True)) == ["paid", "pending"]
    assert Transaction.objects.filter(kind="checkout_spend").count() == 1
    assert reconcile.problems() == []


def test_demo_without_members_does_nothing(db):
    out = StringIO()
    demo.seed(out)
    assert "skipped" in out.getvalue()
    assert not Transaction.objects.exists()
