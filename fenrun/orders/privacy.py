"""Buyers' contact data as staff without VIEW_CONTACT_DATA see it: enough to tell orders apart."""


def mask_email(email: str) -> str:
    """dawn@example.com → d***@example.com."""
    local, at, domain = (email or "").partition("@")
    if not at:
        return "***" if email else ""
    return f"{local[:1]}***@{domain}"


def mask_phone(phone: str) -> str:
    """0912345678 → 0912***678."""
    phone = phone or ""
    if len(phone) < 7:
        return "***" if phone else ""
    return f"{phone[:4]}***{phone[-3:]}"
