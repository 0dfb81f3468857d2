"""Extension points of registration and login: accounts calls them, ``fenrun.wiring`` fills them.

A registration hook is called as ``hook(request, user, referral_code)`` inside the
registration's transaction, right after the user is created (``referral_code`` is what the
visitor typed, possibly ""). It may raise django.core.exceptions.ValidationError to refuse the
registration: the user is not created and the message is shown on the referral code field.

A registration check is called as ``check(request, email=..., phone=..., referral_code=...)``
before registration looks at whether the address is taken, so a taken address and a new one
get the same answer; it may raise ValidationError (shown on the referral code field).

A sponsor preview is called as ``preview(request)`` when the registration page is shown: it
returns the sentence naming who will sponsor the visitor (their share link's owner, masked), or
"" when nobody would. The first non-empty answer is shown.

A login hook is called as ``hook(previous_session_key, user)`` right after a member logs in
(or registers): the session key is the one the visitor had as a guest, before login rotated it.
"""

from collections.abc import Callable

REGISTRATION_HOOKS: list[Callable] = []
REGISTRATION_CHECKS: list[Callable] = []
LOGIN_HOOKS: list[Callable] = []
SPONSOR_PREVIEWS: list[Callable] = []


def after_registration(request, user, referral_code: str) -> None:
    for hook in REGISTRATION_HOOKS:
        hook(request, user, referral_code)


def check_registration(request, *, email: str, phone: str, referral_code: str) -> None:
    for check in REGISTRATION_CHECKS:
        check(request, email=email, phone=phone, referral_code=referral_code)


def after_login(previous_session_key: str | None, user) -> None:
    for hook in LOGIN_HOOKS:
        hook(previous_session_key, user)


def sponsor_preview(request) -> str:
    for preview in SPONSOR_PREVIEWS:
        if text := preview(request):
            return text
    return ""
