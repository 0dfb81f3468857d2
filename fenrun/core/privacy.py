"""Members' contact data masked: enough to tell two members apart, not to reach them.

Staff without the VIEW_CONTACT_DATA capability see these forms wherever a page, an export or
the API would show an e-mail address or a phone number.
"""


def mask_email(email: str) -> str:
    """dora@example.com → d***@example.com: the domain stays, the person does not."""
    email = (email or "").strip()
    if not email:
        return ""
    local, at, domain = email.partition("@")
    return (local[:1] or "*") + "***" + (at + domain if at else "")


def mask_phone(phone: str) -> str:
    """0912345678 → 0912***678: the carrier prefix and the last digits, not the number."""
    phone = (phone or "").strip()
    if not phone:
        return ""
    if len(phone) <= 7:
        return phone[:1] + "***"
    return phone[:4] + "***" + phone[-3:]
