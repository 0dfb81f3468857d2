"""折讓 for a partial refund: issue_allowance, which the refund flow calls."""

from datetime import timedelta

import pytest
from django.utils import timezone

from fenrun.core.errors import ConflictError
from fenrun.invoices import services, standin
from fenrun.invoices.models import Allowance, Invoice, StandInInvoice
from fenrun.invoices.tasks import retry_due
from fenrun.orders.services import change_status
from fenrun.orders.status import OrderStatus as S

pytestmark = pytest.mark.django_db

TEA = [{"name": "高山茶", "quantity": 1, "unit_price": "200"}]


@pytest.fixture
def paid(place, django_capture_on_commit_callbacks):
    order = place({"kind": "mobile", "carrier_number": "/ABC1234"})
    with django_capture_on_commit_callbacks(execute=True):
        change_status(order, S.PAID)
    return order


def test_a_partial_allowance(paid, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        allowance = services.issue_allowance(paid, 200, TEA, reference="refund-1")
    allowance.refresh_from_db()
    assert allowance.status == Allowance.Status.ISSUED and allowance.number
    record = StandInInvoice.objects.get(number=paid.invoice.number)
    assert [a["amount"] for a in record.allowances] == ["200"]
    assert services.allowed_remainder(paid.invoice) == 400


def test_the_same_refund_asked_twice_is_one_allowance(paid, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = services.issue_allowance(paid, 200, TEA, reference="refund-1")
        second = services.issue_allowance(paid, 200, TEA, reference="refund-1")
    assert first.pk == second.pk
    assert len(StandInInvoice.objects.get(number=paid.invoice.number).allowances) == 1


@pytest.mark.parametrize(
    "amount, lines",
    [
        (0, TEA),
        (200, [{"name": "高山茶", "quantity": 1, "unit_price": "150"}]),  # lines ≠ amount
        (200, [{"name": "", "quantity": 1, "unit_price": "200"}]),
        (601, [{"name": "高山茶", "quantity": 1, "unit_price": "601"}]),  # more than invoiced
    ],
)
def test_allowances_that_do_not_add_up_are_refused(paid, amount, lines):
    with pytest.raises(services.InvoiceError):
        services.issue_allowance(paid, amount, lines)
    assert not Allowance.objects.exists()


def test_no_allowance_without_an_issued_invoice(place):
    with pytest.raises(ConflictError):
        services.issue_allowance(place(), 200, TEA)


def test_a_failed_allowance_is_retried(paid, django_capture_on_commit_callbacks, time_machine):
    standin.fail_next("Allowance")
    with django_capture_on_commit_callbacks(execute=True):
        allowance = services.issue_allowance(paid, 200, TEA, reference="refund-1")
    allowance.refresh_from_db()
    assert allowance.status == Allowance.Status.FAILED and allowance.last_error
    time_machine.move_to(timezone.now() + timedelta(minutes=2))
    assert retry_due() == 1
    allowance.refresh_from_db()
    assert allowance.status == Allowance.Status.ISSUED


def test_an_invoice_with_an_allowance_is_not_voided_but_allowed_the_rest(
    paid, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.issue_allowance(paid, 200, TEA, reference="refund-1")
        change_status(paid, S.CANCELLED)
    invoice = Invoice.objects.get(order=paid)
    assert invoice.status == Invoice.Status.ISSUED
    assert sorted(a.amount for a in invoice.allowances.all()) == [200, 400]
    assert services.allowed_remainder(invoice) == 0
