"""``{% share_tags %}``: the Open Graph and Twitter tags of a shareable page (see
``fenrun.core.sharing``), and ``{% site_url path %}`` for canonical links."""

from django import template
from django.conf import settings
from django.utils.html import strip_tags
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from fenrun.core import sharing

register = template.Library()


@register.simple_tag
def site_url(path: str = "/") -> str:
    return sharing.site_url(path)


def _shared_url(request) -> str:
    """The address being shared, on the public host: the page itself, or the member's
    ``/r/<code>`` link a fetcher asked for, so a tap on the card still credits the member.
    Only ``?ref=`` survives from the query: it too names the member."""
    if request is None:
        return sharing.site_url("/")
    url = sharing.site_url(request.path)
    ref = request.GET.get("ref", "")
    if ref and ref.isalnum() and len(ref) <= 40:
        url += "?ref=" + ref
    return url


@register.inclusion_tag("core/_share_tags.html", takes_context=True)
def share_tags(context, title="", description="", image=None, type="website", alt=""):
    """``image`` is a product photo's file (or None for the shop's cover)."""
    shop = settings.FENRUN_SHOP_NAME
    picture = sharing.picture_of(image) if image else None
    if picture is None:
        picture = sharing.shop_cover()
    default_description = sharing.shop_description() or _(
        "%(shop)s: fresh produce straight from the farm."
    ) % {"shop": shop}
    text = " ".join(strip_tags(str(description or "")).split()) or default_description
    return {
        "title": title or shop,
        "description": Truncator(text).chars(200),
        "site_name": shop,
        "type": type,
        "url": _shared_url(context.get("request")),
        "picture": picture,
        "alt": alt or title or shop,
    }
