from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from fenrun.core.validators import TW_MOBILE, normalize_tw_mobile

User = get_user_model()

# The wording of fenrun.core.validators, repeated here so that this app's catalogue translates it.
MOBILE_MESSAGE = _("Enter a Taiwanese mobile number: 10 digits starting with 09.")


class RegistrationForm(forms.ModelForm):
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 8 characters; not only digits, not a common password."),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    referral_code = forms.CharField(
        label=_("Referral code"),
        required=False,
        max_length=40,
        help_text=_("Optional: the code of the member who invited you."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )

    class Meta:
        model = User
        fields = ("email", "name", "phone")
        labels = {"email": _("Email"), "name": _("Name"), "phone": _("Mobile phone")}
        help_texts = {"phone": _("Optional: 10 digits starting with 09.")}
        widgets = {
            "email": forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
            "name": forms.TextInput(attrs={"autocomplete": "name"}),
            "phone": forms.TextInput(
                attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}
            ),
        }

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["name"].required = True
        # Normalised in clean_phone: "+886 912-345-678" is longer than the stored 10 digits.
        self.fields["phone"].max_length = 20
        self.fields["phone"].widget.attrs["maxlength"] = "20"
        self.fields["phone"].validators = []

    def clean_email(self):
        # A taken address is not an error here: the view answers as for a new one, so the form
        # never tells who is registered (see fenrun.accounts.views).
        return User.objects.normalize_email(self.cleaned_data["email"]).strip().lower()

    def _get_validation_exclusions(self):
        # The model's unique e-mail field and constraint would say "already registered": the
        # view handles a taken address, and the database constraint still guards the insert.
        return super()._get_validation_exclusions() | {"email"}

    def clean_phone(self):
        phone = normalize_tw_mobile(self.cleaned_data.get("phone") or "")
        if not phone:
            return ""
        if not TW_MOBILE.match(phone):
            raise ValidationError(MOBILE_MESSAGE, code="invalid_phone")
        if User.objects.filter(phone=phone).exists():
            raise ValidationError(
                _("This mobile number is already registered."), code="duplicate_phone"
            )
        return phone

    def clean_referral_code(self):
        return self.cleaned_data["referral_code"].strip()

    def clean_password2(self):
        first, second = self.cleaned_data.get("password1"), self.cleaned_data.get("password2")
        if first and second and first != second:
            raise ValidationError(_("The two passwords differ."), code="password_mismatch")
        return second

    def _post_clean(self):
        super()._post_clean()
        # Validated against the filled instance, so "too similar to your e-mail" can apply.
        password = self.cleaned_data.get("password2")
        if password:
            try:
                password_validation.validate_password(password, self.instance)
            except ValidationError as error:
                self.add_error("password1", error)

    def save(self, commit=True):
        user = super().save(commit=False)
        user.set_password(self.cleaned_data["password1"])
        if commit:
            user.save()
        return user


class LoginForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("Email"),
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("The e-mail or the password is wrong."),
    }

    def __init__(self, request=None, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(request, *args, **kwargs)

    def clean_username(self):
        # Addresses are stored in lower case; people type them any way.
        return self.cleaned_data["username"].strip().lower()
