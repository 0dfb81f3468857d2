"""Invoice providers, one module each; ``get_provider`` returns the configured one."""

from importlib import import_module

from fenrun.invoices import conf

PROVIDERS = {"ecpay": "fenrun.invoices.providers.ecpay.ECPayInvoices"}


def get_provider():
    module_name, _, class_name = PROVIDERS[conf.provider_code()].rpartition(".")
    return getattr(import_module(module_name), class_name)()
