"""Which app listens to which domain event: the one place where apps are wired together.

Orders publish events and know nothing of commissions or the wallet; those subscribe here.
Handlers run synchronously inside the publisher's database transaction, so money moves
together with the status change or not at all.
"""

from fenrun.core import events

_registered = False


def register_subscribers() -> None:
    global _registered
    if _registered:
        return
    _registered = True
    # Referrals first: the order's attribution (its referrer) must exist before commissions
    # choose the sponsor's plan for it at placement.
    for module_path in (
        "fenrun.referrals.subscribers",
        "fenrun.commissions.subscribers",
        "fenrun.wallet.subscribers",
        "fenrun.analytics.subscribers",
    ):
        try:
            module = __import__(module_path, fromlist=["SUBSCRIPTIONS"])
        except ModuleNotFoundError as exc:
            if exc.name != module_path:
                raise
            continue
        for event_type, handler in module.SUBSCRIPTIONS:
            events.subscribe(event_type, handler)
