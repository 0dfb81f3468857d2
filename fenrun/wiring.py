"""Which app reacts to what another app does: the one place where apps are wired together.

Publishers know nothing of their subscribers: orders publish their events and accounts call
their registration and login hooks without importing referrals, commissions or the wallet.
This module connects them, explicitly: a missing module or handler fails start-up loudly.

Event handlers run synchronously inside the publisher's database transaction, so money moves
together with the status change or not at all. The order of each list is the order handlers
run in, and it matters (see the comments); ``tests/test_wiring.py`` pins it.
"""

from fenrun.accounts import hooks as account_hooks
from fenrun.analytics import subscribers as analytics
from fenrun.commissions import subscribers as commissions
from fenrun.commissions.events import CommissionReleased, CommissionReversed, CommissionsCreated
from fenrun.core import events
from fenrun.invoices import checkout as invoice_checkout
from fenrun.invoices import subscribers as invoices
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

SUBSCRIPTIONS = [
    # Referrals first: the order's attribution (its referrer) must exist before commissions
    # choose the sponsor's plan for it at placement; the wallet then spends the buyer's credit.
    (OrderPlaced, referrals.on_order_placed),
    (OrderPlaced, commissions.on_order_placed),
    (OrderPlaced, wallet.on_order_placed),
    # On a status change commissions settle or reverse first, then the wallet returns the
    # credit of a cancelled or refunded order, then the sales roll-ups follow the status.
    (OrderStatusChanged, commissions.on_order_status_changed),
    (OrderStatusChanged, wallet.on_order_status_changed),
    (OrderStatusChanged, analytics.on_order_status_changed),
    # A paid order refunded or cancelled gets its payment back through its provider (a job
    # sent once the change commits).
    (OrderStatusChanged, order_payments.on_order_status_changed),
    # The buyer's invoice choice is stored with the order; an invoice follows the status (its
    # provider is called by a job after commit, never inside the order's transaction).
    (OrderPlaced, invoices.on_order_placed),
    (OrderStatusChanged, invoices.on_order_status_changed),
    (CommissionReleased, wallet.on_commission_released),
    (CommissionReversed, wallet.on_commission_reversed),
    (SubtreeMoved, analytics.on_subtree_moved),
    # Webhooks last: they describe the state every other handler has just written (the
    # order's commissions, its returned credit), in the same transaction.
    (OrderPlaced, webhooks.on_order_placed),
    (OrderStatusChanged, webhooks.on_order_status_changed),
    (CommissionsCreated, webhooks.on_commissions_created),
    (CommissionReleased, webhooks.on_commission_released),
    (CommissionReversed, webhooks.on_commission_reversed),
    (WithdrawalPaid, webhooks.on_withdrawal_paid),
]

# A new member is bound to a sponsor in the registration's transaction (it may refuse it);
# the member.joined webhook then reports the member with that sponsor.
REGISTRATION_HOOKS = [bind_at_registration, webhooks.on_member_registered]
# A typed referral code is checked before registration looks at the address (issue 12).
REGISTRATION_CHECKS = [check_registration]
# The registration page names that sponsor before the visitor signs up (「由 XX 推薦」).
SPONSOR_PREVIEWS = [sponsor_preview]
# A guest's cart joins the member's cart at login.
LOGIN_HOOKS = [merge_guest_cart]
# The checkout page asks the wallet how much shopping credit the buyer may use.
CREDIT_PROVIDERS = [wallet_selectors.checkout_credit]
# The checkout form asks for the invoice (carrier, donation or 統一編號).
CHECKOUT_SECTIONS = [invoice_checkout.InvoiceSection()]

_registered = False


def _extend(target: list, items: list) -> None:
    for item in items:
        if item not in target:
            target.append(item)


def register_subscribers() -> None:
    global _registered
    if _registered:
        return
    _registered = True
    for event_type, handler in SUBSCRIPTIONS:
        events.subscribe(event_type, handler)
    _extend(account_hooks.REGISTRATION_HOOKS, REGISTRATION_HOOKS)
    _extend(account_hooks.REGISTRATION_CHECKS, REGISTRATION_CHECKS)
    _extend(account_hooks.LOGIN_HOOKS, LOGIN_HOOKS)
    _extend(account_hooks.SPONSOR_PREVIEWS, SPONSOR_PREVIEWS)
    _extend(order_views.CREDIT_PROVIDERS, CREDIT_PROVIDERS)
    _extend(order_forms.CHECKOUT_SECTIONS, CHECKOUT_SECTIONS)
