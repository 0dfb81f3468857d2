"""Who among the staff may do what: every staff capability, named once.

Each capability is a Django permission of the core app (``core.<codename>``), granted through
a role (a Django group: 店長, 財務, 出貨, 行銷, created by a migration) or to one user in the
back office; a superuser has them all. Being staff (``is_staff``) only opens the door: without a
capability a staff user sees nothing behind it.

Every staff page, admin screen, admin action and API operation says which capability it needs
in one way:
- a page: ``@requires(Capability.X)``;
- an API operation: ``@router.get(..., **staff_only(Capability.X))``, or ``**member_only()`` /
  ``**public()`` for what is not staff work, so the OpenAPI document says who may call what
  (``x-access``);
- an admin: ``CapabilityAdmin`` with a ``capabilities`` mapping, and actions with
  ``@admin.action(permissions=[...])`` naming a capability key.
``tests/test_authorization_matrix.py`` reads those declarations and fails on a page or
operation that has none.
"""

from __future__ import annotations

from enum import StrEnum
from functools import cache, wraps

from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from fenrun.core.admin_lookups import BoundedDatesAdminMixin

APP_LABEL = "core"


class Capability(StrEnum):
    """A staff capability; its value is the Django permission that grants it."""

    MANAGE_PLANS = "core.manage_plans"
    SETTLE_COMMISSIONS = "core.settle_commissions"
    VIEW_WALLETS = "core.view_wallets"
    DECIDE_WALLET_REQUESTS = "core.decide_wallet_requests"
    PAY_WITHDRAWALS = "core.pay_withdrawals"
    ADJUST_WALLETS = "core.adjust_wallets"
    VIEW_REPORTS = "core.view_reports"
    VIEW_CONTACT_DATA = "core.view_contact_data"
    MANAGE_ORDERS = "core.manage_orders"
    FULFIL_ORDERS = "core.fulfil_orders"
    MANAGE_CATALOGUE = "core.manage_catalogue"
    MANAGE_CAMPAIGNS = "core.manage_campaigns"
    MANAGE_MEMBERS = "core.manage_members"
    CHANGE_SPONSORS = "core.change_sponsors"
    MANAGE_INTEGRATIONS = "core.manage_integrations"
    MANAGE_STAFF = "core.manage_staff"

    @property
    def codename(self) -> str:
        return self.value.split(".", 1)[1]


# What each capability allows, in English: the permission rows store these (a migration must
# not depend on the language active when it runs); pages translate them with ``describe``.
DESCRIPTIONS: dict[Capability, str] = {
    Capability.MANAGE_PLANS: gettext_noop("Manage commission plans and their assignments"),
    Capability.SETTLE_COMMISSIONS: gettext_noop("Settle, release and reverse commissions"),
    Capability.VIEW_WALLETS: gettext_noop("See members' wallets, requests and the ledger"),
    Capability.DECIDE_WALLET_REQUESTS: gettext_noop(
        "Approve or reject conversions and withdrawals"
    ),
    Capability.PAY_WITHDRAWALS: gettext_noop("Mark withdrawals paid and see full bank details"),
    Capability.ADJUST_WALLETS: gettext_noop("Adjust members' wallets with a reason"),
    Capability.VIEW_REPORTS: gettext_noop("See reports, the organisation chart and leaderboards"),
    Capability.VIEW_CONTACT_DATA: gettext_noop("See members' e-mail addresses and phone numbers"),
    Capability.MANAGE_ORDERS: gettext_noop("Manage orders: edit, cancel, refund"),
    Capability.FULFIL_ORDERS: gettext_noop("Fulfil orders: mark shipped, add tracking numbers"),
    Capability.MANAGE_CATALOGUE: gettext_noop("Manage products, categories and shipping methods"),
    Capability.MANAGE_CAMPAIGNS: gettext_noop("Manage campaigns and member tags"),
    Capability.MANAGE_MEMBERS: gettext_noop("Manage members and member groups"),
    Capability.CHANGE_SPONSORS: gettext_noop("Re-assign a member's sponsor"),
    Capability.MANAGE_INTEGRATIONS: gettext_noop("Manage integrations and API tokens"),
    Capability.MANAGE_STAFF: gettext_noop("Manage staff accounts and their roles"),
}


def describe(capability: Capability) -> str:
    """The capability's description in the active language."""
    return gettext(DESCRIPTIONS[capability])


C = Capability
# The default roles. A shop can change them in the back office (Groups) or add its own; the
# migration creates them once and never overwrites a shop's changes.
ROLES: dict[str, frozenset[Capability]] = {
    "店長": frozenset(Capability),
    # Finance runs the money rules end to end: plans, settlements, wallet decisions, payouts.
    "財務": frozenset(
        {
            C.MANAGE_PLANS,
            C.SETTLE_COMMISSIONS,
            C.VIEW_WALLETS,
            C.DECIDE_WALLET_REQUESTS,
            C.PAY_WITHDRAWALS,
            C.ADJUST_WALLETS,
            C.VIEW_REPORTS,
            C.VIEW_CONTACT_DATA,
        }
    ),
    # Fulfilment ships orders; cancelling and refunding move money and claw bonuses back, so
    # they stay with the owner (MANAGE_ORDERS).
    "出貨": frozenset({C.FULFIL_ORDERS}),
    # Marketing reads every report and runs campaigns, but never sees members' contact data.
    "行銷": frozenset({C.VIEW_REPORTS, C.MANAGE_CAMPAIGNS}),
}
OWNER_ROLE = "店長"


def has(user, capability: Capability) -> bool:
    """Whether ``user`` is active staff holding ``capability`` (superusers hold all)."""
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and user.is_active
        and user.is_staff
        and user.has_perm(str(capability))
    )


def has_any(user, capabilities) -> bool:
    return any(has(user, c) for c in capabilities)


# -- pages --------------------------------------------------------------------------------------


def requires(*capabilities: Capability):
    """A staff page: staff login first (else the back-office login), then any one of
    ``capabilities`` (else 403). The view carries ``.capabilities`` for the matrix test."""
    if not capabilities:
        raise ValueError("requires() needs at least one capability")

    def decorator(view):
        @wraps(view)
        def checked(request, *args, **kwargs):
            if not has_any(request.user, capabilities):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        guarded = staff_member_required(checked)
        guarded.capabilities = frozenset(capabilities)
        return guarded

    return decorator


# -- the API ------------------------------------------------------------------------------------


@cache
def _staff_auth_class():
    # Built on first use: core.auth imports Ninja, whose settings need Django configured.
    from fenrun.core.auth import MemberSessionAuth

    class StaffSessionAuth(MemberSessionAuth):
        """Ninja auth for a staff operation: a logged-in session with one of the capabilities.

        Nobody logged in: 401. Logged in without the capability: 403, before the body is read.
        """

        def __init__(self, capabilities: frozenset[Capability]):
            super().__init__()
            self.capabilities = capabilities

        def __call__(self, request):
            user = super().__call__(request)
            if user is None:
                return None
            if not has_any(user, self.capabilities):
                raise PermissionDenied(_("Your role may not do this."))
            return user

    return StaffSessionAuth


INTEGRATOR_ACCESS = "integrator:"


def integrator_access(scope) -> str:
    """How ``x-access`` names an integrator key holding ``scope``: ``integrator:orders.write``."""
    return f"{INTEGRATOR_ACCESS}{scope}"


def staff_only(*capabilities: Capability, scope=None) -> dict:
    """Keyword arguments for a Ninja operation that needs one of ``capabilities``.

    With a ``scope`` (``fenrun.core.scopes.Scope``) an integrator key holding it is let through
    too (a POS pushing orders); without one, a key is refused.
    """
    if not capabilities:
        raise ValueError("staff_only() needs at least one capability")
    from fenrun.core.auth import api_auth

    caps = frozenset(capabilities)
    auth = api_auth(_staff_auth_class()(caps), scope=scope)
    access = sorted(str(c) for c in caps)
    if scope:
        access.append(integrator_access(scope))
    return {"auth": auth, "openapi_extra": {"x-access": access}}


def member_only(*, scope=None) -> dict:
    """A logged-in member's own data (staff use it as members too); with a ``scope``, also an
    integrator key holding it (the integrator's own data)."""
    from fenrun.core.auth import MemberSessionAuth, api_auth

    auth = api_auth(MemberSessionAuth(), scope=scope)
    access = ["member", integrator_access(scope)] if scope else ["member"]
    return {"auth": auth, "openapi_extra": {"x-access": access}}


def public() -> dict:
    """Anyone, logged in or not (the catalogue)."""
    return {"auth": None, "openapi_extra": {"x-access": ["public"]}}


# -- the admin ----------------------------------------------------------------------------------


class CapabilityAdminMixin(BoundedDatesAdminMixin):
    """A ModelAdmin whose view / add / change / delete rights are capabilities.

    ``capabilities`` maps "view", "add", "change", "delete" to a capability or a tuple of them
    (any one suffices; superusers too). A right that is not declared is nobody's, superusers'
    included: that is how a ledger stays read-only. Whatever grants "change" also grants "view".
    ``action_capabilities`` names what each custom action permission needs:
    ``@admin.action(permissions=["fulfil"])`` looks up ``action_capabilities["fulfil"]``.
    Its changelists refuse days outside the shop's calendar (``fenrun.core.admin_lookups``).
    """

    capabilities: dict[str, Capability | tuple[Capability, ...]] = {}
    action_capabilities: dict[str, Capability | tuple[Capability, ...]] = {}

    @staticmethod
    def _as_tuple(value) -> tuple[Capability, ...]:
        if value is None:
            return ()
        return value if isinstance(value, tuple) else (value,)

    def _allowed(self, request, right: str) -> bool:
        caps = self._as_tuple(self.capabilities.get(right))
        if right == "view":
            caps = caps + self._as_tuple(self.capabilities.get("change"))
        return bool(caps) and has_any(request.user, caps)

    def has_view_permission(self, request, obj=None):
        return self._allowed(request, "view")

    def has_add_permission(self, request, *args, **kwargs):
        return self._allowed(request, "add")

    def has_change_permission(self, request, obj=None):
        return self._allowed(request, "change")

    def has_delete_permission(self, request, obj=None):
        return self._allowed(request, "delete")

    def has_module_permission(self, request):
        return self._allowed(request, "view")

    def __getattr__(self, name):
        # Django asks has_<perm>_permission(request) for @admin.action(permissions=[perm]).
        if name.startswith("has_") and name.endswith("_permission"):
            key = name[4 : -len("_permission")]
            if key in self.action_capabilities:
                caps = self._as_tuple(self.action_capabilities[key])
                return lambda request, *a, **kw: has_any(request.user, caps)
        raise AttributeError(name)
