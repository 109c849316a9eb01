"""A consent from given to withdrawn, and what consent_in_force() answers on the way."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from haven.consents.actions import current_text, do_save_consent_text, do_withdraw_consent
from haven.consents.models import Consent, ConsentText, Kind
from haven.consents.rules import (
    answers_of,
    answers_of_each,
    consent_in_force,
    consents_in_force,
    taken_back_since,
)
from haven.core.models import AuditEntry
from haven.participants.actions import do_merge_participants
from haven.participants.models import Participant


def test_a_consent_points_at_the_text_and_version_it_was_given_to(participant, record, max_manager):
    first = record(participant, Kind.CONTACT, language="es")
    assert first.text == current_text(Kind.CONTACT)
    assert first.body == first.text.body_es
    new = do_save_consent_text(
        kind=Kind.CONTACT, body_en="We may text you.", body_es="Podemos escribirle.", by=max_manager
    )
    assert new.version == first.text.version + 1
    first.refresh_from_db()
    assert first.text.version == new.version - 1, "an old consent keeps its text"
    assert record(participant, Kind.CONTACT).text == new


def test_given_is_in_force_until_withdrawn_and_withdrawal_takes_effect_at_once(
    participant, record, sue
):
    consent = record(participant, Kind.CONTACT)
    assert consent_in_force(participant, Kind.CONTACT) == consent
    before = timezone.now()
    do_withdraw_consent(consent, by=sue)
    assert consent_in_force(participant, Kind.CONTACT) is None
    consent.refresh_from_db()
    assert consent.withdrawn_by == sue and consent.withdrawn_at >= before
    # It was in force before the withdrawal, and the record says so.
    assert consent_in_force(participant, Kind.CONTACT, at=before) == consent
    assert AuditEntry.objects.filter(
        action="update", object_type="consents.consent", object_id=str(consent.pk)
    ).exists()


def test_a_refusal_is_recorded_and_nothing_is_in_force(participant, record):
    refused = record(participant, Kind.RESEARCH, decision="refused")
    assert refused.decision == "refused"
    assert consent_in_force(participant, Kind.RESEARCH) is None


def test_a_later_refusal_overrides_an_earlier_consent(participant, record):
    record(participant, Kind.CONTACT)
    record(participant, Kind.CONTACT, decision="refused")
    assert consent_in_force(participant, Kind.CONTACT) is None


def test_withdrawing_a_refused_consent_is_refused_with_a_reason(participant, record, sam):
    refused = record(participant, Kind.CONTACT, decision="refused")
    with pytest.raises(ValidationError, match="never given"):
        do_withdraw_consent(refused, by=sam)
    refused.refresh_from_db()
    assert refused.withdrawn_at is None


def test_withdrawing_twice_says_when_it_was_withdrawn(participant, record, sam):
    consent = record(participant, Kind.CONTACT)
    do_withdraw_consent(consent, by=sam)
    with pytest.raises(ValidationError, match="already withdrawn"):
        do_withdraw_consent(consent, by=sam)


def test_an_expired_consent_is_not_in_force(participant, record):
    today = timezone.localdate()
    consent = record(participant, Kind.CONTACT, expires_on=today)
    assert consent_in_force(participant, Kind.CONTACT) == consent
    tomorrow = timezone.now() + datetime.timedelta(days=1)
    assert consent_in_force(participant, Kind.CONTACT, at=tomorrow) is None


def days_ago(days):
    return timezone.now() - datetime.timedelta(days=days)


def answered_on(consent, days, *, until_days_ago=None):
    """Date `consent` as recorded `days` ago, and running out `until_days_ago` (if given)."""
    fields = {"recorded_at": days_ago(days)}
    if until_days_ago is not None:
        fields["expires_on"] = timezone.localdate() - datetime.timedelta(days=until_days_ago)
    Consent.objects.filter(pk=consent.pk).update(**fields)


def test_a_newer_consent_that_ran_out_is_not_outlived_by_an_older_one(participant, record):
    # The person's last word was "yes, until then": after then, nothing is in force.
    older = record(participant, Kind.CONTACT)
    answered_on(older, 20)
    newer = record(participant, Kind.CONTACT, expires_on=timezone.localdate())
    answered_on(newer, 10, until_days_ago=2)
    assert consent_in_force(participant, Kind.CONTACT) is None
    assert consents_in_force(participant) == []
    # Before it ran out, it was the one in force.
    assert consent_in_force(participant, Kind.CONTACT, at=days_ago(5)).pk == newer.pk
    # A new consent brings it back.
    again = record(participant, Kind.CONTACT)
    assert consent_in_force(participant, Kind.CONTACT) == again


def test_a_sharing_consent_that_ran_out_only_answers_for_its_own_provider(
    participant, record, clinic, shelter
):
    anyone = record(participant, Kind.SHARING)
    answered_on(anyone, 20)
    for_clinic = record(participant, Kind.SHARING, provider=clinic, expires_on=timezone.localdate())
    answered_on(for_clinic, 10, until_days_ago=2)
    assert consent_in_force(participant, Kind.SHARING, provider=clinic) is None
    assert consent_in_force(participant, Kind.SHARING, provider=shelter) == anyone


# taken_back_since: a consent also given outside the consent records (a training's
# box for a name on a certificate), ticked `since`; the newest answer wins.


def test_an_answer_older_than_the_box_does_not_take_it_back(participant, record):
    refused = record(participant, Kind.CERTIFICATE_NAME, decision="refused")
    answered_on(refused, 20)
    ran_out = record(participant, Kind.CERTIFICATE_NAME, expires_on=timezone.localdate())
    answered_on(ran_out, 15, until_days_ago=2)
    assert not taken_back_since(participant, Kind.CERTIFICATE_NAME, days_ago(10))


def test_a_later_consent_that_ran_out_takes_the_box_back_until_a_new_one(participant, record):
    box_ticked = days_ago(10)
    limited = record(participant, Kind.CERTIFICATE_NAME, expires_on=timezone.localdate())
    answered_on(limited, 5)
    assert not taken_back_since(participant, Kind.CERTIFICATE_NAME, box_ticked)
    answered_on(limited, 5, until_days_ago=1)
    assert taken_back_since(participant, Kind.CERTIFICATE_NAME, box_ticked)
    record(participant, Kind.CERTIFICATE_NAME)
    assert not taken_back_since(participant, Kind.CERTIFICATE_NAME, box_ticked)


def test_an_older_yes_does_not_outlive_a_later_one_that_ran_out_for_the_box(participant, record):
    older = record(participant, Kind.CERTIFICATE_NAME)
    answered_on(older, 20)
    limited = record(participant, Kind.CERTIFICATE_NAME, expires_on=timezone.localdate())
    answered_on(limited, 5, until_days_ago=1)
    assert taken_back_since(participant, Kind.CERTIFICATE_NAME, days_ago(10))


def test_a_refusal_or_withdrawal_after_the_box_takes_it_back(participant, record, sam):
    box_ticked = days_ago(10)
    given_before = record(participant, Kind.CERTIFICATE_NAME)
    answered_on(given_before, 20)
    assert not taken_back_since(participant, Kind.CERTIFICATE_NAME, box_ticked)
    do_withdraw_consent(given_before, by=sam)
    assert taken_back_since(participant, Kind.CERTIFICATE_NAME, box_ticked)
    record(participant, Kind.CERTIFICATE_NAME)
    assert not taken_back_since(participant, Kind.CERTIFICATE_NAME, box_ticked)
    record(participant, Kind.CERTIFICATE_NAME, decision="refused")
    assert taken_back_since(participant, Kind.CERTIFICATE_NAME, box_ticked)


def test_everyones_answers_are_read_in_one_query_as_each_persons_are(
    record, sam, sue, downtown, django_assert_num_queries
):
    keeper, duplicate, alone, silent = (
        Participant.objects.create(created_by=sam, enrolled_site=downtown) for _ in range(4)
    )
    record(keeper, Kind.CERTIFICATE_NAME)
    record(duplicate, Kind.CERTIFICATE_NAME, decision="refused")
    record(alone, Kind.CERTIFICATE_NAME)
    record(alone, Kind.CONTACT)
    do_merge_participants(duplicate=duplicate, keeper=keeper, by=sue)
    people = list(Participant.objects.filter(pk__in=[keeper.pk, duplicate.pk, alone.pk, silent.pk]))
    with django_assert_num_queries(1):
        each = answers_of_each(people, Kind.CERTIFICATE_NAME)
    for person in people:
        assert each[person.pk] == answers_of(person, Kind.CERTIFICATE_NAME)
    assert len(each[duplicate.pk]) == 2 and each[silent.pk] == []


def test_a_consent_that_would_already_have_expired_is_refused(participant, record):
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    with pytest.raises(ValidationError) as error:
        record(participant, Kind.CONTACT, expires_on=yesterday)
    assert "expires_on" in error.value.message_dict
    assert not Consent.objects.exists()


def test_a_kind_without_a_text_cannot_be_consented_to(participant, record):
    ConsentText.objects.filter(kind=Kind.RESEARCH).delete()
    with pytest.raises(ValidationError, match="not written a text"):
        record(participant, Kind.RESEARCH)


def test_only_a_sharing_consent_names_a_provider(participant, record, clinic):
    with pytest.raises(ValidationError) as error:
        record(participant, Kind.CONTACT, provider=clinic)
    assert "provider" in error.value.message_dict


def test_a_sharing_consent_covers_its_provider_or_class_only(participant, record, clinic, shelter):
    for_clinic = record(participant, Kind.SHARING, provider=clinic)
    assert consent_in_force(participant, Kind.SHARING, provider=clinic) == for_clinic
    assert consent_in_force(participant, Kind.SHARING, provider=shelter) is None
    for_housing = record(participant, Kind.SHARING, provider_need="housing")
    assert consent_in_force(participant, Kind.SHARING, provider=shelter) == for_housing
    assert consent_in_force(participant, Kind.SHARING, provider=clinic) == for_clinic


def test_a_consent_given_on_a_duplicate_holds_for_the_kept_record(record, sam, sue, downtown):
    keeper = Participant.objects.create(created_by=sam, enrolled_site=downtown)
    duplicate = Participant.objects.create(created_by=sam, enrolled_site=downtown)
    consent = record(duplicate, Kind.CONTACT)
    do_merge_participants(duplicate=duplicate, keeper=keeper, by=sue)
    assert consent_in_force(keeper, Kind.CONTACT) == consent


def test_the_consents_in_force_leave_out_withdrawn_refused_and_overridden(participant, record, sam):
    kept = record(participant, Kind.RECORD_KEEPING)
    withdrawn = record(participant, Kind.CONTACT)
    do_withdraw_consent(withdrawn, by=sam)
    record(participant, Kind.RESEARCH, decision="refused")
    record(participant, Kind.CERTIFICATE_NAME)
    record(participant, Kind.CERTIFICATE_NAME, decision="refused")
    assert consents_in_force(participant) == [kept]


def test_a_new_text_version_needs_both_languages(max_manager):
    with pytest.raises(ValidationError) as error:
        do_save_consent_text(kind=Kind.CONTACT, body_en="Hello", body_es=" ", by=max_manager)
    assert "body_es" in error.value.message_dict
