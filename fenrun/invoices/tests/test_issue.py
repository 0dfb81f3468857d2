"""An order's invoice is issued through ECPay's API (the stand-in) once the order is paid, for
each way a buyer receives it; a cancellation voids it; failures are retried, never lost."""

from datetime import timedelta

import pytest
from django.utils import timezone

from fenrun.invoices import services, standin
from fenrun.invoices.models import Invoice, InvoiceAttempt, StandInInvoice
from fenrun.invoices.tasks import retry_due
from fenrun.orders.services import change_status
from fenrun.orders.status import OrderStatus as S

pytestmark = pytest.mark.django_db

MOBILE = {"kind": "mobile", "carrier_number": "/ABC+123"}
DONATION = {"kind": "donation", "love_code": "168"}
COMPANY = {"kind": "company", "ban": "22099131", "company_name": "台灣積體電路製造股份有限公司"}


def pay(order, capture):
    with capture(execute=True):
        change_status(order, S.PAID)
    return Invoice.objects.get(order=order)


def sent_data(invoice) -> dict:
    """What the stand-in decrypted from the Issue call (ECPay's side of the exchange)."""
    return StandInInvoice.objects.get(relate_number=invoice.relate_number).data


def test_paid_with_a_mobile_barcode(place, django_capture_on_commit_callbacks):
    order = place(MOBILE)
    invoice = pay(order, django_capture_on_commit_callbacks)
    assert invoice.status == Invoice.Status.ISSUED
    assert invoice.number.startswith("ZZ") and len(invoice.number) == 10
    assert len(invoice.random_code) == 4 and invoice.issued_at is not None
    data = sent_data(invoice)
    assert (data["CarrierType"], data["CarrierNum"]) == ("3", "/ABC+123")
    assert (data["Print"], data["Donation"], data["CustomerIdentifier"]) == ("0", "0", "")
    assert data["SalesAmount"] == 600
    assert [(i["ItemName"], i["ItemAmount"]) for i in data["Items"]] == [
        ("高山茶", 500),
        ("運費", 100),
    ]
    assert InvoiceAttempt.objects.filter(invoice=invoice, ok=True, operation="issue").count() == 1


def test_paid_with_a_donation_code(place, django_capture_on_commit_callbacks):
    invoice = pay(place(DONATION), django_capture_on_commit_callbacks)
    data = sent_data(invoice)
    assert invoice.status == Invoice.Status.ISSUED
    assert (data["Donation"], data["LoveCode"], data["CarrierType"], data["Print"]) == (
        "1",
        "168",
        "",
        "0",
    )


def test_paid_with_a_company_number(place, django_capture_on_commit_callbacks):
    invoice = pay(place(COMPANY), django_capture_on_commit_callbacks)
    data = sent_data(invoice)
    assert invoice.status == Invoice.Status.ISSUED
    assert data["CustomerIdentifier"] == "22099131"
    assert data["CustomerName"] == "台灣積體電路製造股份有限公司"
    assert data["Print"] == "1" and data["CarrierType"] == "" and data["CustomerAddr"]


def test_without_a_choice_the_member_carrier_is_used(place, django_capture_on_commit_callbacks):
    invoice = pay(place(), django_capture_on_commit_callbacks)
    data = sent_data(invoice)
    assert (data["CarrierType"], data["CarrierNum"], data["CustomerEmail"]) == (
        "1",
        "",
        "buyer@example.com",
    )


def test_a_choice_the_rules_refuse_cannot_be_stored(place):
    with pytest.raises(services.InvoiceError):
        place({"kind": "mobile", "carrier_number": "/abc"})


def test_issue_point_is_a_setting(place, settings, django_capture_on_commit_callbacks):
    settings.FENRUN_INVOICES = {**settings.FENRUN_INVOICES, "issue_at": "shipped"}
    order = place(MOBILE)
    with django_capture_on_commit_callbacks(execute=True):
        change_status(order, S.PAID)
    assert not Invoice.objects.filter(order=order).exists()
    with django_capture_on_commit_callbacks(execute=True):
        change_status(order, S.SHIPPED)
    assert Invoice.objects.get(order=order).status == Invoice.Status.ISSUED


def test_cash_on_delivery_is_invoiced_when_paid_at_completion(
    place, django_capture_on_commit_callbacks
):
    order = place(MOBILE, payment_method="cod")
    with django_capture_on_commit_callbacks(execute=True):
        change_status(order, S.SHIPPED)
    assert not Invoice.objects.filter(order=order).exists()
    with django_capture_on_commit_callbacks(execute=True):
        change_status(order, S.COMPLETED)
    assert Invoice.objects.get(order=order).status == Invoice.Status.ISSUED


def test_cancelled_in_the_same_period_is_voided(place, django_capture_on_commit_callbacks):
    order = place(MOBILE)
    invoice = pay(order, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        change_status(order, S.CANCELLED)
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.VOIDED and invoice.voided_at
    assert StandInInvoice.objects.get(number=invoice.number).voided
    assert not invoice.allowances.exists()


def test_cancelled_after_the_period_gets_an_allowance_for_the_whole_amount(
    place, django_capture_on_commit_callbacks
):
    order = place(MOBILE)
    invoice = pay(order, django_capture_on_commit_callbacks)
    # Issued three months ago: its period has closed.
    Invoice.objects.filter(pk=invoice.pk).update(issued_at=timezone.now() - timedelta(days=95))
    StandInInvoice.objects.filter(number=invoice.number).update(
        issued_at=timezone.now() - timedelta(days=95)
    )
    with django_capture_on_commit_callbacks(execute=True):
        change_status(order, S.REFUNDED)
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.ISSUED and invoice.operation == ""
    (allowance,) = invoice.allowances.all()
    assert allowance.status == allowance.Status.ISSUED and allowance.amount == 600
    assert allowance.number
    (given,) = StandInInvoice.objects.get(number=invoice.number).allowances
    assert given["amount"] == "600"


def test_cancelled_before_it_was_issued_is_never_issued(place, django_capture_on_commit_callbacks):
    order = place(MOBILE)
    standin.fail_next("Issue")
    invoice = pay(order, django_capture_on_commit_callbacks)
    assert invoice.status == Invoice.Status.FAILED
    with django_capture_on_commit_callbacks(execute=True):
        change_status(order, S.CANCELLED)
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.CANCELLED
    assert services.due(timezone.now() + timedelta(days=1)) == ([], [])
    assert not StandInInvoice.objects.exists()


@pytest.mark.parametrize("mode", ["refuse", "http_error"])
def test_a_failed_issue_is_kept_and_retried_when_due(
    place, django_capture_on_commit_callbacks, time_machine, mode
):
    standin.fail_next("Issue", times=2, mode=mode)
    invoice = pay(place(MOBILE), django_capture_on_commit_callbacks)
    assert invoice.status == Invoice.Status.FAILED and invoice.attempts == 1
    assert invoice.last_error and invoice.needs_staff
    assert not InvoiceAttempt.objects.get(invoice=invoice).ok
    # Not due yet: nothing is sent.
    assert retry_due() == 0
    time_machine.move_to(timezone.now() + timedelta(minutes=1, seconds=1))
    retry_due()
    invoice.refresh_from_db()
    assert (invoice.status, invoice.attempts) == (Invoice.Status.FAILED, 2)
    assert invoice.next_attempt_at - timezone.now() > timedelta(minutes=1, seconds=50)
    time_machine.move_to(timezone.now() + timedelta(minutes=2, seconds=1))
    retry_due()
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.ISSUED and not invoice.needs_staff
    assert invoice.next_attempt_at is None and invoice.last_error == ""
    assert StandInInvoice.objects.count() == 1


def test_an_issue_whose_answer_was_lost_is_found_not_issued_twice(
    place, django_capture_on_commit_callbacks
):
    invoice = pay(place(MOBILE), django_capture_on_commit_callbacks)
    # As if the answer never came back: ECPay has the invoice, the shop does not know it.
    Invoice.objects.filter(pk=invoice.pk).update(
        status=Invoice.Status.FAILED, number="", random_code="", issued_at=None, attempts=1
    )
    assert services.process_invoice(invoice.pk) == "issued"
    found = Invoice.objects.get(pk=invoice.pk)
    assert found.number == invoice.number and found.random_code == invoice.random_code
    assert StandInInvoice.objects.count() == 1
    assert InvoiceAttempt.objects.filter(invoice=invoice, operation="query", ok=True).exists()


def test_a_job_run_twice_issues_once(place, django_capture_on_commit_callbacks):
    invoice = pay(place(MOBILE), django_capture_on_commit_callbacks)
    assert services.process_invoice(invoice.pk) == "nothing to do"
    Invoice.objects.filter(pk=invoice.pk).update(
        claimed_until=timezone.now() + timedelta(minutes=1)
    )
    assert services.process_invoice(invoice.pk) == "busy"
    assert StandInInvoice.objects.count() == 1
