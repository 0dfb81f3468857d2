from django.urls import path

from fenrun.referrals import views

app_name = "referrals"
urlpatterns = [
    path("r/<str:code>", views.share, name="share"),
    path("r/<str:code>/", views.share),
    path("r/<str:code>/<str:slug>", views.share, name="share_product"),
    path("r/<str:code>/<str:slug>/", views.share),
    path("member/links/", views.my_links, name="my_links"),
    path("member/links/qr.png", views.qr_png, name="qr_png"),
    path("member/campaigns/", views.campaigns, name="campaigns"),
]
