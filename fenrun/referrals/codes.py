"""Referral code syntax: generated codes, vanity codes, and what a share link may carry."""

import re
import secrets

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# No 0/o, 1/l/i: a code read aloud or copied from a screenshot survives.
GENERATED_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
GENERATED_LENGTH = 7

# Anything a link may carry; longer or odd input is not looked up at all.
CODE_SYNTAX = re.compile(r"^[a-z0-9][a-z0-9-]{2,19}$")
VANITY_SYNTAX = re.compile(r"^[a-z][a-z0-9-]{2,18}[a-z0-9]$")
VANITY_MIN, VANITY_MAX = 4, 20

RESERVED_WORDS = frozenset(
    """
    admin administrator api app account accounts cart checkout order orders pay payment
    shop store staff support help service official fenrun root system null none undefined
    member members login logout register signup static media www mail campaign live
    referral referrals ref share r test demo
    """.split()
)


def generate_code() -> str:
    return "".join(secrets.choice(GENERATED_ALPHABET) for _ in range(GENERATED_LENGTH))


def normalize(raw) -> str | None:
    """The code as stored (lower case) if ``raw`` could be one, else None."""
    if not isinstance(raw, str):
        return None
    code = raw.strip().lower()
    if not CODE_SYNTAX.match(code):
        return None
    return code


def validate_vanity(raw: str) -> str:
    """Return the normalized vanity code or raise ValidationError with a clear message."""
    code = (raw or "").strip().lower()
    if not code:
        raise ValidationError(_("Enter a code."), code="required")
    if not VANITY_MIN <= len(code) <= VANITY_MAX:
        raise ValidationError(
            _("A code has %(min)s to %(max)s characters.") % {"min": VANITY_MIN, "max": VANITY_MAX},
            code="length",
        )
    if not VANITY_SYNTAX.match(code) or "--" in code:
        raise ValidationError(
            _(
                "Use letters a–z, digits and single hyphens; start with a letter and end with a "
                "letter or digit."
            ),
            code="syntax",
        )
    if code in RESERVED_WORDS or code.replace("-", "") in RESERVED_WORDS:
        raise ValidationError(
            _("“%(code)s” is reserved; choose another.") % {"code": code}, code="reserved"
        )
    return code
