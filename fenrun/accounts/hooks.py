"""Extension points of registration: other apps add to these lists, accounts calls them.

The referrals app appends its sponsor binder to REGISTRATION_HOOKS. A hook is called as
``hook(request, user, referral_code)`` inside the registration's transaction, right after the
user is created (``referral_code`` is what the visitor typed, possibly ""). A hook may raise
django.core.exceptions.ValidationError to refuse the registration: the user is not created and
the message is shown on the referral code field.
"""

from collections.abc import Callable


def _bind_referral_sponsor(request, user, referral_code):
    # Imported on call: accounts must not import referrals at module load.
    from fenrun.referrals.services import bind_at_registration

    bind_at_registration(request, user, referral_code)


REGISTRATION_HOOKS: list[Callable] = [_bind_referral_sponsor]


def after_registration(request, user, referral_code: str) -> None:
    for hook in REGISTRATION_HOOKS:
        hook(request, user, referral_code)
