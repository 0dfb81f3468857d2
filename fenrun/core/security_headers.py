"""Response headers that tell the browser what the shop's pages may do (docs/operations.md).

The Content-Security-Policy itself is settings.CONTENT_SECURITY_POLICY (django-csp); this module
only narrows where the back office needs more, and adds the Permissions-Policy.
"""

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.urls import NoReverseMatch, reverse


def _admin_prefix() -> str | None:
    try:
        return reverse("admin:index")
    except NoReverseMatch:
        return None


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, with settings.FENRUN_CSP_ADMIN_EXTRA added under the admin.

    The admin theme (unfold) runs Alpine.js, whose standard build compiles the expressions in
    its x-data / @click attributes with the Function constructor ('unsafe-eval'), and writes its
    theme colours in a <style> element ('unsafe-inline'). Alpine's CSP build cannot evaluate the
    expressions unfold's templates contain, so the relaxation is scoped to the admin's URLs;
    every other page, staff pages outside /admin/ included, keeps the strict policy.
    """

    def get_policy_parts(self, request, response, report_only: bool = False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only=report_only)
        prefix = _admin_prefix()
        if prefix and request.path_info.startswith(prefix):
            extra = settings.FENRUN_CSP_ADMIN_EXTRA
            update = dict(parts.update or {})
            for directive, sources in extra.items():
                update[directive] = [*update.get(directive, []), *sources]
            parts.update = update
        return parts


class PermissionsPolicyMiddleware:
    """Sends settings.FENRUN_PERMISSIONS_POLICY as the Permissions-Policy header.

    The shop uses no camera, microphone, location or payment-request API: switching them off
    means an injected script or a framed page cannot ask the visitor for them either.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.header = format_permissions_policy(settings.FENRUN_PERMISSIONS_POLICY)

    def __call__(self, request):
        response = self.get_response(request)
        if self.header and "Permissions-Policy" not in response:
            response["Permissions-Policy"] = self.header
        return response


def format_permissions_policy(policy: dict[str, list[str]]) -> str:
    """{"camera": [], "fullscreen": ["self"]} -> 'camera=(), fullscreen=(self)'."""
    return ", ".join(f"{feature}=({' '.join(allow)})" for feature, allow in policy.items())
