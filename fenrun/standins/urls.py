"""The stand-ins' addresses, at the same paths as the real providers' under /standin/<provider>/."""

from django.urls import path

from fenrun.standins import ecpay, linepay

app_name = "standins"
urlpatterns = [
    path("ecpay/Cashier/AioCheckOut/V5", ecpay.checkout, name="ecpay_checkout"),
    path("ecpay/Cashier/QueryTradeInfo/V5", ecpay.query, name="ecpay_query"),
    path("ecpay/CreditDetail/DoAction", ecpay.do_action, name="ecpay_do_action"),
    path("ecpay/pay/<str:trade_no>/", ecpay.page, name="ecpay_page"),
    path("linepay/v3/payments/request", linepay.request_api, name="linepay_request"),
    path(
        "linepay/v3/payments/<str:transaction_id>/confirm",
        linepay.confirm_api,
        name="linepay_confirm",
    ),
    path(
        "linepay/v3/payments/<str:transaction_id>/refund", linepay.refund_api, name="linepay_refund"
    ),
    path(
        "linepay/v3/payments/requests/<str:transaction_id>/check",
        linepay.check_api,
        name="linepay_check",
    ),
    path("linepay/pay/<str:transaction_id>/", linepay.page, name="linepay_page"),
]
