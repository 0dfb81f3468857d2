"""Members' contact data (e-mail, phone) as a staff user may see it.

Only staff holding VIEW_CONTACT_DATA see an address or number in full; everyone else who may
see the member at all gets it masked, enough to tell two members apart, not to reach them.
"""

from __future__ import annotations

from fenrun.core.permissions import Capability, has
from fenrun.core.privacy import mask_email, mask_phone


def sees_contact_data(viewer) -> bool:
    return has(viewer, Capability.VIEW_CONTACT_DATA)


def email_for(viewer, member) -> str:
    email = getattr(member, "email", "") or ""
    return email if sees_contact_data(viewer) else mask_email(email)


def phone_for(viewer, member) -> str:
    phone = getattr(member, "phone", "") or ""
    return phone if sees_contact_data(viewer) else mask_phone(phone)


def label_for(viewer, member) -> str:
    """What ``str(member)`` shows, without leaking the address of a member who has no name."""
    if member is None:
        return ""
    if getattr(member, "name", ""):
        return member.name
    return email_for(viewer, member)


def member_column(attr: str, viewer, description):
    """A list_display column showing the member in ``obj.<attr>`` as ``viewer`` may see them."""

    def column(obj):
        return label_for(viewer, getattr(obj, attr, None))

    column.short_description = description
    column.admin_order_field = attr
    column.__name__ = f"{attr}_for_viewer"
    return column


class ContactMaskingAdminMixin:
    """For a ModelAdmin listing members: without VIEW_CONTACT_DATA, the columns named in
    ``member_columns`` ({"member": _("member")}) show names or masked addresses, and search
    leaves out e-mail and phone fields (a search would otherwise confirm an address)."""

    member_columns: dict = {}

    def get_list_display(self, request):
        columns = super().get_list_display(request)
        if sees_contact_data(request.user):
            return columns
        return tuple(
            member_column(c, request.user, self.member_columns[c])
            if isinstance(c, str) and c in self.member_columns
            else c
            for c in columns
        )

    def get_list_display_links(self, request, list_display):
        links = super().get_list_display_links(request, list_display)
        if links and not any(link in list_display for link in links):
            return list_display[:1]
        return links

    def get_search_fields(self, request):
        fields = super().get_search_fields(request)
        if sees_contact_data(request.user):
            return fields
        return tuple(f for f in fields if f.split("__")[-1] not in ("email", "phone"))
