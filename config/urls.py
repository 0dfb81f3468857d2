from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve

from fenrun.api import api
from fenrun.core.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    # Any other /api/ address (another version, a typo) answers in the API's shape too.
    re_path(r"^api/", api.not_found_view),
    path("accounts/", include("fenrun.accounts.urls")),
    path("", include("fenrun.orders.urls")),
    path("", include("fenrun.invoices.urls")),
    path("", include("fenrun.referrals.urls")),
    path("", include("fenrun.storefront.urls")),
    path("", include("fenrun.wallet.urls")),
    path("", include("fenrun.commissions.urls")),
    path("", include("fenrun.analytics.urls")),
    # Uploaded product images; a production set-up serves /media/ from the web server.
    path("media/<path:path>", serve, {"document_root": settings.MEDIA_ROOT}),
]

if settings.FENRUN_STANDINS_ENABLED:
    # Local stand-ins for ECPay and LINE Pay (demo and tests only; docs/payments.md).
    urlpatterns.append(path("standin/", include("fenrun.standins.urls")))
