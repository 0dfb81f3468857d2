"""The apps are wired together in one place, in a fixed order: this pins the table."""

from fenrun import wiring
from fenrun.accounts import hooks as account_hooks
from fenrun.analytics import subscribers as analytics
from fenrun.commissions import subscribers as commissions
from fenrun.commissions.events import CommissionReleased, CommissionReversed, CommissionsCreated
from fenrun.core import events
from fenrun.invoices import subscribers as invoices
from fenrun.invoices.checkout import InvoiceSection
from fenrun.orders import forms as order_forms
from fenrun.orders import payments as order_payments
from fenrun.orders import views as order_views
from fenrun.orders.cart import merge_guest_cart
from fenrun.orders.events import OrderPlaced, OrderStatusChanged
from fenrun.referrals import subscribers as referrals
from fenrun.referrals.events import SubtreeMoved
from fenrun.referrals.services import bind_at_registration, check_registration, sponsor_preview
from fenrun.wallet import selectors as wallet_selectors
from fenrun.wallet import subscribers as wallet
from fenrun.wallet.events import WithdrawalPaid
from fenrun.webhooks import subscribers as webhooks


def test_each_event_reaches_its_subscribers_in_the_documented_order():
    # Attribution before the commission plan is chosen, and both before credit is spent;
    # commissions settle before the wallet returns credit, roll-ups follow last.
    assert events.subscribers(OrderPlaced) == [
        referrals.on_order_placed,
        commissions.on_order_placed,
        wallet.on_order_placed,
        invoices.on_order_placed,
        webhooks.on_order_placed,
    ]
    assert events.subscribers(OrderStatusChanged) == [
        commissions.on_order_status_changed,
        wallet.on_order_status_changed,
        analytics.on_order_status_changed,
        order_payments.on_order_status_changed,
        invoices.on_order_status_changed,
        webhooks.on_order_status_changed,
    ]
    assert events.subscribers(CommissionReleased) == [
        wallet.on_commission_released,
        webhooks.on_commission_released,
    ]
    assert events.subscribers(CommissionReversed) == [
        wallet.on_commission_reversed,
        webhooks.on_commission_reversed,
    ]
    assert events.subscribers(SubtreeMoved) == [analytics.on_subtree_moved]
    assert events.subscribers(CommissionsCreated) == [webhooks.on_commissions_created]
    assert events.subscribers(WithdrawalPaid) == [webhooks.on_withdrawal_paid]


def test_the_table_is_the_running_wiring_and_nothing_else():
    registered = [
        (event_type, handler)
        for event_type in (
            OrderPlaced,
            OrderStatusChanged,
            CommissionReleased,
            CommissionReversed,
            SubtreeMoved,
            CommissionsCreated,
            WithdrawalPaid,
        )
        for handler in events.subscribers(event_type)
    ]
    assert sorted(registered, key=repr) == sorted(wiring.SUBSCRIPTIONS, key=repr)


def test_registration_login_and_checkout_hooks_are_wired_here():
    assert account_hooks.REGISTRATION_HOOKS == [
        bind_at_registration,
        webhooks.on_member_registered,
    ]
    assert account_hooks.REGISTRATION_CHECKS == [check_registration]
    assert account_hooks.LOGIN_HOOKS == [merge_guest_cart]
    assert account_hooks.SPONSOR_PREVIEWS == [sponsor_preview]
    assert order_views.CREDIT_PROVIDERS == [wallet_selectors.checkout_credit]
    assert [type(section) for section in order_forms.CHECKOUT_SECTIONS] == [InvoiceSection]


def test_wiring_twice_subscribes_once():
    wiring._registered = False
    wiring.register_subscribers()
    assert events.subscribers(OrderPlaced).count(referrals.on_order_placed) == 1
    assert account_hooks.LOGIN_HOOKS.count(merge_guest_cart) == 1


def test_no_app_registers_itself():
    # Subscriber modules only define handlers; the table above is the only registration.
    for module in (referrals, commissions, wallet, analytics):
        assert not hasattr(module, "SUBSCRIPTIONS"), module.__name__
