from django.urls import path

from fenrun.orders import views

app_name = "orders"
urlpatterns = [
    path("checkout/", views.checkout, name="checkout"),
    path("checkout/summary/", views.checkout_summary, name="checkout_summary"),
    path("checkout/placed/<str:number>/", views.placed, name="placed"),
    path("checkout/pay/<str:number>/", views.pay, name="pay"),
    path("checkout/pay/<str:number>/go/", views.pay_go, name="pay_go"),
    path("pay/ecpay/return/", views.ecpay_callback, name="ecpay_return"),
    path("pay/ecpay/payment-info/", views.ecpay_callback, name="ecpay_payment_info"),
    path("pay/ecpay/result/", views.ecpay_result, name="ecpay_result"),
    path("pay/linepay/confirm/", views.linepay_confirm, name="linepay_confirm"),
    path("pay/linepay/cancel/", views.linepay_cancel, name="linepay_cancel"),
    path("pay/test/callback/", views.test_gateway_callback, name="test_gateway_callback"),
    path("pay/test/<str:reference>/", views.test_gateway, name="test_gateway"),
]
