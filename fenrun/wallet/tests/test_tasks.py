"""The nightly check of the books runs as a job and tells staff, once, what is broken."""

from decimal import Decimal

from django.core import mail

from fenrun.wallet import services
from fenrun.wallet.models import Account, AccountKind
from fenrun.wallet.tasks import reconcile_wallet


def test_broken_books_alert_staff_once_and_clean_books_say_nothing(member, staff, settings):
    settings.FENRUN_ALERT_EMAIL = "owner@example.com"
    services.adjust_balance(
        member, account_kind="coins", amount=100, reason="t", actor=staff, idempotency_key="k"
    )
    assert reconcile_wallet.delay().get() == 0
    assert mail.outbox == []
    account = Account.objects.get(owner=member, kind=AccountKind.COINS)
    Account.objects.filter(pk=account.pk).update(balance=Decimal("90"))
    assert reconcile_wallet.delay().get() == 1
    assert reconcile_wallet.delay().get() == 1
    assert len(mail.outbox) == 1
    assert f"account {account.pk}" in mail.outbox[0].body
    assert mail.outbox[0].to == ["owner@example.com"]


def test_without_an_alert_address_the_problem_is_only_logged(member, staff, settings, caplog):
    settings.FENRUN_ALERT_EMAIL = ""
    services.adjust_balance(
        member, account_kind="coins", amount=100, reason="t", actor=staff, idempotency_key="k"
    )
    Account.objects.filter(owner=member, kind=AccountKind.COINS).update(balance=Decimal("1"))
    assert reconcile_wallet.delay().get() == 1
    assert mail.outbox == []
    assert "balance 1.00 != sum of entries 100.00" in caplog.text
    assert any(r.levelname == "ERROR" for r in caplog.records)
