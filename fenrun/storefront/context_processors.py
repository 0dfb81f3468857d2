from django.conf import settings
from django.db.models import Sum
from django.utils.functional import SimpleLazyObject

from fenrun.catalog.models import Category
from fenrun.orders.models import CartLine


def _cart_count(request) -> int:
    """Items in the visitor's cart, in one query (none for a visitor without a session)."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        lines = CartLine.objects.filter(cart__user=user)
    else:
        session = getattr(request, "session", None)
        key = session.session_key if session is not None else None
        if not key:
            return 0
        lines = CartLine.objects.filter(cart__session_key=key, cart__user__isnull=True)
    return lines.aggregate(n=Sum("quantity"))["n"] or 0


def shop(request):
    return {
        "shop_name": settings.FENRUN_SHOP_NAME,
        "cart_count": SimpleLazyObject(lambda: _cart_count(request)),
        "nav_categories": SimpleLazyObject(
            lambda: list(Category.objects.filter(is_active=True, parent__isnull=True))
        ),
    }
