from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [
    path("", views.index, name="index"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/chart/<str:token>.svg", views.dashboard_chart, name="dashboard_chart"),
    path("<slug:slug>/", views.report, name="report"),
    path("<slug:slug>/revise/", views.revise, name="revise"),
]
