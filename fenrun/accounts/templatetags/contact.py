"""``{{ member|email_for:request.user }}``: contact data masked unless the viewer may see it."""

from django import template

from fenrun.accounts import contact

register = template.Library()


@register.filter
def email_for(member, viewer) -> str:
    return contact.email_for(viewer, member)


@register.filter
def phone_for(member, viewer) -> str:
    return contact.phone_for(viewer, member)


@register.filter
def member_label(member, viewer) -> str:
    return contact.label_for(viewer, member)
