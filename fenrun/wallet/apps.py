from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def checkout_credit(request, quote):
    """The checkout page's answer to "how much credit may this buyer use on this order?"."""
    from fenrun.wallet.selectors import usable_credit

    return usable_credit(request.user, quote.goods_total - quote.discount_total, quote.shipping_fee)


class WalletConfig(AppConfig):
    name = "fenrun.wallet"
    label = "wallet"
    verbose_name = _("Wallet")

    def ready(self):
        # The checkout view asks its registered providers for usable credit (see
        # fenrun.orders.views.CREDIT_PROVIDERS); the wallet is the provider.
        try:
            from fenrun.orders import views as order_views
        except ImportError:
            return
        if checkout_credit not in order_views.CREDIT_PROVIDERS:
            order_views.CREDIT_PROVIDERS.append(checkout_credit)
