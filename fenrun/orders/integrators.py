"""Orders pushed by an integrator (a POS, another shop): who bought, who referred, paid or not.

The integrator may name the buyer by e-mail or mobile number. A member with that address or
number makes it the member's order, attributed as a member's web order is (their sponsor's
upline earns); an address that is no member's makes a guest order with that address, as a web
checkout without logging in does — a POS sells to non-members all day. A referral code the
buyer gave goes to the same attribution service as a share link's, as a code typed by the
buyer: unknown, or the buyer's own, it refuses the order (422) instead of being ignored.
An order pushed already paid (a POS sale) is placed and paid in one transaction.
"""

from dataclasses import replace

from django.db import transaction

from fenrun.accounts.lookup import find_member
from fenrun.orders.models import Order, ShippingMethod
from fenrun.orders.payments import record_integrator_payment
from fenrun.orders.services import Recipient, place_order


def find_buyer(*, email: str = "", phone: str = ""):
    """The active member an integrator names by e-mail and/or mobile number, or None (a guest)."""
    return find_member(email=email, phone=phone, fields=("buyer_email", "buyer_phone"))


def push_order(
    *,
    source: str,
    items: list[tuple[int | None, int]],
    recipient: Recipient,
    shipping_method: ShippingMethod,
    payment_method: str,
    external_ref: str = "",
    buyer_email: str = "",
    buyer_phone: str = "",
    referral_code: str = "",
    paid: bool = False,
) -> Order:
    """Place an integrator's order through ``place_order``, as a web checkout would."""
    buyer = find_buyer(email=buyer_email, phone=buyer_phone)
    if not recipient.email.strip():
        # The order's address for its mails: the buyer's, as a member's web order has.
        recipient = replace(
            recipient, email=buyer_email.strip() or (buyer.email if buyer is not None else "")
        )
    # ``typed``: the buyer gave this code at the till, so an unknown or own code is refused
    # rather than ignored as a stale share-link cookie is.
    attribution = {"code": referral_code, "typed": True} if referral_code.strip() else None
    with transaction.atomic():
        order = place_order(
            items=items,
            recipient=recipient,
            shipping_method=shipping_method,
            payment_method=payment_method,
            user=buyer,
            source=source,
            external_ref=external_ref,
            context={"attribution": attribution},
        )
        if paid:
            record_integrator_payment(order, source=source)
            order.refresh_from_db()
    return order
