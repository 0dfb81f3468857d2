"""The JSON API: one Ninja object under /api/v1/, each app mounting its own router."""

from ninja import NinjaAPI

from fenrun.core.api_errors import install_error_handlers

api = NinjaAPI(
    title="fenrun API",
    version="1",
    description="Catalogue, orders, referrals, commissions and wallet of a fenrun shop.",
    urls_namespace="api",
)
install_error_handlers(api)

from fenrun.analytics.api import router as analytics_router  # noqa: E402
from fenrun.catalog.api import router as catalog_router  # noqa: E402
from fenrun.commissions.api import router as commissions_router  # noqa: E402
from fenrun.orders.api import router as orders_router  # noqa: E402
from fenrun.referrals.api import router as referrals_router  # noqa: E402
from fenrun.wallet.api import router as wallet_router  # noqa: E402

api.add_router("/products", catalog_router)
api.add_router("/orders", orders_router)
api.add_router("/commissions", commissions_router)
api.add_router("/referrals", referrals_router)
api.add_router("/wallet", wallet_router)
api.add_router("/analytics", analytics_router)
