"""Shop pages: catalogue, search, cart and the member's orders. Thin: parse, read, render."""

import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fenrun.catalog.models import Product
from fenrun.core.redirects import safe_next
from fenrun.orders.cart import (
    CartError,
    add_to_cart,
    cart_lines,
    get_cart,
    parse_quantity,
    quote_lines,
    set_quantity,
)
from fenrun.orders.models import ShippingMethod
from fenrun.orders.pricing import build_quote
from fenrun.orders.views import credit_available
from fenrun.storefront import selectors

PAGE_SIZE = 24
ORDERS_PAGE_SIZE = 10
MAX_QUERY_LENGTH = 100


def _page(request, queryset, size=PAGE_SIZE):
    return Paginator(queryset, size).get_page(request.GET.get("page"))


def _sort(request) -> str:
    sort = request.GET.get("sort", "")
    return sort if sort in selectors.SORTS else ""


def home(request):
    return render(
        request,
        "storefront/home.html",
        {
            "categories": selectors.top_categories(),
            "featured": selectors.featured_products(),
        },
    )


def category(request, slug):
    tree = selectors.CategoryTree.load()
    node = next((c for c in tree.by_id.values() if c.slug == slug), None)
    if node is None or not tree.is_visible(node):
        raise Http404(_("No such category."))
    sort = _sort(request)
    products = selectors.category_products(tree.visible_descendant_ids(node), sort)
    return render(
        request,
        "storefront/category.html",
        {
            "category": node,
            "breadcrumbs": tree.ancestors(node),
            "subcategories": tree.visible_children(node),
            "page": _page(request, products),
            "sort": sort,
        },
    )


def _json_ld(data: dict) -> str:
    # JSON inside <script>: escape what could close the tag or start markup.
    text = json.dumps(data, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def product(request, slug):
    item = selectors.product_by_slug(slug)
    if item is None:
        raise Http404(_("No such product."))
    tree = selectors.CategoryTree.load()
    absolute_url = request.build_absolute_uri(item.get_absolute_url())
    images = list(item.images.all())
    image_urls = [request.build_absolute_uri(image.image.url) for image in images]
    share_image = (
        image_urls[0] if image_urls else request.build_absolute_uri(static("img/og-default.png"))
    )
    structured = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": item.name,
        "description": item.share_description,
        "image": image_urls or [share_image],
        "sku": item.slug,
        "url": absolute_url,
        "offers": {
            "@type": "Offer",
            "priceCurrency": "TWD",
            "price": str(item.price),
            "availability": "https://schema.org/InStock"
            if item.in_stock
            else "https://schema.org/OutOfStock",
            "url": absolute_url,
        },
    }
    return render(
        request,
        "storefront/product.html",
        {
            "product": item,
            "images": images,
            "breadcrumbs": [*tree.ancestors(item.category), item.category],
            "absolute_url": absolute_url,
            "share_image": share_image,
            "structured_data": _json_ld(structured),
            "related": selectors.related_products(item),
            "low_stock": 0 < item.stock <= 5,
        },
    )


def search(request):
    query = request.GET.get("q", "").strip()[:MAX_QUERY_LENGTH]
    sort = _sort(request)
    page = _page(request, selectors.search_products(query, sort)) if query else None
    return render(request, "storefront/search.html", {"query": query, "page": page, "sort": sort})


def _shipping_estimate_method():
    """The method whose fee and free-shipping threshold the cart page shows: home delivery first."""
    methods = list(ShippingMethod.objects.filter(is_active=True))
    home_first = sorted(methods, key=lambda m: m.kind != ShippingMethod.Kind.HOME)
    return home_first[0] if home_first else None


def cart(request):
    lines = cart_lines(get_cart(request))
    method = _shipping_estimate_method() if lines else None
    quote = build_quote(quote_lines(lines), method)
    rows = [
        {"line": line, "product": line.product, "total": line.product.price * line.quantity}
        for line in lines
    ]
    return render(
        request,
        "storefront/cart.html",
        {
            "rows": rows,
            "quote": quote,
            "shipping_method": method,
            # The same answer checkout gives, so the cart does not promise more than it allows.
            "credit_available": credit_available(request, quote) if lines else 0,
        },
    )


def _posted_product(request, *, active_only: bool) -> Product | None:
    raw = request.POST.get("product", "")
    if not str(raw).isdigit():
        return None
    queryset = Product.objects.filter(is_active=True) if active_only else Product.objects.all()
    return queryset.filter(pk=int(raw)).first()


@require_POST
def cart_add(request):
    item = _posted_product(request, active_only=True)
    if item is None:
        messages.error(request, _("This product is not for sale."))
        return redirect(safe_next(request, reverse("storefront:cart")))
    back = safe_next(request, item.get_absolute_url())
    raw = request.POST.get("quantity", "1")
    try:
        # Reject a bad quantity before a cart is created for it.
        if parse_quantity(raw) == 0:
            raise CartError(_("Quantity must be at least 1."))
        add_to_cart(get_cart(request, create=True), item, raw)
    except CartError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    messages.success(request, _("%(name)s is in your cart.") % {"name": item.name})
    return redirect(back)


@require_POST
def cart_update(request):
    item = _posted_product(request, active_only=False)
    current = get_cart(request)
    if item is None or current is None or not current.lines.filter(product=item).exists():
        messages.error(request, _("This product is not in your cart."))
        return redirect("storefront:cart")
    quantity = "0" if "remove" in request.POST else request.POST.get("quantity", "")
    try:
        line = set_quantity(current, item, quantity)
    except CartError as exc:
        messages.error(request, exc.message)
    else:
        if line is None:
            messages.success(
                request, _("%(name)s was removed from your cart.") % {"name": item.name}
            )
        else:
            messages.success(request, _("Cart updated."))
    return redirect("storefront:cart")


@login_required
def member_orders(request):
    page = _page(request, selectors.member_orders(request.user), ORDERS_PAGE_SIZE)
    return render(request, "storefront/member_orders.html", {"page": page})


@login_required
def member_order_detail(request, number):
    order = selectors.member_order(request.user, number)
    if order is None:
        raise Http404(_("No such order."))
    return render(
        request,
        "storefront/member_order_detail.html",
        {"order": order, "bank": settings.FENRUN_BANK_TRANSFER},
    )
