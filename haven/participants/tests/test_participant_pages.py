import pytest
from django.urls import reverse

from haven.core.models import AuditEntry
from haven.core.tests.test_audit_sweep import cookie_messages
from haven.participants import codes
from haven.participants.models import Participant

FIND = reverse("participants:find")


def detail_url(participant):
    return reverse("participants:detail", args=[participant.pk])


def test_card_code_finds_the_participant_and_stays_out_of_the_url(login, sam, participant):
    response = login(sam).post(FIND, {"q": codes.format_code(participant.card_code).lower()})
    assert response.status_code == 302
    assert response.url == detail_url(participant)
    assert participant.card_code not in response.url


def test_a_mistyped_card_code_is_called_a_typo(login, sam):
    code = "ABCDEF" + codes.check_character("ABCDEF")
    Participant.objects.create(card_code=code)
    swapped = "ABDCEF" + code[-1]
    response = login(sam).post(FIND, {"q": swapped})
    assert response.status_code == 200
    assert "has a typo" in response.content.decode()


def test_alias_and_uic_find_matches(login, sam, participant):
    participant.uic = "MA051988"
    participant.save()
    client = login(sam)
    by_alias = client.post(FIND, {"q": "sun"}).content.decode()
    assert participant.display_code in by_alias
    by_uic = client.post(FIND, {"q": "ma051988"}).content.decode()
    assert participant.display_code in by_uic


def test_nothing_found_says_so(login, sam, participant):
    response = login(sam).post(FIND, {"q": "Nobody here"})
    assert "Nobody matches" in response.content.decode()


def test_merged_duplicates_are_not_listed_twice(login, sam, sue, participant):
    from haven.participants.actions import do_merge_participants

    duplicate = Participant.objects.create(alias="Sunny")
    do_merge_participants(duplicate=duplicate, keeper=participant, by=sue)
    page = login(sam).post(FIND, {"q": "sunny"}).content.decode()
    assert participant.display_code in page
    assert duplicate.display_code not in page


def test_enrolling_needs_no_name_and_makes_a_card(login, sam, downtown):
    response = login(sam).post(
        reverse("participants:enroll"),
        {
            "alias": "Bird",
            "year_of_birth": "1990",
            "zip_code": "85281",
            "uic-mother_first_name": "Lucia",
            "uic-birth_date": "1990-03-04",
        },
    )
    participant = Participant.objects.get()
    assert response.url == reverse("participants:card", args=[participant.pk])
    assert participant.uic == "LU041990"
    assert participant.enrolled_site == downtown
    assert codes.is_valid(participant.card_code)
    assert AuditEntry.objects.filter(action="create", participant=participant).exists()


def test_an_empty_enrolment_is_allowed(login, sam):
    response = login(sam).post(reverse("participants:enroll"), {})
    assert response.status_code == 302
    assert Participant.objects.count() == 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("zip_code", "8528", "five-digit ZIP"),
        ("year_of_birth", "2999", "less than or equal to"),
        ("uic-birth_date", "2999-01-01", "future"),
    ],
)
def test_bad_profile_input_is_refused_and_nothing_saved(login, sam, field, value, message):
    data = {field: value}
    if field.startswith("uic-"):
        data["uic-mother_first_name"] = "Ana"
    response = login(sam).post(reverse("participants:enroll"), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Participant.objects.count() == 0


def test_viewing_a_record_is_audited_without_identifiers_in_the_log(login, sam, participant):
    login(sam).get(detail_url(participant))
    entry = AuditEntry.objects.get(action="view")
    assert entry.user == sam
    assert entry.participant == participant
    assert entry.page == "participant timeline"
    assert participant.card_code not in str(entry.detail)


def test_printing_a_card_is_audited_and_has_a_qr_code(login, sam, participant):
    response = login(sam).get(reverse("participants:card", args=[participant.pk]))
    content = response.content.decode()
    assert "<svg" in content
    assert participant.display_code in content
    assert AuditEntry.objects.filter(action="view", page="printable card").count() == 1


def test_timeline_shows_contacts_and_supply_totals(login, sam, downtown, participant, catalog):
    import uuid

    from haven.outreach.actions import EncounterData, do_record_encounter

    for quantity in (10, 20):
        do_record_encounter(
            EncounterData(
                client_uuid=uuid.uuid4(),
                site=downtown,
                contact_type="fixed",
                participant=participant,
                supplies={catalog["syringes"]: quantity},
            ),
            staff=sam,
        )
    content = login(sam).get(detail_url(participant)).content.decode()
    assert content.count("× Syringes 1cc") == 2
    assert "<td>Syringes 1cc</td><td>30</td>" in content


def test_supervisor_links_duplicates_keeping_both_histories(login, sue, participant):
    duplicate = Participant.objects.create(alias="Sunny 2")
    client = login(sue)
    data = {"duplicate_code": duplicate.card_code, "keeper_code": participant.card_code}
    preview = client.post(reverse("participants:merge"), data)
    assert "Check before linking" in preview.content.decode()
    duplicate.refresh_from_db()
    assert duplicate.merged_into is None
    response = client.post(reverse("participants:merge"), {**data, "confirm": "1"})
    assert response.url == detail_url(participant)
    duplicate.refresh_from_db()
    assert duplicate.merged_into == participant
    assert Participant.objects.count() == 2
    merges = AuditEntry.objects.filter(action="merge", user=sue)
    assert {entry.participant for entry in merges} == {participant, duplicate}
    # The duplicate's page leads to the kept record.
    assert client.get(detail_url(duplicate)).url == detail_url(participant)


def test_a_record_cannot_be_merged_into_itself(login, sue, participant):
    code = participant.card_code
    response = login(sue).post(
        reverse("participants:merge"),
        {"duplicate_code": code, "keeper_code": code, "confirm": "1"},
    )
    assert "same participant" in response.content.decode()
    participant.refresh_from_db()
    assert participant.merged_into is None


def test_merge_refuses_mistyped_codes(login, sue, participant):
    response = login(sue).post(
        reverse("participants:merge"), {"duplicate_code": "ABCD-EFG", "keeper_code": "x"}
    )
    assert response.status_code == 400
    assert "card code" in response.content.decode()


def test_editing_a_profile_is_audited_by_field_name_only(login, sam, participant):
    response = login(sam).post(
        reverse("participants:edit", args=[participant.pk]),
        {"alias": "Sunshine", "year_of_birth": "1988"},
    )
    assert response.status_code == 302
    participant.refresh_from_db()
    assert participant.alias == "Sunshine"
    entry = AuditEntry.objects.get(action="update", participant=participant)
    assert "alias" in entry.detail["fields"]
    assert "Sunshine" not in str(entry.detail)


def test_messages_name_no_participant(login, sue, participant):
    """Messages wait for the next page in a cookie, signed but not encrypted, which
    outlives the page (no browser keeps that) and travels in every request's headers."""
    duplicate = Participant.objects.create(alias="Sunny 2")
    client = login(sue)
    data = {"duplicate_code": duplicate.card_code, "keeper_code": participant.card_code}
    for response in (
        client.post(reverse("participants:merge"), {**data, "confirm": "1"}),
        client.get(detail_url(duplicate)),
    ):
        assert response.status_code == 302
        waiting = " ".join(cookie_messages(response))
        assert waiting
        for person in (participant, duplicate):
            for text in (person.card_code, person.display_code, person.alias):
                assert text not in waiting
    shown = client.get(detail_url(participant)).content.decode()
    assert "The two records are now linked; both histories are kept." in shown
    assert "The record you opened was linked to this one as a duplicate." in shown


def test_a_long_timeline_comes_a_page_at_a_time_newest_first(
    login, sam, downtown, participant, catalog
):
    import datetime
    import re
    import uuid

    from django.utils import timezone

    from haven.outreach.actions import EncounterData, do_record_encounters
    from haven.participants.views import TIMELINE_PAGE_SIZE

    start = timezone.now() - datetime.timedelta(days=200)
    count = TIMELINE_PAGE_SIZE + 3
    do_record_encounters(
        [
            EncounterData(
                client_uuid=uuid.uuid4(),
                site=downtown,
                contact_type="fixed",
                participant=participant,
                occurred_at=start + datetime.timedelta(days=day),
                supplies={catalog["syringes"]: 1},
            )
            for day in range(count)
        ],
        staff=sam,
    )
    client = login(sam)
    first = client.get(detail_url(participant)).content.decode()
    assert first.count("× Syringes 1cc") == TIMELINE_PAGE_SIZE
    newest = (start + datetime.timedelta(days=count - 1)).astimezone(
        timezone.get_current_timezone()
    )
    assert newest.strftime("%Y-%m-%d") in first
    assert f'reversed start="{count}"' in first
    assert f"Contacts 1 to {TIMELINE_PAGE_SIZE} of {count}, newest first." in first
    # The totals are of every contact, whichever page is shown.
    assert f"<td>Syringes 1cc</td><td>{count}</td>" in first
    [older] = re.findall(r'href="(\?page=2#contacts)"', first)
    assert "Newer contacts" not in first

    second = client.get(detail_url(participant) + older).content.decode()
    assert second.count("× Syringes 1cc") == 3
    assert 'reversed start="3"' in second
    assert start.astimezone(timezone.get_current_timezone()).strftime("%Y-%m-%d") in second
    assert "Newer contacts" in second and "Older contacts" not in second
    # Each page is a read of the record, audited as such.
    assert AuditEntry.objects.filter(action="view", page="participant timeline").count() == 2
    # A page asked for that does not exist shows the last one, not an error.
    assert client.get(detail_url(participant) + "?page=99").status_code == 200
