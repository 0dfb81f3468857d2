"""The two messages registration sends: a welcome to a new member, and a notice to the owner of
an address somebody tried to register again (so registration never says which are taken)."""

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse


def _send(request, to: str, template: str, context: dict) -> None:
    context = {
        "shop_name": settings.FENRUN_SHOP_NAME,
        "login_url": request.build_absolute_uri(reverse("accounts:login")),
        "reset_url": request.build_absolute_uri(reverse("accounts:password_reset")),
        **context,
    }
    subject = render_to_string(f"accounts/email/{template}_subject.txt", context)
    body = render_to_string(f"accounts/email/{template}.txt", context)
    send_mail(" ".join(subject.split()), body, None, [to])


def send_welcome(request, user) -> None:
    _send(request, user.email, "registration_welcome", {"user": user})


def send_already_registered(request, email: str) -> None:
    _send(request, email, "registration_existing", {"email": email})
