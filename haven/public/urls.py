from django.urls import path

from . import views, views_alerts

app_name = "public"
urlpatterns = [
    path("resources/", views.resource_finder, name="resource_finder"),
    path("alerts/", views_alerts.alert_list, name="alerts"),
    path("alerts/<int:alert_id>/", views_alerts.alert_detail, name="alert_detail"),
    path("alerts/feed/", views_alerts.alert_feed, name="alert_feed"),
    path("alerts/feed/<str:language>/", views_alerts.alert_feed, name="alert_feed_in"),
]
