from fenrun.orders.tests.providers import (  # noqa: F401 (fixtures for the payment tests)
    ecpay_provider,
    in_process_http,
    linepay_provider,
)
