from django.urls import path

from . import public_views

app_name = "mail_public"
urlpatterns = [
    path("", public_views.request_form, name="request"),
    path("reversal/", public_views.reversal_form, name="reversal"),
    path("guide/", public_views.guide, name="guide"),
]
