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


MASK = "○"


def _is_han(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff"


def mask_name(name: str) -> str:
    """王小明 → 王○明, 王明 → 王○, Alice Chen → A○○○e C○○n: one style on every page.

    The first and last characters stay, so a member can still tell their referrals apart; what
    lies between does not. A Latin name is masked word by word, as its parts are read apart.
    """
    name = " ".join((name or "").split())
    if not name:
        return MASK * 2
    if " " in name and not any(_is_han(ch) for ch in name):
        return " ".join(mask_name(part) for part in name.split(" "))
    if len(name) == 1:
        return MASK
    if len(name) == 2:
        return name[0] + MASK
    return name[0] + MASK * (len(name) - 2) + name[-1]
