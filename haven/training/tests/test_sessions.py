"""Recording a session: kits drawn from the trainer's stock through the ledger, exactly once."""

import datetime
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from haven.core.models import AuditEntry
from haven.supplies.models import StockBalance, StockMovement
from haven.training.actions import do_add_attendee, do_record_session
from haven.training.models import Attendee, SessionKitMovement, TrainingSession

from .conftest import session_data


def balances(bag):
    return {
        b.lot.number: b.quantity
        for b in StockBalance.objects.filter(location=bag).select_related("lot")
    }


def test_session_with_attendees_draws_kits_first_expiry_first(sam, sams_bag, catalog, participant):
    data = session_data(headcount=5, supplies={catalog["naloxone"]: 5})
    session, created = do_record_session(data, by=sam)
    assert created
    assert balances(sams_bag) == {"SOON": 0, "LATER": 8}
    drawn = StockMovement.objects.filter(training__session=session).order_by("lot__expires_on")
    assert [(m.lot.number, m.quantity, m.kind) for m in drawn] == [
        ("SOON", -3, "distribute"),
        ("LATER", -2, "distribute"),
    ]
    assert all(m.encounter is None for m in drawn)
    # The balance is still the sum of the ledger.
    for balance in StockBalance.objects.filter(location=sams_bag):
        total = sum(
            StockMovement.objects.filter(location=sams_bag, lot=balance.lot).values_list(
                "quantity", flat=True
            )
        )
        assert balance.quantity == total
    do_add_attendee(session, client_uuid=uuid.uuid4(), by=sam, participant=participant)
    do_add_attendee(session, client_uuid=uuid.uuid4(), by=sam, name="Ana P", consent=True)
    assert session.attendees.count() == 2
    assert list(session.trainers.all()) == [sam]


def test_the_same_session_sent_twice_is_stored_and_drawn_once(sam, sams_bag, catalog):
    data = session_data(supplies={catalog["naloxone"]: 2})
    first, _ = do_record_session(data, by=sam)
    again, created = do_record_session(data, by=sam)
    assert (again, created) == (first, False)
    assert SessionKitMovement.objects.count() == 1
    assert sum(balances(sams_bag).values()) == 11


def test_kits_beyond_the_trainers_stock_are_refused_and_nothing_is_written(sam, sams_bag, catalog):
    data = session_data(supplies={catalog["naloxone"]: 14})
    with pytest.raises(ValidationError) as error:
        do_record_session(data, by=sam)
    assert "Not enough Naloxone nasal spray at Sam's bag: 13 on hand, 14 asked." in str(error.value)
    assert not TrainingSession.objects.exists()
    assert balances(sams_bag) == {"SOON": 3, "LATER": 10}
    assert not AuditEntry.objects.filter(object_type="training.trainingsession").exists()


def test_a_session_in_the_future_is_refused(sam):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    with pytest.raises(ValidationError) as error:
        do_record_session(session_data(held_on=tomorrow), by=sam)
    assert "date is ahead" in str(error.value)
    assert not TrainingSession.objects.exists()


def test_a_session_needs_a_site_or_a_place(sam):
    with pytest.raises(ValidationError) as error:
        do_record_session(session_data(place="  "), by=sam)
    assert "where the session was" in str(error.value)


def test_a_name_is_kept_only_with_consent(session, sam):
    with pytest.raises(ValidationError) as error:
        do_add_attendee(session, client_uuid=uuid.uuid4(), by=sam, name="Rosa")
    assert "only when the person agrees" in str(error.value)
    with pytest.raises(ValidationError):
        do_add_attendee(session, client_uuid=uuid.uuid4(), by=sam)
    assert not Attendee.objects.exists()


def test_consent_is_recorded_on_the_attendance_and_the_name_encrypted(session, sam):
    attendee, _ = do_add_attendee(
        session, client_uuid=uuid.uuid4(), by=sam, name="Rosa", consent=True
    )
    attendee.refresh_from_db()
    assert attendee.consents_to_named_certificate
    assert attendee.consent_recorded_by == sam and attendee.consent_recorded_at
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM training_attendee")
        [(raw,)] = cursor.fetchall()
    assert raw and "Rosa" not in raw


def test_a_participant_is_listed_once_per_session_and_as_the_kept_record(session, sam, participant):
    do_add_attendee(session, client_uuid=uuid.uuid4(), by=sam, participant=participant)
    with pytest.raises(ValidationError) as error:
        do_add_attendee(session, client_uuid=uuid.uuid4(), by=sam, participant=participant)
    assert "already listed" in str(error.value)


def test_listing_more_people_than_the_headcount_raises_it(make_session, sam, participant):
    session = make_session(headcount=0)
    do_add_attendee(session, client_uuid=uuid.uuid4(), by=sam, participant=participant)
    session.refresh_from_db()
    assert session.headcount == 1
