from django.urls import path

from fenrun.commissions import views

app_name = "commissions"
urlpatterns = [
    path("staff/commissions/plans/", views.plan_list, name="plan_list"),
    path("staff/commissions/plans/new/", views.plan_create, name="plan_create"),
    path("staff/commissions/plans/preview/", views.plan_preview, name="plan_preview"),
    path("staff/commissions/plans/<int:pk>/", views.plan_edit, name="plan_edit"),
    path(
        "staff/commissions/plans/<int:pk>/default/",
        views.plan_make_default,
        name="plan_make_default",
    ),
    path("staff/commissions/plans/<int:pk>/delete/", views.plan_delete, name="plan_delete"),
    path(
        "staff/commissions/plans/<int:pk>/assignments/", views.assignment_add, name="assignment_add"
    ),
    path(
        "staff/commissions/assignments/<int:pk>/delete/",
        views.assignment_remove,
        name="assignment_remove",
    ),
    path(
        "staff/commissions/orders/<int:order_id>/",
        views.order_commissions,
        name="order_commissions",
    ),
    path(
        "staff/commissions/orders/<int:order_id>/create/",
        views.create_for_order,
        name="create_for_order",
    ),
    path("staff/commissions/unsettled/", views.unsettled_orders, name="unsettled_orders"),
    path("member/commissions/", views.my_commissions, name="my_commissions"),
]
