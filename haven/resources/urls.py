# Participant pages are addressed by database id in the path; no participant
# identifier ever travels in a query string.
from django.urls import path

from . import views

app_name = "resources"
urlpatterns = [
    path("", views.directory, name="directory"),
    path("new/", views.edit, name="new"),
    path("stale/", views.stale, name="stale"),
    path("<int:resource_id>/", views.detail, name="detail"),
    path("<int:resource_id>/edit/", views.edit, name="edit"),
    path("<int:resource_id>/verify/", views.verify, name="verify"),
    path("import/", views.import_upload, name="import"),
    path("import/<int:batch_id>/", views.import_preview, name="import_preview"),
    path("import/<int:batch_id>/progress", views.import_progress, name="import_progress"),
    path("export.csv", views.export, name="export"),
    path("referrals/", views.follow_ups, name="follow_ups"),
    path("referrals/new/", views.refer_offline, name="refer_offline"),
    path("referrals/<int:referral_id>/", views.referral_detail, name="referral"),
    path(
        "participant/<int:participant_id>/",
        views.search_for_participant,
        name="search_for_participant",
    ),
    path(
        "participant/<int:participant_id>/refer/<int:resource_id>/",
        views.refer,
        name="refer",
    ),
    path(
        "participant/<int:participant_id>/guides/<int:guide_id>/",
        views.guide_progress,
        name="guide_progress",
    ),
    path("guides/", views.guides, name="guides"),
    path("guides/new/", views.guide_edit, name="guide_new"),
    path("guides/<int:guide_id>/", views.guide_detail, name="guide"),
    path("guides/<int:guide_id>/edit/", views.guide_edit, name="guide_edit"),
    path("brochure/", views.brochure_form, name="brochure"),
]
