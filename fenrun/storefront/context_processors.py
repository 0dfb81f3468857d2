from django.conf import settings

from fenrun.orders.cart import cart_count, get_cart


def shop(request):
    return {
        "shop_name": settings.FENRUN_SHOP_NAME,
        "cart_count": cart_count(get_cart(request)) if hasattr(request, "session") else 0,
    }
