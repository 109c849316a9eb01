"""Hand-written INSERTs (haven/core/db/inserts.py) store what the ORM would store."""

import uuid

import pytest
from django.db import connection

from haven.core import audit, chain
from haven.core.db import inserts
from haven.core.models import AuditEntry
from haven.outreach.models import Encounter, EncounterSupply
from haven.supplies.models import Item

pytestmark = pytest.mark.django_db


def test_an_inserted_contact_reads_back_as_written(sam, downtown, participant):
    client_uuid = uuid.uuid4()
    encounter = Encounter(
        client_uuid=client_uuid,
        submission_fingerprint="f" * 64,
        site=downtown,
        staff=sam,
        participant=participant,
        contact_type="street",
        secondary_people=2,
        note="Asked about the clinic on Tuesday",
    )
    [inserted] = inserts.insert([encounter])
    assert inserted.pk is not None and not inserted._state.adding
    stored = Encounter.objects.get(client_uuid=client_uuid)
    assert stored.pk == encounter.pk
    assert stored.note == "Asked about the clinic on Tuesday"  # decrypted as it reads back
    assert stored.created_at is not None and stored.updated_at is not None
    assert (stored.site, stored.staff, stored.participant) == (downtown, sam, participant)
    # The note is stored encrypted, as Model.save stores it.
    with connection.cursor() as cursor:
        cursor.execute("SELECT note FROM outreach_encounter WHERE id = %s", [encounter.pk])
        assert "clinic" not in cursor.fetchone()[0]


def test_a_foreign_key_to_an_object_saved_after_it_was_assigned_takes_its_id(
    sam, downtown, catalog
):
    encounter = Encounter(site=downtown, staff=sam, anonymous_people=1, contact_type="street")
    line = EncounterSupply(encounter=encounter, item=catalog["naloxone"], quantity=2)
    inserts.insert([encounter])
    inserts.insert([line])
    assert EncounterSupply.objects.get(pk=line.pk).encounter_id == encounter.pk


def test_rows_beyond_one_statements_parameters_are_all_stored_in_order(sam, downtown):
    encounter = Encounter(site=downtown, staff=sam, anonymous_people=1, contact_type="street")
    inserts.insert([encounter])
    items = [Item(name=f"Item {n}", category="hygiene") for n in range(700)]
    inserts.insert(items)  # more rows than SQLite takes parameters for in one statement
    assert [
        item.name for item in Item.objects.filter(pk__in=[i.pk for i in items]).order_by("pk")
    ] == [f"Item {n}" for n in range(700)]


def test_appended_audit_entries_keep_the_chain(sam, participant):
    audit.record(sam, AuditEntry.Action.LOGIN, sam)
    audit.append(
        [
            audit.unsaved_entry(sam, AuditEntry.Action.VIEW, participant, page="timeline", n=1.5),
            audit.unsaved_entry(sam, AuditEntry.Action.UPDATE, participant, fields=["alias"]),
        ]
    )
    rows = AuditEntry.objects.order_by("sequence").values(*chain.FIELDS)
    count, _last, breaks = chain.verify(rows)
    assert (count, breaks) == (3, [])
    assert AuditEntry.objects.get(sequence=2).detail == {"n": 1.5}


def test_a_row_read_by_hand_is_the_instance_the_orm_reads(sam, downtown, participant):
    """haven/core/db/reads.py: values converted as the ORM converts them."""
    from haven.participants import lookup
    from haven.participants.models import Participant

    read = lookup.by_card_code(participant.card_code)
    orm = Participant.objects.get(pk=participant.pk)
    for field in Participant._meta.concrete_fields:
        assert getattr(read, field.attname) == getattr(orm, field.attname), field.name
    assert read.enrolled_at.tzinfo is not None  # aware, on SQLite too
    assert not read._state.adding
    assert lookup.by_card_code("ZZZZZZZ") is None


@pytest.mark.parametrize("detail", [{}, {"n": 1.5, "b": ["é", None, 2.0]}])
def test_one_entry_appended_alone_keeps_the_chain(sam, participant, detail):
    """On PostgreSQL the database hashes a lone entry (chain.append_one); the hash is
    the one verify() computes, from an empty log and after other entries."""
    [first] = audit.append([audit.unsaved_entry(sam, AuditEntry.Action.LOGIN, sam)])
    audit.record(sam, AuditEntry.Action.VIEW, participant, page="timeline")
    [last] = audit.append(
        [audit.unsaved_entry(sam, AuditEntry.Action.CREATE, participant, **detail)]
    )
    assert (first.sequence, last.sequence) == (1, 3)
    rows = AuditEntry.objects.order_by("sequence").values(*chain.FIELDS)
    count, last_hash, breaks = chain.verify(rows)
    assert (count, breaks, last_hash) == (3, [], last.entry_hash)
    assert AuditEntry.objects.get(pk=last.pk).at == last.at


def test_values_not_of_a_fields_plain_type_still_go_through_the_field(sam, downtown, catalog):
    """Plain values (ints, text, ids) go as they are; anything else as the ORM sends it."""
    encounter = Encounter(
        site=downtown,
        staff=sam,
        anonymous_people="3",  # text where a number goes: the field makes it 3
        contact_type=Encounter.ContactType.STREET,  # a choice, not plain text
        secondary_people=True,  # a bool is not a plain int here: the field makes it 1
    )
    inserts.insert([encounter])
    by_orm = Encounter(
        site=downtown,
        staff=sam,
        anonymous_people="3",
        contact_type=Encounter.ContactType.STREET,
        secondary_people=True,
    )
    by_orm.save()
    fields = ["site_id", "staff_id", "anonymous_people", "contact_type", "secondary_people"]
    stored = Encounter.objects.filter(pk__in=[encounter.pk, by_orm.pk]).order_by("pk")
    assert [tuple(row) for row in stored.values_list(*fields)] == [
        (downtown.pk, sam.pk, 3, "street", 1)
    ] * 2


def test_a_foreign_key_to_an_unsaved_object_is_refused(sam, downtown, catalog):
    encounter = Encounter(site=downtown, staff=sam, anonymous_people=1, contact_type="street")
    line = EncounterSupply(encounter=encounter, item=catalog["naloxone"], quantity=2)
    with pytest.raises(ValueError, match="unsaved related object 'encounter'"):
        inserts.insert([line])
    assert not EncounterSupply.objects.exists()
