import datetime
import json
import threading
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.db import OperationalError, connection
from django.utils import timezone

from haven.core.models import AuditEntry
from haven.outreach.actions import (
    EncounterConflict,
    EncounterData,
    do_edit_encounter,
    do_record_encounter,
)
from haven.outreach.models import Encounter, EncounterRevision, EncounterSupply
from haven.participants.actions import do_merge_participants
from haven.participants.models import Participant


def contact(site, participant=None, **overrides):
    values = {
        "client_uuid": uuid.uuid4(),
        "site": site,
        "contact_type": "fixed",
        "participant": participant,
        "anonymous_people": 0 if participant else 2,
    }
    values.update(overrides)
    return EncounterData(**values)


def test_contact_with_supplies_and_services_is_stored(sam, downtown, participant, catalog):
    data = contact(
        downtown,
        participant,
        supplies={catalog["naloxone"]: 2, catalog["syringes"]: 30},
        services=[catalog["support"]],
        secondary_people=3,
        note="Asked about detox.",
    )
    encounter, created = do_record_encounter(data, staff=sam)
    assert created
    assert encounter.staff == sam
    assert encounter.people_served == 1
    assert {(line.item.name, line.quantity) for line in encounter.supplies.all()} == {
        ("Naloxone nasal spray", 2),
        ("Syringes 1cc", 30),
    }
    assert list(encounter.services.all()) == [catalog["support"]]
    assert AuditEntry.objects.filter(
        action="create", object_type="outreach.encounter", participant=participant
    ).exists()


def test_same_uuid_twice_is_stored_once_and_answers_the_same(sam, downtown, participant, catalog):
    data = contact(downtown, participant, supplies={catalog["syringes"]: 10})
    first, created_first = do_record_encounter(data, staff=sam)
    replay = contact(
        downtown, participant, client_uuid=data.client_uuid, supplies={catalog["syringes"]: 10}
    )
    replay.occurred_at = data.occurred_at
    second, created_second = do_record_encounter(replay, staff=sam)
    assert created_first and not created_second
    assert second.pk == first.pk
    assert Encounter.objects.count() == 1
    assert EncounterSupply.objects.count() == 1


def test_same_uuid_with_different_details_is_a_conflict(sam, downtown, participant, catalog):
    data = contact(downtown, participant, supplies={catalog["syringes"]: 10})
    do_record_encounter(data, staff=sam)
    clash = contact(
        downtown,
        participant,
        client_uuid=data.client_uuid,
        supplies={catalog["syringes"]: 99},
        occurred_at=data.occurred_at,
    )
    with pytest.raises(EncounterConflict, match="different details"):
        do_record_encounter(clash, staff=sam)
    assert EncounterSupply.objects.get().quantity == 10


def test_a_contact_sent_without_a_time_may_come_again_with_the_phones_time(
    sam, downtown, participant, catalog
):
    # The quick-log form posts with no time; if its answer is lost, the
    # phone's outbox sends the same contact with the time it was saved.
    data = contact(downtown, participant, supplies={catalog["syringes"]: 10})
    first, _ = do_record_encounter(data, staff=sam)
    for when in (None, first.occurred_at - datetime.timedelta(seconds=20)):
        resent = contact(
            downtown,
            participant,
            client_uuid=data.client_uuid,
            occurred_at=when,
            supplies={catalog["syringes"]: 10},
        )
        assert do_record_encounter(resent, staff=sam) == (first, False)
    changed = contact(
        downtown,
        participant,
        client_uuid=data.client_uuid,
        occurred_at=first.occurred_at,
        supplies={catalog["syringes"]: 11},
    )
    with pytest.raises(EncounterConflict):
        do_record_encounter(changed, staff=sam)


def test_a_contact_sent_with_a_time_is_not_the_same_contact_at_another_time(
    sam, downtown, participant
):
    when = timezone.now() - datetime.timedelta(hours=2)
    data = contact(downtown, participant, occurred_at=when)
    do_record_encounter(data, staff=sam)
    moved = contact(
        downtown,
        participant,
        client_uuid=data.client_uuid,
        occurred_at=when + datetime.timedelta(hours=1),
    )
    with pytest.raises(EncounterConflict):
        do_record_encounter(moved, staff=sam)


@pytest.mark.django_db(transaction=True)
def test_concurrent_replays_store_one_contact(sam, downtown, participant):
    client_uuid = uuid.uuid4()
    when = timezone.now()
    results, errors = [], []

    def submit():
        try:
            data = contact(downtown, participant, client_uuid=client_uuid, occurred_at=when)
            results.append(do_record_encounter(data, staff=sam)[1])
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(results) == [False, False, False, True]
    assert Encounter.objects.filter(client_uuid=client_uuid).count() == 1


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"occurred_at": timezone.now() + datetime.timedelta(days=1)}, "occurred_at", "future"),
        ({"contact_type": "teleport"}, "contact_type", "contact type"),
        ({"participant": None, "anonymous_people": 0}, "participant", "anonymous"),
        ({"anonymous_people": 500, "participant": None}, "anonymous_people", "between 1 and 200"),
        ({"secondary_people": -1}, "secondary_people", "between 0 and 200"),
        ({"note": "x" * 4001}, "note", "at most 4000"),
    ],
)
def test_bad_input_is_refused_with_the_field_named(
    sam, downtown, participant, overrides, field, message
):
    data = contact(downtown, **{"participant": participant, **overrides})
    with pytest.raises(ValidationError) as error:
        do_record_encounter(data, staff=sam)
    assert message in " ".join(error.value.message_dict[field])
    assert Encounter.objects.count() == 0


def test_absurd_and_retired_supplies_are_refused_and_nothing_is_saved(
    sam, downtown, participant, catalog
):
    data = contact(downtown, participant, supplies={catalog["naloxone"]: 11, catalog["retired"]: 1})
    with pytest.raises(ValidationError) as error:
        do_record_encounter(data, staff=sam)
    messages = error.value.message_dict["supplies"]
    assert any("11 is more than 10" in message for message in messages)
    assert any("Old pipes is no longer handed out" in message for message in messages)
    assert Encounter.objects.count() == 0
    assert EncounterSupply.objects.count() == 0


def test_specialist_cannot_log_at_a_site_they_do_not_work_at(sam, eastside, participant):
    with pytest.raises(ValidationError) as error:
        do_record_encounter(contact(eastside, participant), staff=sam)
    assert "not assigned to Eastside" in error.value.message_dict["site"][0]


def test_contact_with_a_merged_record_goes_to_the_kept_record(sam, sue, downtown, participant):
    duplicate = Participant.objects.create(alias="Sunny again")
    do_merge_participants(duplicate=duplicate, keeper=participant, by=sue)
    encounter, _ = do_record_encounter(contact(downtown, duplicate), staff=sam)
    assert encounter.participant == participant


def test_edit_keeps_the_previous_version(sam, downtown, participant, catalog):
    data = contact(downtown, participant, supplies={catalog["syringes"]: 10}, note="First note")
    encounter, _ = do_record_encounter(data, staff=sam)
    edit = contact(downtown, participant, supplies={catalog["syringes"]: 20}, note="Fixed note")
    edit.occurred_at = encounter.occurred_at
    do_edit_encounter(encounter, edit, editor=sam)
    encounter.refresh_from_db()
    assert encounter.note == "Fixed note"
    assert encounter.supplies.get().quantity == 20
    revision = EncounterRevision.objects.get(encounter=encounter)
    before = json.loads(revision.previous)
    assert before["note"] == "First note"
    assert before["supplies"] == {str(catalog["syringes"].pk): 10}
    update = AuditEntry.objects.get(action="update", object_type="outreach.encounter")
    assert update.detail["fields"] == ["note", "supplies"]
    # The revision holds the note, so it is encrypted at rest too.
    with connection.cursor() as cursor:
        cursor.execute("SELECT previous FROM outreach_encounterrevision")
        assert "First note" not in cursor.fetchone()[0]


def test_a_bad_edit_changes_nothing(sam, downtown, participant):
    encounter, _ = do_record_encounter(contact(downtown, participant, note="Keep"), staff=sam)
    bad = contact(downtown, participant, note="y" * 5000)
    with pytest.raises(ValidationError):
        do_edit_encounter(encounter, bad, editor=sam)
    encounter.refresh_from_db()
    assert encounter.note == "Keep"
    assert EncounterRevision.objects.count() == 0


def test_a_save_the_database_gives_up_on_half_way_leaves_nothing(
    sam, downtown, participant, catalog, monkeypatch
):
    """Under overload a write can fail late (a lock timeout, "database is locked"):
    the contact, its lines, its stock movements and its counts go, or none does."""
    from haven.outreach import actions
    from haven.reports.models import DailyActivity, DailySupply
    from haven.supplies.actions import do_receive_stock
    from haven.supplies.models import StockBalance, StockLocation, StockMovement

    bag = StockLocation.objects.create(name="Sam's bag", kind="bag", site=downtown, holder=sam)
    sam.draw_from = bag
    sam.save()
    do_receive_stock(location=bag, item=catalog["naloxone"], quantity=5, by=sam)
    counted = actions.summaries.contacts_added

    def counted_then_overloaded(added):
        counted(added)
        raise OperationalError("canceling statement due to lock timeout")

    monkeypatch.setattr(actions.summaries, "contacts_added", counted_then_overloaded)
    data = contact(
        downtown, participant, supplies={catalog["naloxone"]: 2}, services=[catalog["support"]]
    )
    with pytest.raises(OperationalError):
        do_record_encounter(data, staff=sam)
    assert Encounter.objects.count() == 0
    assert EncounterSupply.objects.count() == 0
    assert Encounter.services.through.objects.count() == 0
    assert StockMovement.objects.filter(kind="distribute").count() == 0
    assert StockBalance.objects.get(location=bag).quantity == 5
    assert DailyActivity.objects.count() == DailySupply.objects.count() == 0
    assert not AuditEntry.objects.filter(object_type="outreach.encounter").exists()
