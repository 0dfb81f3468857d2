from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from fenrun.referrals.models import Campaign


class VanityCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Your own code"),
        max_length=40,
        help_text=_("4–20 letters a–z, digits or hyphens. You can choose it once."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none"}),
    )


class CampaignForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120)
    slug = forms.CharField(
        label=_("Campaign code"),
        max_length=40,
        help_text=_("Goes into the links: letters a–z, digits and hyphens."),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=Campaign.Kind.choices)
    starts_at = forms.DateTimeField(
        label=_("Starts"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    ends_at = forms.DateTimeField(
        label=_("Ends"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    stream_url = forms.URLField(label=_("Live-stream URL"), required=False, assume_scheme="https")

    def clean(self):
        data = super().clean()
        if data.get("starts_at") and data.get("ends_at") and data["ends_at"] <= data["starts_at"]:
            self.add_error("ends_at", _("The end must be after the start."))
        return data


class MemberLookupForm(forms.Form):
    member = forms.CharField(label=_("Member (e-mail, phone or id)"), max_length=254)

    def clean_member(self):
        value = self.cleaned_data["member"].strip()
        users = get_user_model().objects
        user = None
        if value.isdigit() and not value.startswith("09"):
            user = users.filter(pk=int(value)).first()
        if user is None:
            user = users.filter(email__iexact=value).first() or (
                users.filter(phone=value).first() if value else None
            )
        if user is None:
            raise forms.ValidationError(_("No member matches “%(value)s”.") % {"value": value})
        return user


class ReassignForm(MemberLookupForm):
    member = forms.CharField(
        label=_("New sponsor (e-mail, phone or id); empty: make a source"),
        max_length=254,
        required=False,
    )
    reason = forms.CharField(
        label=_("Reason"), max_length=300, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean_member(self):
        if not self.cleaned_data.get("member", "").strip():
            return None
        return super().clean_member()
