"""What an integrator key may do: its scopes, named once.

A key holds a list of scopes; every operation an integrator may call names the one scope it
needs (``member_only(scope=...)`` / ``staff_only(..., scope=...)``), and the OpenAPI document
says so in ``x-access`` as ``integrator:<scope>``. A valid key without the scope is answered 403
``scope_missing`` naming the scope, before the body is read.
"""

from enum import StrEnum

from django.utils.translation import gettext_lazy as _


class Scope(StrEnum):
    ORDERS_READ = "orders.read"
    ORDERS_WRITE = "orders.write"
    ORDERS_STATUS = "orders.status"
    COMMISSIONS_READ = "commissions.read"
    MEMBERS_READ = "members.read"


DESCRIPTIONS = {
    Scope.ORDERS_READ: _("Read the orders it pushed"),
    Scope.ORDERS_WRITE: _("Push orders"),
    Scope.ORDERS_STATUS: _("Move the orders it pushed through their statuses"),
    Scope.COMMISSIONS_READ: _("Read commission plans and the commissions of the orders it pushed"),
    Scope.MEMBERS_READ: _("Look up members by e-mail or mobile number"),
}

# A key issued without naming scopes: what a POS that pushes and reads its orders needs.
DEFAULT_SCOPES: tuple[Scope, ...] = (Scope.ORDERS_READ, Scope.ORDERS_WRITE)

# What every key could do before keys had scopes (orders pushed and read, plans and an order's
# commissions read); the migration that added scopes gave existing keys exactly these.
BEFORE_SCOPES: tuple[Scope, ...] = (Scope.ORDERS_READ, Scope.ORDERS_WRITE, Scope.COMMISSIONS_READ)


def choices() -> list[tuple[str, str]]:
    return [(scope.value, DESCRIPTIONS[scope]) for scope in Scope]


def clean_scopes(values) -> list[str]:
    """The scopes as stored: known ones only, each once, in the enum's order.

    Raises ValueError naming an unknown scope, so a typo in a command or a form is not silently
    a key that can do less than intended.
    """
    wanted = set()
    for value in values or ():
        try:
            wanted.add(Scope(str(value).strip()))
        except ValueError:
            raise ValueError(str(value)) from None
    return [scope.value for scope in Scope if scope in wanted]
