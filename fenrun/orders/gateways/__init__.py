"""Payment providers behind one interface (``base.Gateway``), each in its own module.

``REGISTRY`` maps a provider's code to its class; checkout offers the methods of the providers
that are switched on (``enabled_options``), so a new provider (NewebPay...) is a module and a
line here. Which providers and methods are on, and with which merchant keys, is configuration
(``fenrun.orders.gateways.config``), not code.
"""

from dataclasses import dataclass

from fenrun.orders.gateways.base import CallbackError, Gateway, PaymentMethodOption
from fenrun.orders.gateways.config import provider_settings, test_gateway_enabled
from fenrun.orders.gateways.ecpay import ECPayGateway
from fenrun.orders.gateways.linepay import LinePayGateway
from fenrun.orders.gateways.simulated import TestGateway

REGISTRY: dict[str, type[Gateway]] = {
    TestGateway.code: TestGateway,
    ECPayGateway.code: ECPayGateway,
    LinePayGateway.code: LinePayGateway,
}
# What an order placed as plain "gateway" (the API, older clients) pays with.
LEGACY_OPTION = "test.card"


@dataclass(frozen=True)
class CheckoutOption:
    code: str  # "<provider>.<method>", stored on the order
    provider: str
    method: PaymentMethodOption

    @property
    def label(self):
        return self.method.label


def get_gateway(code: str) -> Gateway:
    try:
        return REGISTRY[code]()
    except KeyError as exc:
        raise CallbackError("unknown gateway") from exc


def enabled_options() -> list[CheckoutOption]:
    """The online ways to pay that checkout offers now, in the registry's order."""
    options = []
    for code, cls in REGISTRY.items():
        if code == TestGateway.code:
            if not test_gateway_enabled():
                continue
            gateway, wanted = cls(), None
        else:
            config = provider_settings(code)
            if not (config.enabled and config.has_credentials):
                continue
            gateway, wanted = cls(config), set(config.methods)
        for method in gateway.methods():
            if wanted is None or method.code in wanted:
                options.append(CheckoutOption(f"{code}.{method.code}", code, method))
    return options


def find_option(code: str) -> CheckoutOption | None:
    """The enabled option ``code`` names ("gateway" alone: the legacy one), or None."""
    code = LEGACY_OPTION if code == "gateway" else code
    return next((o for o in enabled_options() if o.code == code), None)


def split_option(code: str) -> tuple[str, str]:
    provider, _, method = (code or LEGACY_OPTION).partition(".")
    return provider, method
