"""The audit viewer and its exports: names not ids, filters an auditor needs, admins only."""

import csv
import datetime
import io
import re
import uuid
from contextlib import contextmanager
from unittest import mock
from urllib.parse import unquote_plus

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from haven.core import audit
from haven.core.models import AuditEntry
from haven.core.tasks import verify_audit_log
from haven.outreach.actions import EncounterData, do_record_encounter
from haven.participants.models import Participant

NOT_ADMINS = ["specialist", "other_site_specialist", "supervisor", "manager", "analyst"]
PHOENIX = timezone.get_fixed_timezone(-7 * 60)


@contextmanager
def written_at(year, month, day, hour=12):
    """Entries take their time when appended; this is when they were appended."""
    when = datetime.datetime(year, month, day, hour, tzinfo=PHOENIX)
    with mock.patch("django.utils.timezone.now", return_value=when):
        yield


@pytest.fixture
def contact(sam, downtown, participant):
    data = EncounterData(
        client_uuid=uuid.uuid4(),
        site=downtown,
        contact_type="fixed",
        participant=participant,
        occurred_at=datetime.datetime(2026, 11, 3, 10, tzinfo=PHOENIX),
        note="Private note",
    )
    return do_record_encounter(data, staff=sam)[0]


@pytest.fixture
def other_participant(sam, downtown):
    return Participant.objects.create(alias="Rain", created_by=sam, enrolled_site=downtown)


def last_entry_id():
    return AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0


def rows_of_csv(response):
    text = response.content.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_entries_show_names_not_ids(login, adam, sam, sue, downtown, participant, contact):
    audit.record(sam, AuditEntry.Action.VIEW, participant, page="participant timeline")
    audit.record(sue, AuditEntry.Action.UPDATE, downtown, fields=["name"])
    audit.record(sue, AuditEntry.Action.UPDATE, sam, fields=["role"])
    page = login(adam).get(reverse("core:audit_log"))
    content = page.content.decode()
    assert "contact 2026-11-03 at Downtown" in content
    assert f"participant {participant.display_code}" in content
    assert '">Downtown</td>' in content
    assert '">sam</td>' in content and '">sue</td>' in content
    assert "participant timeline" in content
    assert "Private note" not in content
    assert participant.alias not in content


def test_a_record_of_a_kind_without_a_name_shows_its_kind_and_id(login, adam, sam, catalog):
    audit.record(sam, AuditEntry.Action.UPDATE, catalog["naloxone"], fields=["name"])
    content = login(adam).get(reverse("core:audit_log")).content.decode()
    assert f"item {catalog['naloxone'].pk}" in content


def test_the_viewer_reads_names_in_a_fixed_number_of_queries(
    login, adam, sam, sue, downtown, participant, contact, django_assert_num_queries
):
    client = login(adam)

    def write(times):
        for _ in range(times):
            audit.record(sam, AuditEntry.Action.VIEW, participant, page="participant timeline")
            audit.record(sue, AuditEntry.Action.VIEW, contact, participant=participant)
            audit.record(sue, AuditEntry.Action.UPDATE, downtown, fields=["name"])
            audit.record(sue, AuditEntry.Action.UPDATE, sam, fields=["role"])

    write(1)
    # The session with its user and whether the user has a second factor (one
    # statement), the filter choices (users, record types), the count, the page of entries,
    # then one query per kind of named record (four here), then the reads of
    # the participants the page names, written at once (the log's end, one insert).
    with django_assert_num_queries(11):
        assert client.get(reverse("core:audit_log")).status_code == 200
    write(10)
    with django_assert_num_queries(11):
        assert client.get(reverse("core:audit_log")).status_code == 200


def test_filter_by_participant_card_code_as_people_type_it(
    login, adam, sam, participant, other_participant
):
    audit.record(sam, AuditEntry.Action.VIEW, participant, page="participant timeline")
    audit.record(sam, AuditEntry.Action.VIEW, other_participant, page="participant timeline")
    typed = participant.display_code.lower().replace("-", " ")
    page = login(adam).post(reverse("core:audit_log"), {"participant": typed}, follow=True)
    assert [entry.participant for entry in page.context["page"].object_list] == [participant]


def test_filter_by_card_code_includes_records_linked_as_duplicates(
    login, adam, sam, sue, participant, other_participant
):
    from haven.participants.actions import do_merge_participants

    audit.record(sam, AuditEntry.Action.VIEW, other_participant, page="read as the duplicate")
    do_merge_participants(duplicate=other_participant, keeper=participant, by=sue)
    audit.record(sam, AuditEntry.Action.VIEW, participant, page="read as the kept record")
    for code in (participant.card_code, other_participant.card_code):
        page = login(adam).post(
            reverse("core:audit_log"),
            # Sam's reads: the admin's own look-ups by participant are in the log too.
            {"participant": code, "action": "view", "user": "sam"},
            follow=True,
        )
        assert [entry.page for entry in page.context["page"].object_list] == [
            "read as the kept record",
            "read as the duplicate",
        ]


def test_a_card_code_of_no_one_is_refused_with_what_is_wrong(login, adam, sam, participant):
    from haven.participants import codes

    audit.record(sam, AuditEntry.Action.VIEW, participant, page="participant timeline")
    body = "222222" if participant.card_code[:6] != "222222" else "333333"
    unused = body + codes.check_character(body)
    page = login(adam).post(reverse("core:audit_log"), {"participant": unused})
    assert page.status_code == 400
    assert page.context["page"] is None
    assert "No participant has this card code." in page.content.decode()


def test_a_card_code_never_goes_in_an_address(login, adam, sam, participant):
    """Typed card codes are posted; the page, its pages and its exports carry the record's id."""
    for number in range(60):
        audit.record(sam, AuditEntry.Action.VIEW, participant, page=f"read {number}")
    client = login(adam)
    posted = client.post(reverse("core:audit_log"), {"participant": participant.display_code})
    assert posted.status_code == 302
    assert participant.card_code not in posted.url
    assert f"participant_id={participant.pk}" in posted.url
    page = client.get(posted.url)
    assert page.status_code == 200
    assert len(page.context["page"].object_list) == 50
    links = re.findall(r'href="([^"]*)"', page.content.decode())
    filtered = [link for link in links if "participant_id=" in link]
    assert len(filtered) >= 3  # both exports and the next page
    for link in links:
        for code in (participant.card_code, participant.display_code):
            assert code.lower().replace("-", "") not in unquote_plus(link).lower().replace("-", "")
    assert 'method="post"' in page.content.decode()


def test_an_old_link_with_a_card_code_is_sent_to_the_address_by_id(login, adam, participant):
    for url in (reverse("core:audit_log"), reverse("core:audit_log_export", args=["csv"])):
        response = login(adam).get(url, {"participant": participant.card_code, "action": "view"})
        assert response.status_code == 302
        assert response.url.startswith(url)
        assert participant.card_code not in response.url
        assert f"participant_id={participant.pk}" in response.url


def test_an_unknown_participant_id_is_refused(login, adam):
    response = login(adam).get(reverse("core:audit_log"), {"participant_id": "999999"})
    assert response.status_code == 400
    response = login(adam).get(
        reverse("core:audit_log_export", args=["csv"]), {"participant_id": "x"}
    )
    assert response.status_code == 400


def test_a_mistyped_card_code_is_refused_with_what_is_wrong(login, adam, participant):
    code = participant.card_code
    swapped = code[1] + code[0] + code[2:] if code[0] != code[1] else code[:-1] + "2"
    response = login(adam).post(reverse("core:audit_log"), {"participant": swapped})
    assert response.status_code == 400
    assert "not a valid card code" in response.content.decode()


def test_filter_by_staff_member_and_period_in_the_programs_days(login, adam, sam, sue, participant):
    with written_at(2026, 11, 2, hour=23):
        audit.record(sam, AuditEntry.Action.VIEW, participant, page="before")
    with written_at(2026, 11, 3, hour=0):
        audit.record(sam, AuditEntry.Action.VIEW, participant, page="first day")
    with written_at(2026, 11, 4, hour=23):
        audit.record(sam, AuditEntry.Action.VIEW, participant, page="last day")
        audit.record(sue, AuditEntry.Action.VIEW, participant, page="someone else")
    with written_at(2026, 11, 5, hour=0):
        audit.record(sam, AuditEntry.Action.VIEW, participant, page="after")
    page = login(adam).get(
        reverse("core:audit_log"), {"user": "sam", "since": "2026-11-03", "until": "2026-11-04"}
    )
    assert [entry.page for entry in page.context["page"].object_list] == ["last day", "first day"]


def test_a_period_that_ends_before_it_starts_is_refused(login, adam):
    response = login(adam).get(
        reverse("core:audit_log"), {"since": "2026-11-04", "until": "2026-11-03"}
    )
    assert response.status_code == 400
    assert "before its start" in response.content.decode()


def test_export_who_read_a_participants_record(
    login, adam, sam, sue, participant, other_participant, contact
):
    audit.record(sam, AuditEntry.Action.VIEW, participant, page="participant timeline")
    audit.record(sue, AuditEntry.Action.VIEW, contact, participant=participant, page="contact")
    audit.record(sue, AuditEntry.Action.VIEW, other_participant, page="participant timeline")
    response = login(adam).get(
        reverse("core:audit_log_export", args=["csv"]),
        {"participant": participant.display_code, "action": "view"},
        follow=True,
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = rows_of_csv(response)
    assert [(row["Who"], row["Record"], row["Page"]) for row in rows] == [
        ("sue", "contact 2026-11-03 at Downtown", "contact"),
        ("sam", f"participant {participant.display_code}", "participant timeline"),
    ]
    assert {row["Participant card code"] for row in rows} == {participant.display_code}
    assert all(len(row["Entry hash"]) == 64 for row in rows)


def test_export_everything_a_staff_member_read_in_a_period(login, adam, sam, sue, participant):
    with written_at(2026, 10, 31):
        audit.record(sam, AuditEntry.Action.VIEW, participant, page="too early")
    with written_at(2026, 11, 3):
        audit.record(sam, AuditEntry.Action.VIEW, participant, page="participant card")
        audit.record(sam, AuditEntry.Action.UPDATE, participant, fields=["alias"])
        audit.record(sue, AuditEntry.Action.VIEW, participant, page="not sam")
    response = login(adam).get(
        reverse("core:audit_log_export", args=["xlsx"]),
        {"user": "sam", "action": "view", "since": "2026-11-01", "until": "2026-11-30"},
    )
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    header, *rows = list(sheet.values)
    assert header[:5] == ("Sequence", "When", "Who", "Action", "Record")
    assert [(row[2], row[3], row[8]) for row in rows] == [("sam", "viewed", "participant card")]
    assert rows[0][1] == "2026-11-03 12:00:00"


def test_export_keeps_text_that_looks_like_a_formula_as_text(login, adam, sam):
    audit.record(sam, AuditEntry.Action.VIEW, None, page='=HYPERLINK("http://x")')
    response = login(adam).get(reverse("core:audit_log_export", args=["csv"]))
    [row] = [row for row in rows_of_csv(response) if row["Action"] == "viewed"]
    assert row["Page"] == '\'=HYPERLINK("http://x")'


def test_an_export_is_itself_in_the_audit_log(login, adam, sam, participant):
    audit.record(sam, AuditEntry.Action.VIEW, participant, page="participant timeline")
    login(adam).get(
        reverse("core:audit_log_export", args=["csv"]),
        {"participant": participant.card_code, "user": "sam", "since": "2026-01-01"},
        follow=True,
    )
    export = AuditEntry.objects.get(action=AuditEntry.Action.EXPORT)
    assert export.user == adam
    assert export.participant == participant
    assert export.page == "audit log csv"
    assert export.detail == {"filters": {"user_id": sam.pk, "since": "2026-01-01"}}


def test_a_bad_filter_exports_nothing(login, adam):
    response = login(adam).get(
        reverse("core:audit_log_export", args=["csv"]), {"since": "yesterday"}
    )
    assert response.status_code == 400
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT).exists()


def test_an_unknown_file_format_is_not_found(login, adam):
    response = login(adam).get(reverse("core:audit_log_export", args=["pdf"]))
    assert response.status_code == 404


@pytest.mark.parametrize("role", NOT_ADMINS)
def test_only_admins_read_or_export_the_audit_log(role, personas, login, participant):
    audit.record(personas["specialist"], AuditEntry.Action.VIEW, participant, page="timeline")
    client = login(personas[role])
    for url in (
        reverse("core:audit_log"),
        reverse("core:audit_log_export", args=["csv"]),
        reverse("core:audit_log_export", args=["xlsx"]),
    ):
        response = client.get(url)
        assert response.status_code == 403, url
        assert participant.display_code not in response.content.decode()
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT).exists()


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get(reverse("core:audit_log_export", args=["csv"]))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_the_page_says_when_the_log_was_last_checked_and_what_was_found(login, adam, settings):
    client = login(adam)
    assert b"has not been checked yet" in client.get(reverse("core:audit_log")).content
    verify_audit_log.call()
    page = client.get(reverse("core:audit_log")).content.decode()
    assert "is intact and matches every kept checkpoint" in page
    with settings.HAVEN_AUDIT_CHECKPOINT_FILE.open("a") as kept:
        kept.write('{"checked_at": "2026-12-05T10:00:00+00:00", "broken": "entry id 7: changed"}\n')
    page = client.get(reverse("core:audit_log")).content.decode()
    assert "has been tampered with or damaged" in page and "entry id 7: changed" in page


def test_looking_a_participant_up_in_the_log_is_itself_in_the_log(
    login, adam, sam, participant, contact
):
    """The log filtered by a participant is their history (when and where they were
    served): an admin who reads it has read them, so the page names who looked, as an
    export does, and another auditor can see it."""
    client = login(adam)
    address = client.post(reverse("core:audit_log"), {"participant": participant.card_code}).url
    before = last_entry_id()
    client.get(address)
    client.get(address + "&page=2")
    looked = AuditEntry.objects.filter(pk__gt=before, user=adam, action=AuditEntry.Action.VIEW)
    assert [(entry.participant, entry.page) for entry in looked] == [
        (participant, "audit log"),
        (participant, "audit log"),
    ]
    # Refused for another filter, the page still names them (their card code, by id).
    before = last_entry_id()
    refused = client.get(address + "&since=soon")
    assert refused.status_code == 400
    assert participant.card_code in refused.content.decode()
    [looked] = AuditEntry.objects.filter(pk__gt=before)
    assert (looked.user, looked.participant, looked.page) == (adam, participant, "audit log")


def test_every_participant_a_page_of_the_log_names_is_read_whatever_the_filters(
    login, adam, sam, sue, participant, other_participant
):
    """Filtered by a staff member, a period or nothing, each entry still names its
    participant by card code, with when, where and by whom they were read: the page
    is a read of each one, as the search results are (an admin could otherwise page
    through everyone's history, or one specialist's caseload, unseen)."""
    audit.record(sam, AuditEntry.Action.VIEW, participant, page="participant timeline")
    audit.record(sue, AuditEntry.Action.VIEW, other_participant, page="participant timeline")
    client = login(adam)
    for filters, named in (
        ({}, {participant, other_participant}),
        ({"user": "sam"}, {participant}),
        ({"user": "sue", "action": "view"}, {other_participant}),
    ):
        before = last_entry_id()
        page = client.get(reverse("core:audit_log"), filters)
        assert page.status_code == 200
        looked = AuditEntry.objects.filter(pk__gt=before)
        assert {(e.user, e.action, e.page) for e in looked} == {(adam, "view", "audit log")}
        assert sorted(e.participant_id for e in looked) == sorted(p.pk for p in named)
        for person in named:
            assert person.display_code in page.content.decode()
    # A page that names nobody reads nobody.
    before = last_entry_id()
    client.get(reverse("core:audit_log"), {"user": "adam", "action": "login"})
    assert last_entry_id() == before


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_an_export_reads_every_participant_it_names(
    login, adam, sam, participant, other_participant, file_format
):
    audit.record(sam, AuditEntry.Action.VIEW, participant, page="participant timeline")
    audit.record(sam, AuditEntry.Action.VIEW, other_participant, page="participant timeline")
    before = last_entry_id()
    response = login(adam).get(reverse("core:audit_log_export", args=[file_format]))
    assert response.status_code == 200
    written = AuditEntry.objects.filter(pk__gt=before)
    [export] = [entry for entry in written if entry.action == AuditEntry.Action.EXPORT]
    reads = [entry for entry in written if entry.action == AuditEntry.Action.VIEW]
    assert export.participant is None  # no participant filter
    assert sorted(e.participant_id for e in reads) == sorted([participant.pk, other_participant.pk])
    assert {(e.user, e.page) for e in reads} == {(adam, f"audit log {file_format}")}


def test_no_browser_keeps_the_log_or_its_exports(login, adam, sam, participant):
    """They name participants by card code, like any page that shows one."""
    audit.record(sam, AuditEntry.Action.VIEW, participant, page="participant timeline")
    client = login(adam)
    for url in (
        reverse("core:audit_log"),
        *(reverse("core:audit_log_export", args=[kind]) for kind in ("csv", "xlsx")),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response["Cache-Control"], url
