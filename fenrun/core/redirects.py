"""Where to send a visitor after a form: only back to this site, never to another host."""

from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request, default: str) -> str:
    """The ``next`` the request asks for, if it is a path on this site; otherwise ``default``.

    Only a path: ``redirect()`` takes anything else ("0", "NaN") for a view name and fails to
    reverse it, a 500.
    """
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default
