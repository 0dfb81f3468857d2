from django.urls import path

from fenrun.wallet import views

app_name = "wallet"
urlpatterns = [
    path("member/wallet/", views.my_account, name="my_account"),
    path("member/wallet/convert/", views.request_conversion, name="request_conversion"),
    path("member/wallet/withdraw/", views.request_withdrawal, name="request_withdrawal"),
    path(
        "member/wallet/conversions/<int:pk>/cancel/",
        views.cancel_conversion,
        name="cancel_conversion",
    ),
    path(
        "member/wallet/withdrawals/<int:pk>/cancel/",
        views.cancel_withdrawal,
        name="cancel_withdrawal",
    ),
    path("staff/wallet/", views.staff_queues, name="staff_queues"),
    path(
        "staff/wallet/conversions/<int:pk>/decide/",
        views.staff_decide_conversion,
        name="staff_decide_conversion",
    ),
    path("staff/wallet/withdrawals/<int:pk>/", views.staff_withdrawal, name="staff_withdrawal"),
    path(
        "staff/wallet/withdrawals/<int:pk>/decide/",
        views.staff_decide_withdrawal,
        name="staff_decide_withdrawal",
    ),
    path("staff/wallet/members/", views.staff_members, name="staff_members"),
    path("staff/wallet/members/<int:pk>/", views.staff_member, name="staff_member"),
    path("staff/wallet/members/<int:pk>/adjust/", views.staff_adjust, name="staff_adjust"),
    path("staff/wallet/members/<int:pk>/convert/", views.staff_convert, name="staff_convert"),
    path("staff/wallet/ledger.csv", views.staff_ledger_csv, name="staff_ledger_csv"),
]
