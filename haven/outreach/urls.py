from django.urls import path

from . import views

app_name = "outreach"
urlpatterns = [
    path("log/", views.quick_log, name="quick_log"),
    path("log/participant/<int:participant_id>/", views.quick_log, name="quick_log_for"),
    path("contacts/<int:encounter_id>/", views.saved, name="saved"),
    path("contacts/<int:encounter_id>/edit/", views.edit_encounter, name="edit"),
    path("offline/", views.offline, name="offline"),
]
