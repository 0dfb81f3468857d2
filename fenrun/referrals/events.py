"""Events the referrals app publishes."""

from dataclasses import dataclass


@dataclass(frozen=True)
class SubtreeMoved:
    """A member (with everything below them) now hangs elsewhere in the referral tree.

    Paths and depths are the member's own before and after; the descendants moved with them.
    """

    member_id: int
    old_path: str
    old_depth: int
    new_path: str
    new_depth: int
