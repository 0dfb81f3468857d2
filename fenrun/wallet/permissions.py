"""Who among the staff may do what with members' money (Django permissions; superusers: all).

A shop gives its packers staff access without letting them pay out cash: each wallet action
needs its own permission, granted per user or group in the back office.
"""

from functools import wraps

from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied

VIEW = "wallet.view_transaction"  # wallets, queues, history, ledger export
DECIDE_CONVERSIONS = "wallet.change_conversion"  # approve / reject, convert coins now
DECIDE_WITHDRAWALS = "wallet.change_withdrawal"  # approve / reject / paid, full bank details
ADJUST = "wallet.add_adjustment"  # adjustments with a reason

ALL = (VIEW, DECIDE_CONVERSIONS, DECIDE_WITHDRAWALS, ADJUST)


def allowed(user, perm: str) -> bool:
    return bool(user and user.is_active and user.is_staff and user.has_perm(perm))


def staff_required(perm: str):
    """Staff login (redirect to the back-office login), then the permission (403)."""

    def decorator(view):
        @staff_member_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not allowed(request.user, perm):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
