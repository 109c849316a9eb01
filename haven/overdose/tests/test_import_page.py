"""The import page: managers upload a CSV, see a preview, then confirm."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from haven.core.models import AuditEntry
from haven.overdose.models import Area, OverdoseReport

URL = reverse("overdose:import")
HEADER = "year,incident_date,narcan_given,latitude,longitude\n"
GOOD = HEADER + "2021,2021-06-22,TRUE,33.4196,-111.8904\n2021,2021-06-23,NA,33.4297,-111.9334\n"


def csv_file(text, name="ems.csv", encoding="utf-8"):
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


def upload(client, text, source="County EMS", **kwargs):
    return client.post(URL, {"file": csv_file(text, **kwargs), "source": source})


def confirm(client, preview_response):
    return client.post(URL, {"preview": preview_response.context["preview"]})


@pytest.mark.parametrize("persona", ["sam", "olga", "sue", "ana", "adam"])
def test_only_managers_may_import(persona, personas, login):
    people = {"sam": "specialist", "olga": "other_site_specialist", "sue": "supervisor"}
    people.update({"ana": "analyst", "adam": "admin"})
    client = login(personas[people[persona]])
    assert client.get(URL).status_code == 403
    assert upload(client, GOOD).status_code == 403
    assert not OverdoseReport.objects.exists()


def test_the_reports_page_links_to_the_import_for_managers_only(login, max_manager, sue):
    assert URL in login(max_manager).get(reverse("overdose:reports")).content.decode()
    assert URL not in login(sue).get(reverse("overdose:reports")).content.decode()


def test_preview_shows_the_first_rows_and_counts_and_stores_nothing(login, max_manager):
    response = upload(login(max_manager), GOOD)
    assert response.status_code == 200
    plan = response.context["plan"]
    assert (len(plan.rows), len(plan.to_import), plan.already_there) == (2, 2, 0)
    page = response.content.decode()
    assert "Grid 33.40, -111.90" in page
    assert "Import 2 records" in page
    # The point is shown nowhere, and nothing is stored before the confirmation.
    assert "33.4196" not in page.replace(response.context["preview"], "")
    assert not OverdoseReport.objects.exists()
    assert not Area.objects.exists()


def test_confirming_imports_the_previewed_file_and_audits_it(login, max_manager):
    client = login(max_manager)
    response = confirm(client, upload(client, GOOD, name="june.csv"))
    assert response.status_code == 302
    assert response.url == reverse("overdose:reports")
    assert OverdoseReport.objects.filter(source="County EMS", reported_by="imported").count() == 2
    entry = AuditEntry.objects.get(page="overdose import")
    assert (entry.user, entry.action) == (max_manager, "create")
    assert entry.detail["source"] == "County EMS"
    assert entry.detail["filename"] == "june.csv"
    assert entry.detail["created"] == 2
    message = str(list(client.get(reverse("overdose:reports")).context["messages"])[0])
    assert message == "2 reports imported from County EMS (0 already there)."


def test_importing_the_same_file_again_adds_nothing(login, max_manager):
    client = login(max_manager)
    first = upload(client, GOOD)
    confirm(client, first)
    again = upload(client, GOOD)
    assert (len(again.context["plan"].to_import), again.context["plan"].already_there) == (0, 2)
    assert "Nothing to import" in again.content.decode()
    # A stale preview confirmed twice (a double click) adds nothing either.
    confirm(client, first)
    assert OverdoseReport.objects.count() == 2


def problems_of(response):
    assert response.status_code == 400
    assert not OverdoseReport.objects.exists()
    assert not Area.objects.exists()
    assert "preview" not in response.context
    return response.context["problems"]


def test_a_file_in_another_encoding_is_refused_naming_the_line(login, max_manager):
    text = HEADER + "2021,2021-06-22,TRUE,33.41,-111.89\n2021,2021-06-23,NA,33.42,-111.93 Méxi\n"
    problems = problems_of(upload(login(max_manager), text, encoding="cp1252"))
    assert problems == [
        "Line 3: the file is not UTF-8 text. Save it as “CSV UTF-8” "
        "(or CSV with UTF-8 encoding) and upload it again."
    ]


def test_a_file_with_a_nul_is_refused_naming_the_line(login, max_manager):
    text = HEADER + "2021,2021-06-22,TRUE,33.41,-111.89\n2021,2021-06-23,NA\x00,33.42,-111.93\n"
    problems = problems_of(upload(login(max_manager), text))
    assert problems == ["Line 3 holds a NUL character, which no field can hold; remove it."]


def test_a_file_without_the_needed_columns_is_refused(login, max_manager):
    problems = problems_of(upload(login(max_manager), "when,where\n2021-06-22,Tempe\n"))
    assert problems == [
        "Line 1: there is no date column (incident_date, date or occurred_at).",
        "Line 1: there is no place: an area column, or latitude and longitude columns.",
    ]
    assert problems_of(upload(login(max_manager), "\n")) == ["The file is empty."]


def test_bad_rows_are_refused_with_their_line_numbers(login, max_manager):
    text = (
        HEADER
        + "2021,2021-06-22,TRUE,33.41,-111.89\n"
        + "2021,2021-06-23,TRUE,133.41,-111.89\n"
        + "2099,2099-01-01,TRUE,33.41,-111.89\n"
        + "2021,2021-06-24,TRUE,north,-111.89\n"
    )
    response = upload(login(max_manager), text)
    assert problems_of(response) == [
        "Line 3: The latitude or longitude is out of range.",
        "Line 4: The date is in the future.",
        "Line 5: Give an area code, or a latitude and a longitude.",
    ]
    assert "Nothing was imported" in response.content.decode()


def test_a_tampered_or_foreign_preview_imports_nothing(login, max_manager, personas):
    client = login(max_manager)
    preview = upload(client, GOOD).context["preview"]
    response = client.post(URL, {"preview": preview[:-3] + "abc"})
    assert response.status_code == 302 and response.url == URL
    other_manager = type(max_manager).objects.create_user(username="mia", role="manager")
    assert login(other_manager).post(URL, {"preview": preview}).status_code == 302
    assert not OverdoseReport.objects.exists()


def test_a_file_too_large_is_refused(login, max_manager, monkeypatch):
    from haven.overdose.forms import ImportUploadForm

    monkeypatch.setattr(ImportUploadForm, "MAX_BYTES", 10)
    response = upload(login(max_manager), GOOD)
    assert response.status_code == 400
    assert "larger than" in str(response.context["form"].errors["file"])
