from django.urls import path

from fenrun.orders import views

app_name = "orders"
urlpatterns = [
    path("checkout/", views.checkout, name="checkout"),
    path("checkout/summary/", views.checkout_summary, name="checkout_summary"),
    path("checkout/placed/<str:number>/", views.placed, name="placed"),
    path("checkout/pay/<str:number>/", views.pay, name="pay"),
    path("pay/test/callback/", views.test_gateway_callback, name="test_gateway_callback"),
    path("pay/test/<str:reference>/", views.test_gateway, name="test_gateway"),
]
