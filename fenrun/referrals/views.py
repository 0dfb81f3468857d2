"""Share links, the member's "我的推廣" page, QR codes and campaigns."""

from urllib.parse import urlencode

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from fenrun.catalog.models import Product
from fenrun.core import sharing
from fenrun.core.errors import add_to_form
from fenrun.core.permissions import Capability, has_any
from fenrun.referrals import selectors, services
from fenrun.referrals.forms import CampaignForm, VanityCodeForm
from fenrun.referrals.middleware import remember_attribution

# Few enough for a phone; the search finds the rest.
PRODUCTS_PER_PAGE = 10


# ---------------------------------------------------------------- share links


@require_GET
def share(request, code: str, slug: str | None = None):
    """``/r/<code>`` and ``/r/<code>/<product>``: count the click, set the cookie, redirect.

    Crawlers and link-preview fetchers get the landing page itself (with its Open Graph tags)
    and are not counted. Unknown codes land on the plain page without attribution.
    """
    product = Product.objects.active().filter(slug=slug).first() if slug else None
    target = selectors.target_path(product.slug if product else None)
    if services.is_crawler(request.META.get("HTTP_USER_AGENT", "")):
        return _landing_page_for_crawler(request, target, product)
    attribution = services.visit_through_link(request, code, product=product, target_path=target)
    if attribution:
        remember_attribution(request, attribution)
    return HttpResponseRedirect(target)


def _landing_page_for_crawler(request, target: str, product):
    try:
        match = resolve(target)
        response = match.func(request, *match.args, **match.kwargs)
        if hasattr(response, "render") and not getattr(response, "is_rendered", True):
            response.render()
        if response.status_code == 200:
            return response
    except (Http404, Resolver404):
        pass
    # The shop's pages are not mounted (or answered otherwise): a minimal page with the tags.
    return render(
        request,
        "referrals/preview.html",
        {"product": product, "target_url": sharing.site_url(target)},
    )


# ---------------------------------------------------------------- 我的推廣


def _absolute(request, path: str) -> str:
    return request.build_absolute_uri(path)


def _qr_svg(url: str) -> str:
    return segno.make(url, error="m").svg_inline(scale=4, border=2, dark="#1f2937")


@login_required
def my_links(request):
    user = request.user
    services.ensure_node(user)
    services.ensure_code(user)
    form = VanityCodeForm()
    if request.method == "POST":
        form = VanityCodeForm(request.POST)
        if form.is_valid():
            try:
                chosen = services.choose_vanity_code(
                    user, form.cleaned_data["code"], ip_hash=services.client_hash(request, "ip")
                )
            except services.ReferralError as exc:
                add_to_form(form, exc)
            else:
                messages.success(request, _("Your code is now “%(code)s”.") % {"code": chosen.code})
                return redirect("referrals:my_links")
    codes = selectors.member_codes(user)
    code = selectors.primary_code(codes)
    stats = selectors.link_stats(user.pk)
    query = request.GET.get("q", "").strip()[:60]
    products = Product.objects.active().search(query).only("id", "name", "slug", "price")
    page = Paginator(products, PRODUCTS_PER_PAGE).get_page(request.GET.get("page"))
    shop_url = _absolute(request, selectors.share_path(code.code))
    links = [
        {
            "product": product,
            "url": _absolute(request, selectors.share_path(code.code, product.slug)),
            "stats": stats.get(product.pk, selectors.LinkStats()),
        }
        for product in page.object_list
    ]
    # One share panel with one QR code: the shop link, or the product picked from the list.
    # A card with a QR code for every product made the page 8,000 px long on a phone.
    picked_slug = request.GET.get("p", "")
    picked = next((link for link in links if link["product"].slug == picked_slug), None)
    if picked is None and picked_slug:
        product = (
            Product.objects.active().filter(slug=picked_slug).only("id", "name", "slug").first()
        )
        if product is not None:
            picked = {
                "product": product,
                "url": _absolute(request, selectors.share_path(code.code, product.slug)),
                "stats": stats.get(product.pk, selectors.LinkStats()),
            }
    shop_link = {"url": shop_url, "stats": stats.get(None, selectors.LinkStats())}
    selected = picked or shop_link
    selected["qr_svg"] = _qr_svg(selected["url"])
    keep = urlencode({k: v for k, v in (("q", query), ("page", request.GET.get("page", ""))) if v})
    return render(
        request,
        "referrals/my_links.html",
        {
            "codes": codes,
            "code": code,
            "has_vanity": any(c.kind == c.Kind.VANITY for c in codes),
            "form": form,
            "shop_link": shop_link,
            "selected": selected,
            "picked": picked,
            "keep": keep,
            "links": links,
            "page": page,
            "link_query": query,  # "query" fills the header's product search
            "totals": selectors.member_totals(user.pk),
            "node": selectors.node_of(user.pk),
            "referrals": selectors.recent_referrals(user.pk),
            "can_create_campaigns": services.can_create_campaigns(user),
        },
    )


@login_required
@require_GET
def qr_png(request):
    """A PNG of the member's link (``?p=<product slug>``, ``?c=<campaign>``) to download."""
    code = selectors.primary_code(selectors.member_codes(request.user)) or services.ensure_code(
        request.user
    )
    slug = request.GET.get("p") or None
    if slug and not Product.objects.active().filter(slug=slug).exists():
        raise Http404
    campaign = request.GET.get("c") or None
    if campaign and not selectors.campaigns_for(request.user).filter(slug=campaign).exists():
        raise Http404
    url = _absolute(request, selectors.share_path(code.code, slug, campaign))
    response = HttpResponse(content_type="image/png")
    segno.make(url, error="m").save(response, kind="png", scale=10, border=4)
    name = f"fenrun-{code.code}{'-' + slug if slug else ''}{'-' + campaign if campaign else ''}.png"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# ---------------------------------------------------------------- campaigns


@login_required
def campaigns(request):
    user = request.user
    code = selectors.primary_code(selectors.member_codes(user)) or services.ensure_code(user)
    can_create = services.can_create_campaigns(user)
    form = CampaignForm() if can_create else None
    if request.method == "POST":
        if not can_create:
            messages.error(request, _("You may not create campaigns."))
            return redirect("referrals:campaigns")
        form = CampaignForm(request.POST)
        if form.is_valid():
            try:
                campaign = services.create_campaign(actor=user, **form.cleaned_data)
            except services.ReferralError as exc:
                add_to_form(form, exc)
            else:
                messages.success(
                    request, _("Campaign “%(title)s” created.") % {"title": campaign.title}
                )
                return redirect("referrals:campaigns")
    rows = list(selectors.campaigns_for(user)[:50])
    mine = selectors.campaign_stats([c.pk for c in rows], referrer_id=user.pk)
    # Everyone's figures are a report: only staff who read reports or run campaigns see them.
    sees_overall = has_any(user, (Capability.VIEW_REPORTS, Capability.MANAGE_CAMPAIGNS))
    overall = selectors.campaign_stats([c.pk for c in rows]) if sees_overall else {}
    items = []
    for campaign in rows:
        url = _absolute(request, selectors.share_path(code.code, campaign=campaign.slug))
        items.append(
            {
                "campaign": campaign,
                "url": url,
                "qr_png": reverse("referrals:qr_png") + "?" + urlencode({"c": campaign.slug}),
                "mine": mine[campaign.pk],
                "overall": overall.get(campaign.pk),
            }
        )
    return render(
        request,
        "referrals/campaigns.html",
        {"items": items, "form": form, "can_create": can_create},
    )
