from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse

from haven.resources import importing
from haven.resources.actions import do_import_resources, do_stage_import
from haven.resources.models import ImportBatch, ImportMapping, OpeningHours, Resource

DATA = Path(settings.BASE_DIR).parent / "shared" / "data"
HEADER = "name,street,city,state,zip,latitude,longitude,services,hours,phone\n"


def plan_for(text, mapping=None, encoding="utf-8-sig", needs=()):
    content = text.encode("utf-8") if isinstance(text, str) else text
    header = importing.read_header(importing.decode(content, encoding))
    mapping = mapping or importing.guess_mapping(header)
    return content, importing.prepare(content, encoding, mapping, needs)


def apply(user, text, **kwargs):
    content, plan = plan_for(text)
    batch = do_stage_import(
        by=user, filename="test.csv", content=content, encoding="utf-8-sig", source="test"
    )
    return do_import_resources(batch, plan, by=user, **kwargs)


GOOD = HEADER + (
    "Desert Clinic,1 Mill Ave,Tempe,AZ,85281,33.42,-111.94,buprenorphine;counseling,"
    "Mon-Fri 08:00-17:00,480-555-0100\n"
    "Night Place,2 Apache Blvd,Tempe,AZ,85281-1234,33.41,-111.92,Housing and shelter,"
    "Mon-Sun 22:00-06:00,\n"
)


def test_guessed_mapping_reads_rows_with_needs_hours_and_zip_plus_four(max_manager):
    _content, plan = plan_for(GOOD)
    assert [row.errors for row in plan.rows] == [[], []]
    first, second = plan.rows
    assert first.needs == ["buprenorphine", "counseling"]
    assert len(first.spans) == 5
    assert second.values["zip_code"] == "85281"
    assert second.needs == ["housing"]


def test_import_creates_entries_and_leaves_unknowns_unknown(max_manager):
    batch = apply(max_manager, GOOD)
    assert batch.created_count == 2
    night = Resource.objects.get(name="Night Place")
    assert night.phone == ""
    assert night.accepts_medicaid is None and night.walk_in is None
    assert OpeningHours.objects.filter(resource=night).count() == 7


@pytest.mark.parametrize(
    "row, message",
    [
        ("No Coords,1 St,Tempe,AZ,85281,north,-111.9,,,\n", "are not numbers"),
        ("Swapped,1 St,Tempe,AZ,85281,-111.9,33.4,,,\n", "swapped"),
        ("Half,1 St,Tempe,AZ,85281,33.4,,,,\n", "are not numbers"),
        ("Null Island,1 St,Tempe,AZ,85281,0,0,,,\n", "not a real place"),
        ("Bad Hours,1 St,Tempe,AZ,85281,33.4,-111.9,,Mon 09:00-09:00,\n", "same time"),
        ("Bad Need,1 St,Tempe,AZ,85281,33.4,-111.9,unicorns,,\n", 'Unknown value "unicorns"'),
        (",1 St,Tempe,AZ,85281,33.4,-111.9,,,\n", "name is empty"),
        ("Bad Zip,1 St,Tempe,AZ,ABCDE,33.4,-111.9,,,\n", "not a ZIP code"),
        ("Short Zip,1 St,Tempe,AZ,8528,33.4,-111.9,,,\n", '"8528" is not a ZIP code'),
        ("Short,1 St\n", "has 2 values"),
    ],
)
def test_bad_rows_are_reported_with_their_line(db, row, message):
    _content, plan = plan_for(HEADER + row)
    [bad] = plan.error_rows
    assert bad.line == 2
    assert message in " ".join(bad.errors)


@pytest.mark.parametrize(
    ("zip_text", "state", "expected"),
    [
        ("85281", "AZ", "85281"),
        ("85281-1234", "AZ", "85281"),
        ("852811234", "", "85281"),
        ("2134", "MA", "02134"),  # Boston, after a spreadsheet dropped the zero
        ("821341234", "MA", "82134"),
        ("21341234", "ma", "02134"),
        ("8528", "AZ", ""),  # a mistyped ZIP, not a lost zero
        ("8528", "", ""),
        ("852", "NJ", "00852"),
        ("85281-12", "AZ", ""),
        ("1234567", "AZ", ""),
    ],
)
def test_short_zip_codes_are_padded_only_where_zips_begin_with_zero(zip_text, state, expected):
    from haven.resources.matching import normal_zip

    assert normal_zip(zip_text, state) == expected


def test_a_file_with_any_error_imports_nothing(max_manager):
    with pytest.raises(ValidationError, match="1 rows have errors"):
        apply(max_manager, GOOD + "Broken,1 St,Tempe,AZ,85281,999,999,,,\n")
    assert not Resource.objects.exists()


def test_a_failure_half_way_rolls_everything_back(max_manager, monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(OpeningHours.objects, "bulk_create", fail)
    with pytest.raises(RuntimeError):
        apply(max_manager, GOOD)
    assert not Resource.objects.exists()


def test_duplicates_within_the_file_and_against_the_directory_are_found(max_manager):
    apply(max_manager, GOOD)
    again = GOOD + "DESERT CLINIC LLC,1 Mill Avenue,Tempe,AZ,85281,33.42,-111.94,,,\n"
    _content, plan = plan_for(again + "New One,3 Rural Rd,Tempe,AZ,85281,33.4,-111.9,,,\n")
    assert len(plan.existing_rows) == 2
    assert [row.duplicate_of_line for row in plan.repeated_rows] == [2]
    assert [row.values["name"] for row in plan.new_rows] == ["New One"]


def test_update_existing_fills_in_only_what_is_unknown(max_manager):
    apply(max_manager, GOOD)
    Resource.objects.filter(name="Desert Clinic").update(phone="480-555-9999")
    apply(
        max_manager,
        HEADER + "Desert Clinic,1 Mill Ave,Tempe,AZ,85281,33.42,-111.94,naloxone,,480-555-0000\n",
        update_existing=True,
    )
    clinic = Resource.objects.get(name="Desert Clinic")
    assert clinic.phone == "480-555-9999"
    assert sorted(clinic.need_codes()) == ["buprenorphine", "counseling", "naloxone"]


def test_wrong_encoding_is_refused_with_a_way_out(db):
    content = (HEADER + "Clínica,1 St,Tempe,AZ,85281,33.4,-111.9,,,\n").encode("cp1252")
    with pytest.raises(importing.ImportRejected, match=r"line 2.*Windows \(cp1252\)"):
        importing.decode(content, "utf-8-sig")
    _content, plan = plan_for(content, encoding="cp1252")
    assert plan.rows[0].values["name"] == "Clínica"


def test_a_saved_mapping_missing_columns_in_this_file_is_explained(db):
    content = b"title,where\nA,B\n"
    with pytest.raises(importing.ImportRejected, match='no column "name1"'):
        importing.prepare(content, "utf-8-sig", {"name": "name1"})
    with pytest.raises(importing.ImportRejected, match="name"):
        importing.prepare(content, "utf-8-sig", {})


def test_export_reads_back_as_the_same_directory(max_manager):
    import io

    apply(max_manager, GOOD)
    out = io.StringIO()
    importing.write_csv(
        Resource.objects.prefetch_related("offerings", "languages", "opening_hours"), out
    )
    _content, plan = plan_for(out.getvalue())
    assert not plan.error_rows
    assert len(plan.existing_rows) == 2


def test_real_samhsa_treatment_locator_imports_every_row(max_manager):
    content = (DATA / "SubstanceUseTreatment_Geocoded.csv").read_bytes()
    mapping = ImportMapping.objects.get(name="SAMHSA treatment locator (geocoded)")
    plan = importing.prepare(content, "utf-8-sig", mapping.columns, mapping.fixed_needs)
    assert len(plan.rows) == 14_034
    assert plan.error_rows == []
    batch = do_stage_import(
        by=max_manager,
        filename="samhsa.csv",
        content=content,
        encoding="utf-8-sig",
        source="SAMHSA",
    )
    do_import_resources(batch, plan, by=max_manager)
    # A handful of rows repeat an earlier one exactly; every other row is an entry.
    assert batch.created_count + batch.skipped_count == 14_034
    assert batch.created_count == Resource.objects.count() > 14_000
    boston = Resource.objects.filter(zip_code__startswith="0").first()
    assert len(boston.zip_code) == 5  # leading zeros restored
    # The locator says nothing about services, hours or phones: none are invented.
    assert not Resource.objects.exclude(phone="").exists()
    assert not OpeningHours.objects.exists()


def test_real_opioid_treatment_programs_import_as_methadone_providers(max_manager):
    content = (DATA / "OpioidTreatmentProgram_Geocoded.csv").read_bytes()
    mapping = ImportMapping.objects.get(name="SAMHSA opioid treatment programs (methadone)")
    with pytest.raises(importing.ImportRejected, match="cp1252"):
        importing.prepare(content, "utf-8-sig", mapping.columns, mapping.fixed_needs)
    plan = importing.prepare(content, "cp1252", mapping.columns, mapping.fixed_needs)
    assert len(plan.rows) == 1_831
    assert plan.error_rows == []
    batch = do_stage_import(
        by=max_manager, filename="otp.csv", content=content, encoding="cp1252", source="SAMHSA OTP"
    )
    do_import_resources(batch, plan, by=max_manager)
    assert batch.created_count + batch.skipped_count == 1_831
    methadone = Resource.objects.filter(offerings__need="methadone").count()
    assert methadone == Resource.objects.count() == batch.created_count
    assert Resource.objects.filter(name__startswith="Clínica").exists()


def import_real_file(by, name, mapping_name, encoding):
    content = (DATA / name).read_bytes()
    mapping = ImportMapping.objects.get(name=mapping_name)
    plan = importing.prepare(content, encoding, mapping.columns, mapping.fixed_needs)
    batch = do_stage_import(
        by=by, filename=name, content=content, encoding=encoding, source=mapping_name
    )
    return plan, do_import_resources(batch, plan, by=by)


def test_the_opioid_treatment_file_after_the_locator_gives_each_of_its_entries_methadone(
    max_manager,
):
    import_real_file(
        max_manager,
        "SubstanceUseTreatment_Geocoded.csv",
        "SAMHSA treatment locator (geocoded)",
        "utf-8-sig",
    )
    before = Resource.objects.count()
    plan, batch = import_real_file(
        max_manager,
        "OpioidTreatmentProgram_Geocoded.csv",
        "SAMHSA opioid treatment programs (methadone)",
        "cp1252",
    )
    matched = {row.existing_id for row in plan.existing_rows}
    assert len(matched) > 300  # the programs the locator already lists
    assert batch.updated_count == len(matched)
    assert Resource.objects.count() == before + batch.created_count
    entries_of_the_file = matched | set(
        Resource.objects.filter(source=batch.source).values_list("pk", flat=True)
    )
    without = Resource.objects.filter(pk__in=entries_of_the_file).exclude(
        offerings__need="methadone"
    )
    assert not without.exists()


def test_the_preview_says_what_will_be_added_to_which_entries(max_manager, login):
    from django.core.files.uploadedfile import SimpleUploadedFile

    apply(max_manager, GOOD)
    client = login(max_manager)
    more = HEADER + "Desert Clinic,1 Mill Ave,Tempe,AZ,85281,33.42,-111.94,naloxone,,\n"
    upload = SimpleUploadedFile("more.csv", more.encode(), content_type="text/csv")
    response = client.post(reverse("resources:import"), {"file": upload, "encoding": "utf-8-sig"})
    preview = client.get(response.url)
    page = preview.content.decode()
    assert "1 entry already in the directory will gain what this file knows" in page
    assert "Desert Clinic" in page and "Naloxone" in page
    # The box is ticked by default, so importing as offered merges.
    assert preview.context["form"]["update_existing"].value() is True


def test_upload_preview_and_confirm_through_the_pages(max_manager, login, immediate_tasks):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = login(max_manager)
    upload = SimpleUploadedFile("list.csv", GOOD.encode(), content_type="text/csv")
    response = client.post(reverse("resources:import"), {"file": upload, "encoding": "utf-8-sig"})
    assert response.status_code == 302
    preview = client.get(response.url)
    assert b"Desert Clinic" in preview.content
    assert not Resource.objects.exists()
    fields = {f"column_{name}": column for name, column in preview.context["plan"].mapping.items()}
    done = client.post(response.url, {**fields, "import": "1", "save_as": "Our list"})
    # The import runs in the background (here at once) and the page shows its result.
    assert done.status_code == 302
    assert Resource.objects.count() == 2
    assert ImportMapping.objects.filter(name="Our list").exists()
    result = client.get(done.url)
    assert result.context["batch"].status == "done"
    assert "new entries" in result.content.decode()


def test_upload_in_the_wrong_encoding_is_refused_on_the_page(max_manager, login):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("x.csv", "name\nClínica\n".encode("cp1252"))
    response = login(max_manager).post(
        reverse("resources:import"), {"file": upload, "encoding": "utf-8-sig"}
    )
    assert response.status_code == 400
    assert b"cp1252" in response.content


def test_an_upload_with_a_nul_is_refused_naming_its_line(max_manager, login):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("x.csv", b"name,city\nClinic,Tempe\nDesert\x00Clinic,Mesa\n")
    response = login(max_manager).post(
        reverse("resources:import"), {"file": upload, "encoding": "utf-8-sig"}
    )
    assert response.status_code == 400
    assert "Line 3 holds a NUL character" in response.content.decode()
    assert not ImportBatch.objects.exists()


@pytest.mark.parametrize("role", ["specialist", "supervisor", "analyst"])
def test_only_managers_and_admins_import_and_export(role, personas, login):
    client = login(personas[role])
    assert client.get(reverse("resources:import")).status_code == 403
    assert client.get(reverse("resources:export")).status_code == 403
