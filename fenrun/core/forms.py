"""Form pieces every app's filters share."""

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
