from django import template
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import NoReverseMatch, reverse

register = template.Library()


@register.simple_tag
def url_if_exists(name, *args, **kwargs) -> str:
    """{% url_if_exists 'wallet:my_account' as u %}: the URL, or "" while that app has no such page.

    The member center links to pages of apps that may not be installed or built yet.
    """
    try:
        return reverse(name, args=args or None, kwargs=kwargs or None)
    except NoReverseMatch:
        return ""


@register.simple_tag(takes_context=True)
def include_optional(context, template_name: str) -> str:
    """Render another app's partial when it exists (e.g. share buttons on the product page).

    Lets the referrals app add to shop pages without the shop depending on it.
    """
    try:
        partial = get_template(template_name)
    except TemplateDoesNotExist:
        return ""
    return partial.render(context.flatten(), context.get("request"))


@register.filter
def status_label(value: str) -> str:
    """The translated label of an order status code (history rows store bare codes)."""
    from fenrun.orders.status import OrderStatus

    try:
        return OrderStatus(value).label
    except ValueError:
        return value
