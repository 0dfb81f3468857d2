"""Share-link attribution on every page: ``?ref=<code>`` and the signed attribution cookie."""

from django.core import signing
from django.urls import Resolver404, resolve

from fenrun.referrals import services

COOKIE_NAME = "fr_ref"
COOKIE_SALT = "fenrun.referrals.attribution"


def read_attribution(request) -> dict | None:
    """The attribution the visitor's cookie carries; a tampered or expired cookie is ignored."""
    if COOKIE_NAME not in request.COOKIES:
        return None
    max_age = services.current_settings().attribution_window_days * 86400
    try:
        # signing.dumps stamps the time: the staff-set window is checked here, not trusted
        # to the browser's expiry.
        data = signing.loads(request.COOKIES[COOKIE_NAME], salt=COOKIE_SALT, max_age=max_age)
    except (signing.BadSignature, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("code"), str):
        return None
    return {
        "code": data["code"],
        "campaign": data.get("campaign") if isinstance(data.get("campaign"), str) else None,
        "click_id": data.get("click_id") if isinstance(data.get("click_id"), int) else None,
    }


def remember_attribution(request, attribution: dict) -> None:
    """Ask the middleware to (re)write the cookie on the way out, and use it for this request."""
    request.attribution = attribution
    request._referral_cookie = attribution


def write_cookie(request, response) -> None:
    attribution = getattr(request, "_referral_cookie", None)
    if attribution is None:
        return
    window = services.current_settings().attribution_window_days * 86400
    response.set_cookie(
        COOKIE_NAME,
        signing.dumps(attribution, salt=COOKIE_SALT, compress=True),
        max_age=window,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure(),
    )


def _product_for_path(path: str):
    try:
        match = resolve(path)
    except Resolver404:
        return None
    if match.view_name != "storefront:product":
        return None
    slug = match.kwargs.get("slug") or (match.args[0] if match.args else None)
    if not slug:
        return None
    from fenrun.catalog.models import Product

    return Product.objects.filter(slug=slug).first()


class ReferralMiddleware:
    """Puts ``request.attribution`` ({"code", "campaign", "click_id"} or None) on every request.

    ``?ref=<code>`` on any page counts as a click on that member's link (humans only).
    """

    SKIP_PREFIXES = ("/static/", "/media/", "/admin/", "/api/", "/r/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.attribution = read_attribution(request)
        ref = request.GET.get("ref")
        if (
            ref
            and request.method == "GET"
            and not request.path.startswith(self.SKIP_PREFIXES)
            and not services.is_crawler(request.META.get("HTTP_USER_AGENT", ""))
        ):
            attribution = services.visit_through_link(
                request, ref, product=_product_for_path(request.path), target_path=request.path
            )
            if attribution:
                remember_attribution(request, attribution)
        response = self.get_response(request)
        write_cookie(request, response)
        return response
