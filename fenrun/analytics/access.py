"""Who may see which member, and what of them.

Staff see the whole organisation with full personal data. A member sees themselves and their
downline only; everyone else's name is partly hidden and their phone and e-mail never leave the
server. Every page and API handler resolves the member it was asked about through
``resolve_member`` so that the rule lives in one place.
"""

from dataclasses import dataclass

from django.contrib.auth import get_user_model

from fenrun.referrals.models import ReferralNode

User = get_user_model()


class MemberNotFound(LookupError):
    pass


class OutsideDownline(PermissionError):
    pass


@dataclass(frozen=True)
class Viewer:
    user: object
    is_staff: bool
    node: ReferralNode | None

    @property
    def user_id(self) -> int:
        return self.user.pk

    def can_see(self, node: ReferralNode | None, user_id: int) -> bool:
        if self.is_staff or user_id == self.user_id:
            return True
        if node is None or self.node is None:
            return False
        return node.depth > self.node.depth and node.path.startswith(self.node.path)

    def shows_personal_data_of(self, user_id: int) -> bool:
        return self.is_staff or user_id == self.user_id


def is_analytics_staff(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.is_staff)


def viewer_for(user) -> Viewer:
    return Viewer(
        user=user,
        is_staff=is_analytics_staff(user),
        node=ReferralNode.objects.filter(pk=user.pk).first(),
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


def mask_name(name: str) -> str:
    """王小明 → 王*明, 王明 → 王*, Alice → A***e: enough to recognise, not to identify."""
    name = (name or "").strip()
    if not name:
        return "＊"
    if " " in name and not any("\u4e00" <= ch <= "\u9fff" for ch in name):
        return " ".join(mask_name(part) for part in name.split())
    if len(name) == 1:
        return "*"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def display_name(viewer: Viewer, user_id: int, name: str, email: str = "") -> str:
    if viewer.shows_personal_data_of(user_id):
        return name or (email.split("@")[0] if email else f"#{user_id}")
    return mask_name(name)
