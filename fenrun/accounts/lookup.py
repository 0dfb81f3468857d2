"""Finding a member by what somebody at a till knows of them: their e-mail or mobile number.

One rule for every caller (an integrator naming an order's buyer, a member look-up): only
active members are found; the e-mail matches whatever its case, the number once normalised
(``+886 912-345-678`` is ``0912345678``); both given and naming two members is refused.
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from fenrun.core.errors import DomainError
from fenrun.core.validators import normalize_tw_mobile, validate_tw_mobile


def find_member(*, email: str = "", phone: str = "", fields=("email", "phone")):
    """The active member with this e-mail and/or mobile number, or None.

    ``fields`` names the two inputs in refusals (``errors`` keys): a malformed number is 422
    ``invalid``; an e-mail and a number of two different members 422 ``member_ambiguous``.
    """
    email_field, phone_field = fields
    members = get_user_model().objects.filter(is_active=True)
    email = (email or "").strip()
    by_email = members.filter(email__iexact=email).first() if email else None
    by_phone = None
    if (phone or "").strip():
        number = normalize_tw_mobile(phone)
        try:
            validate_tw_mobile(number)
        except ValidationError as exc:
            raise DomainError(exc.messages[0], phone_field) from None
        by_phone = members.filter(phone=number).first()
    if by_email is not None and by_phone is not None and by_email.pk != by_phone.pk:
        message = _("This e-mail and this mobile number belong to two different members.")
        raise DomainError(
            message,
            errors={email_field: [message], phone_field: [message]},
            code="member_ambiguous",
        )
    return by_email or by_phone
