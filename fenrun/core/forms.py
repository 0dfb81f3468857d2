"""Form pieces every app shares: date-range filters, one-time tokens."""

from uuid import uuid4

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from fenrun.core.periods import EARLIEST, LATEST

SHOP_DAYS = [MinValueValidator(EARLIEST), MaxValueValidator(LATEST)]


class DateRangeForm(forms.Form):
    """An optional ``date_from`` … ``date_to`` range (both days included) for list filters."""

    date_from = forms.DateField(
        label=_("From"),
        required=False,
        validators=SHOP_DAYS,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = forms.DateField(
        label=_("To"),
        required=False,
        validators=SHOP_DAYS,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("The end date is before the start date."))
        return data


class TokenForm(forms.Form):
    """Carries a one-time token: submitting the same form twice is done once.

    The service the form feeds stores the token with what it made (a unique key), so a second
    submission finds the first one's result instead of doing the work again.
    """

    token = forms.CharField(widget=forms.HiddenInput, max_length=64)
    # Two of these forms can share a page (conversion and withdrawal, adjustment and
    # conversion): each needs its own element ids, or both hidden tokens would be "id_token".
    # An empty prefix keeps Django's usual ids, for a form alone on its page.
    id_prefix = "form"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("token", uuid4().hex)
        kwargs.setdefault("auto_id", f"id_{self.id_prefix}_%s" if self.id_prefix else "id_%s")
        super().__init__(*args, **kwargs)
