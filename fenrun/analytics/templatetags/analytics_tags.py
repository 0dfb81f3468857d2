from django import template
from django.utils.http import urlencode

register = template.Library()


@register.simple_tag(takes_context=True)
def export_url(context, fmt: str, **extra) -> str:
    """The current page's query with ``format`` (and e.g. ``table``) set: same range, same member."""
    request = context["request"]
    params = {k: v for k, v in request.GET.items() if k not in ("format", "page", "table")}
    params.update({k: v for k, v in extra.items() if v})
    params["format"] = fmt
    return "?" + urlencode(params)


@register.simple_tag(takes_context=True)
def page_url(context, page: int) -> str:
    request = context["request"]
    params = {k: v for k, v in request.GET.items() if k != "page"}
    params["page"] = page
    return "?" + urlencode(params)


@register.filter
def pct(value) -> str:
    return "—" if value is None else f"{value}%"


@register.filter
def level_name(level) -> str:
    from fenrun.analytics.tables import level_label

    return level_label(level)
