# Participant pages are addressed by database id in the path only.
from django.urls import path

from . import views

app_name = "consents"
urlpatterns = [
    path("texts/", views.texts, name="texts"),
    path("participant/<int:participant_id>/", views.participant_consents, name="participant"),
    path("participant/<int:participant_id>/disclosures/", views.accounting, name="accounting"),
    path("participant/<int:participant_id>/summary/", views.participant_summary, name="summary"),
]
