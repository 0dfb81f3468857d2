"""Registration and login pages; the rest of the account flow is Django's own auth views."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.views import LoginView
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from fenrun.accounts.forms import LoginForm, RegistrationForm
from fenrun.accounts.hooks import after_registration
from fenrun.orders.cart import merge_guest_cart
from fenrun.storefront.views import safe_next


def _log_in_keeping_cart(request, user) -> None:
    # login() rotates the session key: remember the guest's key to find their cart afterwards.
    guest_key = request.session.session_key
    login(request, user)
    merge_guest_cart(guest_key, user)


@require_http_methods(["GET", "POST"])
def register(request):
    if request.user.is_authenticated:
        return redirect("storefront:member_orders")
    initial = {"referral_code": (request.GET.get("ref") or request.GET.get("code") or "")[:40]}
    form = RegistrationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                user = form.save()
                after_registration(request, user, form.cleaned_data["referral_code"])
        except ValidationError as exc:
            form.add_error("referral_code", exc)
        except IntegrityError:
            # Someone registered the same e-mail or phone between our check and our insert.
            form.add_error(None, _("This e-mail or mobile number is already registered."))
        else:
            _log_in_keeping_cart(request, user)
            messages.success(
                request,
                _("Welcome, %(name)s! Your account is ready.") % {"name": user.display_name},
            )
            return redirect(safe_next(request, reverse("storefront:home")))
    return render(request, "accounts/register.html", {"form": form, "next": safe_next(request, "")})


class ShopLoginView(LoginView):
    form_class = LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def get_redirect_url(self):
        # "?next=" pointing back at this page would loop for a member who is already logged in.
        url = super().get_redirect_url()
        return "" if url.split("?", 1)[0] == self.request.path else url

    def form_valid(self, form):
        _log_in_keeping_cart(self.request, form.get_user())
        return redirect(self.get_success_url())
