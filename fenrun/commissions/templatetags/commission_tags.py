"""Template filters of the commission pages."""

from django import template

from fenrun.core.privacy import mask_email, mask_phone

register = template.Library()


@register.filter
def email_for(email: str, show: bool) -> str:
    """``{{ user.email|email_for:show_contact }}``: the address, or masked without
    the contact-data capability."""
    return email if show else mask_email(email)


@register.filter
def phone_for(phone: str, show: bool) -> str:
    return phone if show else mask_phone(phone)
