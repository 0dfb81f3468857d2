"""Registration and login pages; the rest of the account flow is Django's own auth views.

Registration answers every accepted form the same way, whether the address is new or already
has an account: "check your e-mail" (docs/operations.md, "Registration"). A new member is
created and bound to their sponsor at once and logs in with the password they chose; the owner
of a taken address is e-mailed instead. Nothing on the page tells the two apart.
"""

from urllib.parse import urlencode

from django.contrib.auth import get_user_model, login
from django.contrib.auth.hashers import make_password
from django.contrib.auth.views import LoginView, PasswordResetConfirmView, PasswordResetView
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from fenrun.accounts import emails, limits
from fenrun.accounts.forms import LoginForm, RegistrationForm
from fenrun.accounts.hooks import (
    after_login,
    after_registration,
    check_registration,
    sponsor_preview,
)
from fenrun.core.redirects import safe_next

User = get_user_model()
SENT_TO_SESSION_KEY = "accounts:registration-sent-to"


def _log_in_keeping_cart(request, user) -> None:
    # login() rotates the session key: remember the guest's key to find their cart afterwards.
    guest_key = request.session.session_key
    login(request, user)
    after_login(guest_key, user)


@require_http_methods(["GET", "POST"])
def register(request):
    if request.user.is_authenticated:
        return redirect("storefront:member_orders")
    initial = {"referral_code": (request.GET.get("ref") or request.GET.get("code") or "")[:40]}
    form = RegistrationForm(request.POST or None, initial=initial)
    if request.method == "POST" and not limits.allow_registration_attempt(request):
        # Checked before the form: over the limit, nothing is looked up (e-mail, phone, code).
        minutes = max(1, limits.registration_limits().window_seconds // 60)
        response = render(
            request,
            "accounts/register.html",
            {
                "form": RegistrationForm(initial=initial),
                "next": safe_next(request, ""),
                "blocked_message": _(
                    "Too many registration attempts from your connection. "
                    "Wait %(minutes)s minutes and try again."
                )
                % {"minutes": minutes},
            },
            status=429,
        )
        response["Retry-After"] = str(minutes * 60)
        return response
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        try:
            # Before the address is looked at: a wrong code gets the same answer either way.
            check_registration(
                request,
                email=email,
                phone=form.cleaned_data["phone"],
                referral_code=form.cleaned_data["referral_code"],
            )
        except ValidationError as exc:
            form.add_error("referral_code", exc)
            return _form_page(request, form)
        if User.objects.filter(email__iexact=email).exists():
            # The same answer as for a new address: the page must not tell who is registered.
            # The owner hears of it instead (a few times an hour at most). The password is
            # hashed all the same, so the answer does not come faster either.
            make_password(form.cleaned_data["password1"])
            if limits.allow_registration_notice(email):
                emails.send_already_registered(request, email)
            return _sent(request, email)
        try:
            with transaction.atomic():
                user = form.save()
                after_registration(request, user, form.cleaned_data["referral_code"])
        except ValidationError as exc:
            form.add_error("referral_code", exc)
        except IntegrityError:
            # Someone registered the same e-mail or phone between our check and our insert.
            if User.objects.filter(email__iexact=email).exists():
                return _sent(request, email)
            form.add_error("phone", _("This mobile number is already registered."))
        else:
            emails.send_welcome(request, user)
            return _sent(request, email)
    return _form_page(request, form)


def _form_page(request, form):
    return render(
        request,
        "accounts/register.html",
        {"form": form, "next": safe_next(request, ""), "sponsor_note": sponsor_preview(request)},
    )


def _sent(request, email: str):
    """Where every accepted registration form lands, new address or taken: see docs."""
    request.session[SENT_TO_SESSION_KEY] = email
    url = reverse("accounts:register_sent")
    next_url = safe_next(request, "")
    if next_url:
        url += "?" + urlencode({"next": next_url})
    return redirect(url)


@require_http_methods(["GET"])
def register_sent(request):
    return render(
        request,
        "accounts/register_sent.html",
        {"email": request.session.get(SENT_TO_SESSION_KEY, ""), "next": safe_next(request, "")},
    )


class ShopLoginView(LoginView):
    form_class = LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def get_redirect_url(self):
        # "?next=" pointing back at this page would loop for a member who is already logged in.
        url = super().get_redirect_url()
        return "" if url.split("?", 1)[0] == self.request.path else url

    def post(self, request, *args, **kwargs):
        # Checked before the form: a blocked visitor must not learn whether the password was
        # right, and the answer must say why instead of "wrong password".
        email = request.POST.get("username", "")
        if limits.login_blocked(request, email):
            minutes = limits.current_limits().window_seconds // 60
            context = self.get_context_data(
                form=self.form_class(request, initial={"username": email[:254]}),
                blocked_message=_(
                    "Too many failed log-in attempts. Wait %(minutes)s minutes and try again, "
                    "or reset your password."
                )
                % {"minutes": minutes},
            )
            response = self.render_to_response(context, status=429)
            response["Retry-After"] = str(minutes * 60)
            return response
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        _log_in_keeping_cart(self.request, form.get_user())
        return redirect(self.get_success_url())


class ShopPasswordResetView(PasswordResetView):
    """Django's reset form, with a limit on how often one address or one client may ask."""

    def form_valid(self, form):
        if limits.allow_reset_request(self.request, form.cleaned_data["email"]):
            return super().form_valid(form)
        minutes = limits.current_limits().reset_window_seconds // 60
        form.add_error(
            "email",
            _("Too many password-reset requests. Wait %(minutes)s minutes and try again.")
            % {"minutes": minutes},
        )
        response = self.render_to_response(self.get_context_data(form=form), status=429)
        response["Retry-After"] = str(minutes * 60)
        return response


class ShopPasswordResetConfirmView(PasswordResetConfirmView):
    def form_valid(self, form):
        # The log-in page tells a blocked member to reset their password: doing so unblocks
        # their account on this device.
        limits.clear_login_failures(self.request, self.user.email)
        return super().form_valid(form)
