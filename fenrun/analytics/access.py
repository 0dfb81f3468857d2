"""Who may see which member, and what of them.

Staff with ``VIEW_REPORTS`` see the whole organisation with names; their e-mail addresses and
phone numbers only with ``VIEW_CONTACT_DATA``, masked otherwise (``d***@example.com``,
``0912***678``). A member sees themselves and their downline only; everyone else's name is
partly hidden and their phone and e-mail never leave the server. Every page and API handler
resolves the member it was asked about through ``resolve_member`` and shows a member through
``display_name`` / ``Viewer.contact`` so that the rules live in one place.
"""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from fenrun.core.errors import DomainError, NotFoundError
from fenrun.core.permissions import Capability, has
from fenrun.core.privacy import mask_email, mask_name, mask_phone
from fenrun.referrals.models import ReferralNode
from fenrun.referrals.tree import is_below

User = get_user_model()


class MemberNotFound(NotFoundError):
    code = "member_not_found"

    def __init__(self, member_id=None):
        super().__init__(_("No such member."))
        self.member_id = member_id


class OutsideDownline(DomainError):
    code = "outside_downline"
    status = 403

    def __init__(self, member_id=None):
        super().__init__(_("This member is not in your downline."))
        self.member_id = member_id


@dataclass(frozen=True)
class Viewer:
    user: object
    is_staff: bool
    node: ReferralNode | None
    sees_contact_data: bool = False

    @property
    def user_id(self) -> int:
        return self.user.pk

    def can_see(self, node: ReferralNode | None, user_id: int) -> bool:
        if self.is_staff or user_id == self.user_id:
            return True
        if node is None or self.node is None:
            return False
        return is_below(node.path, self.node.path)

    def shows_personal_data_of(self, user_id: int) -> bool:
        """Whether the member's full name is shown (their contact data: see ``contact``)."""
        return self.is_staff or user_id == self.user_id

    def shows_contact_of(self, user_id: int) -> bool:
        return user_id == self.user_id or (self.is_staff and self.sees_contact_data)

    def contact(self, user_id: int, email: str, phone: str) -> tuple[str | None, str | None]:
        """(e-mail, phone) as this viewer may see them: in full, masked for staff without
        ``VIEW_CONTACT_DATA``, None for other members. An empty phone is None."""
        if self.shows_contact_of(user_id):
            return email, phone or None
        if self.is_staff:
            return mask_email(email), mask_phone(phone) or None
        return None, None


def is_analytics_staff(user) -> bool:
    return has(user, Capability.VIEW_REPORTS)


def viewer_for(user) -> Viewer:
    return Viewer(
        user=user,
        is_staff=is_analytics_staff(user),
        node=ReferralNode.objects.filter(pk=user.pk).first(),
        sees_contact_data=has(user, Capability.VIEW_CONTACT_DATA),
    )


def parse_member_id(raw) -> int | None:
    """A positive id from a query string or path, or None for anything else."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        value = raw
    else:
        text = str(raw or "").strip()
        if not text.isdigit() or len(text) > 12:
            return None
        value = int(text)
    return value if 0 < value < 2**63 else None


def resolve_member(viewer: Viewer, raw_id) -> tuple[object, ReferralNode | None]:
    """The member asked for and their tree node; MemberNotFound or OutsideDownline otherwise."""
    member_id = parse_member_id(raw_id)
    if member_id is None:
        raise MemberNotFound(raw_id)
    if member_id == viewer.user_id:
        return viewer.user, viewer.node
    member = User.objects.filter(pk=member_id).first()
    if member is None:
        raise MemberNotFound(member_id)
    node = ReferralNode.objects.filter(pk=member_id).first()
    if not viewer.can_see(node, member_id):
        raise OutsideDownline(member_id)
    return member, node


def display_name(viewer: Viewer, user_id: int, name: str, email: str = "") -> str:
    if viewer.shows_personal_data_of(user_id):
        if name:
            return name
        if not email:
            return f"#{user_id}"
        return email.split("@")[0] if viewer.shows_contact_of(user_id) else mask_email(email)
    return mask_name(name)
