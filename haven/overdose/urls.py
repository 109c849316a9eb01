from django.urls import path

from . import views

app_name = "overdose"
urlpatterns = [
    path("reports/", views.reports, name="reports"),
    path("reports/new/", views.report_new, name="report_new"),
    path("reports/import/", views.import_records, name="import"),
    path("reports/export/odmap.csv", views.odmap_export, name="odmap_export"),
    path("reports/<int:report_id>/", views.report_detail, name="report_detail"),
    path(
        "contacts/<int:encounter_id>/report/", views.report_for_contact, name="report_for_contact"
    ),
    path("contacts/<int:encounter_id>/naloxone/", views.naloxone, name="naloxone"),
    path("naloxone/", views.naloxone_offline, name="naloxone_offline"),
    path("drug-checks/", views.drug_checks, name="drug_checks"),
    path("drug-checks/new/", views.drug_check_new, name="drug_check_new"),
    path("alerts/", views.alerts, name="alerts"),
    path("alerts/new/", views.alert_new, name="alert_new"),
    path("alerts/<int:alert_id>/", views.alert_edit, name="alert_edit"),
    path("alerts/<int:alert_id>/publish/", views.alert_publish, name="alert_publish"),
    path("alerts/<int:alert_id>/withdraw/", views.alert_withdraw, name="alert_withdraw"),
    path("areas/", views.areas, name="areas"),
    path("areas/map.svg", views.spike_map, name="spike_map"),
]
