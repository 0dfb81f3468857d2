from django import template

from fenrun.core.money import format_twd

register = template.Library()


@register.filter
def twd(value):
    """{{ amount|twd }} → NT$1,234"""
    try:
        return format_twd(value)
    except ValueError:
        return ""
