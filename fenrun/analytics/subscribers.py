"""What analytics does when orders change status or the tree changes shape (registered in
fenrun.wiring).

Both handlers run inside the publisher's transaction: the roll-ups change together with the
order's status or the sponsor, or not at all.
"""

from fenrun.analytics import rollups
from fenrun.orders.events import OrderStatusChanged
from fenrun.referrals.events import SubtreeMoved


def on_order_status_changed(event: OrderStatusChanged) -> None:
    rollups.order_status_changed(event.order_id, event.from_status, event.to_status)


def on_subtree_moved(event: SubtreeMoved) -> None:
    rollups.move_subtree(
        event.member_id, event.old_path, event.old_depth, event.new_path, event.new_depth
    )
