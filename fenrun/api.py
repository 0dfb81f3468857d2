"""The JSON API: one Ninja object under /api/v1/, each app mounting its own router."""

from functools import wraps

from django.urls import URLPattern, re_path
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI

from fenrun.core.api_errors import (
    document_malformed_bodies,
    install_error_handlers,
    not_allowed_body,
    not_found_body,
)
from fenrun.core.idempotency import WRITES, make_idempotent
from fenrun.core.openapi import document_idempotency, document_scopes


class FenrunAPI(NinjaAPI):
    """Ninja, with every answer of its URLs in the API's error shape.

    Every write (POST, PUT, PATCH, DELETE) honours ``Idempotency-Key``
    (``fenrun.core.idempotency``). A URL under the API that names no operation (``/orders/x/y``, an id that is not a number)
    is a JSON 404, not Django's HTML page; a method the URL does not take is a JSON 405 with
    ``Allow``; a body that is not JSON is a 400, and the document says so on every operation that
    takes a body.
    """

    def get_openapi_schema(self, *args, **kwargs):
        schema = super().get_openapi_schema(*args, **kwargs)
        return document_idempotency(document_scopes(document_malformed_bodies(schema)))

    def _get_bound_routers(self):
        first = self._bound_routers_cache is None
        routers = super()._get_bound_routers()
        if first:
            # Every write of every router honours Idempotency-Key, with no code of its own.
            for bound in routers:
                for path_view in bound.path_operations.values():
                    for operation in path_view.operations:
                        if set(operation.methods) & WRITES:
                            make_idempotent(operation)
        return routers

    def _get_urls(self):
        urls = super()._get_urls()
        for pattern in urls:
            if isinstance(pattern, URLPattern):
                pattern.callback = self._json_not_allowed(pattern.callback)
        return [*urls, re_path(r"^.*$", self.not_found_view, name="not-found")]

    @method_decorator(csrf_exempt)
    def not_found_view(self, request, *args, **kwargs):
        # CSRF-exempt like every Ninja view: a POST to a wrong address is a 404, not a CSRF page.
        return self.create_response(request, not_found_body(), status=404)

    def _json_not_allowed(self, view):
        @wraps(view)
        def answered(request, *args, **kwargs):
            response = view(request, *args, **kwargs)
            if response.status_code == 405 and response.has_header("Allow"):
                json_response = self.create_response(request, not_allowed_body(), status=405)
                json_response["Allow"] = response["Allow"]
                return json_response
            return response

        return answered


api = FenrunAPI(
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
from fenrun.orders.api_methods import router as methods_router  # noqa: E402
from fenrun.referrals.api import router as referrals_router  # noqa: E402
from fenrun.wallet.api import router as wallet_router  # noqa: E402

api.add_router("/products", catalog_router)
api.add_router("/orders", orders_router)
api.add_router("/methods", methods_router)
api.add_router("/commissions", commissions_router)
api.add_router("/referrals", referrals_router)
api.add_router("/wallet", wallet_router)
api.add_router("/analytics", analytics_router)
