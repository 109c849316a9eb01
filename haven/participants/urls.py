# Participant pages are addressed by database id in the path only; card
# codes, UICs and aliases travel in POST bodies, never in query strings.
from django.urls import path

from . import views

app_name = "participants"
urlpatterns = [
    path("", views.find, name="find"),
    path("new/", views.enroll, name="enroll"),
    path("merge/", views.merge, name="merge"),
    path("kept/", views.kept_timeline, name="kept_timeline"),
    path("<int:participant_id>/", views.detail, name="detail"),
    path("<int:participant_id>/edit/", views.edit, name="edit"),
    path("<int:participant_id>/card/", views.card, name="card"),
]
