from django.urls import path

from fenrun.storefront import views

app_name = "storefront"
urlpatterns = [
    path("", views.home, name="home"),
    path("c/<str:slug>/", views.category, name="category"),
    path("p/<str:slug>/", views.product, name="product"),
    path("search/", views.search, name="search"),
    path("cart/", views.cart, name="cart"),
    path("cart/add/", views.cart_add, name="cart_add"),
    path("cart/update/", views.cart_update, name="cart_update"),
    path("member/orders/", views.member_orders, name="member_orders"),
    path("member/orders/<str:number>/", views.member_order_detail, name="member_order_detail"),
]
