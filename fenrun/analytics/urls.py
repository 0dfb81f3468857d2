from django.urls import path

from fenrun.analytics import views

app_name = "analytics"
urlpatterns = [
    path("staff/analytics/", views.dashboard, name="dashboard"),
    path("staff/analytics/chart/", views.org_chart, name="org_chart"),
    path("staff/analytics/levels/", views.levels, name="levels"),
    path("staff/analytics/leaderboards/", views.leaderboards, name="leaderboards"),
    path("staff/analytics/campaigns/", views.campaigns, name="campaigns"),
    path("staff/analytics/campaigns/<int:pk>/", views.campaign_report, name="campaign_report"),
    path("staff/analytics/utm/", views.utm, name="utm"),
    path("staff/analytics/tags/", views.tags, name="tags"),
    path("staff/analytics/tags/recompute/", views.recompute_tags, name="recompute_tags"),
    path("staff/analytics/tags/<int:pk>/", views.tag_members, name="tag_members"),
    path("staff/analytics/members/<int:pk>/downline/", views.downline, name="downline"),
    path("member/downline/", views.my_downline, name="my_downline"),
    path("member/downline/levels/", views.my_levels, name="my_levels"),
    path("member/downline/members/", views.my_downline_list, name="my_downline_list"),
]
