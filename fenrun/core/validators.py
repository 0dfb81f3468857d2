import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

TW_MOBILE = re.compile(r"^09\d{8}$")
TW_POSTAL_CODE = re.compile(r"^\d{3}(\d{2,3})?$")


def normalize_tw_mobile(value: str) -> str:
    """Accept 0912-345-678, 0912 345 678 and +886912345678; return 0912345678."""
    digits = re.sub(r"[\s\-()]", "", value or "")
    if digits.startswith("+886"):
        digits = "0" + digits[4:]
    elif digits.startswith("886") and len(digits) == 12:
        digits = "0" + digits[3:]
    return digits


def validate_tw_mobile(value: str) -> None:
    if value and not TW_MOBILE.match(value):
        raise ValidationError(
            _("Enter a Taiwanese mobile number: 10 digits starting with 09."), code="invalid_phone"
        )


def validate_tw_postal_code(value: str) -> None:
    if not TW_POSTAL_CODE.match(value or ""):
        raise ValidationError(
            _("Enter a postal code of 3, 5 or 6 digits."), code="invalid_postal_code"
        )
