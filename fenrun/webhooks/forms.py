"""The endpoint form staff fill in: where to send, which events."""

from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from fenrun.webhooks.kinds import EventKind
from fenrun.webhooks.models import Endpoint


class EndpointForm(forms.ModelForm):
    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=EventKind.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("What the integrator's server is told about."),
    )

    class Meta:
        model = Endpoint
        fields = ("name", "url", "events", "is_active")

    def clean_url(self):
        url = self.cleaned_data["url"].strip()
        scheme = urlsplit(url).scheme.lower()
        if scheme != "https" and not (scheme == "http" and settings.FENRUN_WEBHOOKS["allow_http"]):
            raise forms.ValidationError(
                _("Use an https:// address: deliveries carry order data."), code="https"
            )
        return url

    def clean_events(self):
        # Stored in the order of the list, so the change history never shows a reordering.
        chosen = set(self.cleaned_data["events"])
        return [kind for kind in EventKind.values if kind in chosen]
