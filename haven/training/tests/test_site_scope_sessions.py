"""Record scope "site": a session's trainers run its attendance list, whoever is on it.

Sam (Downtown) and Olga (Eastside) give trainings together. Sunny, known
only Downtown, came to one and gave "Alex Rivera" as the name for his
certificate. In site scope Olga may not open Sunny's record, but the session
is hers to run: she sees his row (the name for the certificate, his quiz, his
certificate; never his card code or a way to his record), issues and prints
his certificate, and each read is audited as any read of him. Esther, who works
Eastside too but trains nobody, sees an Eastside session without him and may
do nothing for him; a Downtown session she has no part in stays refused.
"""

import datetime
import uuid

import pytest
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from conftest import make_user
from haven.core.models import AuditEntry
from haven.core.tests.test_site_scope_writes import without_numbers
from haven.participants.actions import do_merge_participants
from haven.participants.models import Participant
from haven.training import urls as training_urls
from haven.training.actions import do_issue_certificate
from haven.training.models import Attendee, Certificate
from haven.training.views import BEYOND_SCOPE

from .conftest import answer_on_their_consents_page, named_participant

CERTIFICATE_NAME = "Alex Rivera"
BEYOND = "A participant of a site outside yours"


@pytest.fixture
def site_scope(settings):
    settings.HAVEN_RECORD_SCOPE = "site"


@pytest.fixture
def esther(eastside):
    """A specialist of Eastside who is no trainer of these sessions."""
    return make_user("esther", "specialist", [eastside])


@pytest.fixture
def shared_session(make_session, sam, olga, downtown):
    """Held Downtown, given by Sam with Olga."""
    return make_session(by=sam, site=downtown, place="", trainers=[sam, olga])


@pytest.fixture
def sunny_at_shared(shared_session, sam, participant):
    return named_participant(shared_session, sam, participant, CERTIFICATE_NAME)


@pytest.fixture
def eastside_session(make_session, sam, olga, eastside):
    """Held at Eastside, given by Olga with Sam: Eastside's staff may open it."""
    return make_session(by=olga, site=eastside, place="", trainers=[olga, sam])


@pytest.fixture
def sunny_at_eastside(eastside_session, sam, participant):
    return named_participant(eastside_session, sam, participant, CERTIFICATE_NAME)


def session_page(client, session):
    return client.get(reverse("training:session", args=[session.pk]))


def assert_shows_nothing_of_his_record(text, participant):
    assert participant.display_code not in text
    assert participant.card_code not in text
    assert "Sunny" not in text  # his alias
    assert reverse("participants:detail", args=[participant.pk]) not in text


def reads_of(participant, user):
    return AuditEntry.objects.filter(
        participant=participant, user=user, action=AuditEntry.Action.VIEW
    )


def test_in_site_scope_a_co_trainer_of_another_site_runs_the_attendance_list(
    site_scope, login, olga, participant, shared_session, sunny_at_shared
):
    response = session_page(login(olga), shared_session)
    assert response.status_code == 200
    text = response.content.decode()
    assert BEYOND in text
    assert CERTIFICATE_NAME in text
    assert reverse("training:certificate_issue", args=[sunny_at_shared.pk]) in text
    assert_shows_nothing_of_his_record(text, participant)
    (read,) = reads_of(participant, olga)
    assert (read.object_type, read.object_id) == ("training.attendee", str(sunny_at_shared.pk))
    assert (read.page, read.detail) == ("training session", {"reach": BEYOND_SCOPE})


def test_in_site_scope_the_co_trainer_is_told_in_spanish_whose_row_it_is(
    site_scope, login, olga, shared_session, sunny_at_shared
):
    response = login(olga).get(
        reverse("training:session", args=[shared_session.pk]), HTTP_ACCEPT_LANGUAGE="es"
    )
    assert "Un participante de un sitio que no es suyo" in response.content.decode()


def test_in_site_scope_a_co_trainer_issues_prints_and_revokes_the_certificate(
    site_scope, login, olga, participant, shared_session, sunny_at_shared
):
    client = login(olga)
    issued = client.post(reverse("training:certificate_issue", args=[sunny_at_shared.pk]))
    assert issued.status_code == 302
    certificate = Certificate.objects.get(attendee=sunny_at_shared)
    pdf = client.get(reverse("training:certificate_pdf", args=[sunny_at_shared.pk]))
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    printed = reads_of(participant, olga).get(page="certificate")
    assert (printed.object_type, printed.detail) == ("training.attendee", {"reach": BEYOND_SCOPE})
    revoked = client.post(reverse("training:certificate_revoke", args=[sunny_at_shared.pk]))
    assert revoked.status_code == 302
    certificate.refresh_from_db()
    assert certificate.revoked_by == olga


def test_in_site_scope_a_co_trainer_is_not_shown_a_name_taken_back(
    site_scope, login, sam, olga, participant, shared_session, sunny_at_shared
):
    # Sunny refused, on his consents page Downtown, to have his name printed.
    answer_on_their_consents_page(participant, sam, "refused")
    text = session_page(login(olga), shared_session).content.decode()
    assert BEYOND in text
    assert CERTIFICATE_NAME not in text


def test_in_site_scope_a_co_trainer_still_cannot_list_another_sites_participant_by_code(
    site_scope, login, olga, participant, shared_session
):
    response = login(olga).post(
        reverse("training:attendee_add", args=[shared_session.pk]),
        {"client_uuid": str(uuid.uuid4()), "card_code": participant.display_code},
    )
    assert response.status_code == 400
    assert response.context["attendee_form"].errors == {
        "card_code": ["No participant has this card code."]
    }
    assert not shared_session.attendees.exists()


def test_in_site_scope_a_trainer_of_the_participants_site_sees_their_card_code(
    site_scope, login, sam, participant, shared_session, sunny_at_shared
):
    text = session_page(login(sam), shared_session).content.decode()
    assert participant.display_code in text
    assert BEYOND not in text
    assert reads_of(participant, sam).get().detail == {}


def test_in_site_scope_site_staff_who_train_nobody_there_are_not_shown_the_attendee(
    site_scope, login, esther, participant, eastside_session, sunny_at_eastside
):
    client = login(esther)
    response = session_page(client, eastside_session)
    assert response.status_code == 200
    text = response.content.decode()
    assert CERTIFICATE_NAME not in text
    assert BEYOND not in text
    assert_shows_nothing_of_his_record(text, participant)
    # His attendee's id is answered as an id nobody has (see below).
    for name in ("training:certificate_issue", "training:certificate_revoke"):
        refused = client.post(reverse(name, args=[sunny_at_eastside.pk]))
        assert refused.status_code == 404, name
    refused = client.get(reverse("training:certificate_pdf", args=[sunny_at_eastside.pk]))
    assert refused.status_code == 404
    assert not Certificate.objects.exists()
    assert not AuditEntry.objects.filter(participant=participant, user=esther).exists()


ATTENDEE_ROUTES = [
    "training:certificate_issue",
    "training:certificate_pdf",
    "training:certificate_revoke",
]


def test_every_attendee_route_is_checked_below():
    names = {
        f"training:{pattern.name}"
        for pattern in training_urls.urlpatterns
        if "attendee_id" in pattern.pattern.regex.groupindex
    }
    assert names == set(ATTENDEE_ROUTES)


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("route", ATTENDEE_ROUTES)
def test_in_site_scope_site_staff_who_train_nobody_there_get_his_attendee_as_nobodys(
    route, method, site_scope, login, esther, participant, eastside_session, sunny_at_eastside
):
    client = login(esther)
    nobodys_id = Attendee.objects.aggregate(Max("pk"))["pk__max"] + 1000
    send = lambda attendee_id: getattr(client, method)(reverse(route, args=[attendee_id]))  # noqa: E731
    send(nobodys_id)  # a session's first request reads more
    for_sunny, for_nobody = send(sunny_at_eastside.pk), send(nobodys_id)
    assert for_nobody.status_code in (404, 405), for_nobody.content
    assert (for_sunny.status_code, for_sunny.content) == (
        for_nobody.status_code,
        for_nobody.content,
    )
    assert without_numbers(send, sunny_at_eastside.pk) == without_numbers(send, nobodys_id)
    assert not Certificate.objects.exists()
    assert not AuditEntry.objects.filter(participant=participant, user=esther).exists()


@pytest.mark.parametrize("trainer", ["olga", "sam"])
def test_in_site_scope_the_trainers_and_maker_still_reach_his_attendee(
    trainer, request, site_scope, login, eastside_session, sunny_at_eastside
):
    # Olga made the session and trains it, out of his record scope; Sam trains it, in it.
    client = login(request.getfixturevalue(trainer))
    issued = client.post(reverse("training:certificate_issue", args=[sunny_at_eastside.pk]))
    assert issued.status_code == 302
    pdf = client.get(reverse("training:certificate_pdf", args=[sunny_at_eastside.pk]))
    assert pdf.status_code == 200
    revoked = client.post(reverse("training:certificate_revoke", args=[sunny_at_eastside.pk]))
    assert revoked.status_code == 302
    assert Certificate.objects.get(attendee=sunny_at_eastside).revoked_at is not None


def test_in_site_scope_the_maker_of_a_session_runs_it_too(
    site_scope, login, olga, participant, eastside_session, sunny_at_eastside
):
    text = session_page(login(olga), eastside_session).content.decode()
    assert BEYOND in text and CERTIFICATE_NAME in text
    assert_shows_nothing_of_his_record(text, participant)


def test_in_site_scope_staff_with_no_part_in_a_session_are_still_refused_it(
    site_scope, login, esther, shared_session, sunny_at_shared
):
    client = login(esther)
    assert session_page(client, shared_session).status_code == 403
    # Sunny, of another site, is answered as an id nobody has, as above.
    pdf = client.get(reverse("training:certificate_pdf", args=[sunny_at_shared.pk]))
    assert pdf.status_code == 404


def test_in_program_scope_a_co_trainer_of_another_site_sees_the_card_code(
    login, olga, participant, shared_session, sunny_at_shared
):
    text = session_page(login(olga), shared_session).content.decode()
    assert participant.display_code in text
    assert BEYOND not in text


def issue(attendee, by, *, expires_in=30):
    certificate, _created = do_issue_certificate(attendee, by=by)
    Certificate.objects.filter(pk=certificate.pk).update(
        expires_on=timezone.localdate() + datetime.timedelta(days=expires_in)
    )
    return certificate


def expiring_page(client):
    return client.get(reverse("training:expiring"))


def test_in_site_scope_the_expiring_list_counts_a_linked_record_as_the_search_does(
    site_scope, login, sam, olga, sue, esther, eastside, participant, eastside_session
):
    # Sunny was enrolled Downtown; a duplicate enrolled at Eastside was linked
    # to him, so Esther, of Eastside, may open him (and find him by card code).
    duplicate = Participant.objects.create(created_by=olga, enrolled_site=eastside)
    do_merge_participants(duplicate=duplicate, keeper=participant, by=sue)
    attendee = named_participant(eastside_session, sam, participant, CERTIFICATE_NAME)
    certificate = issue(attendee, sam)
    page = expiring_page(login(esther))
    assert page.context["certificates"] == [certificate]
    assert CERTIFICATE_NAME in page.content.decode()
    read = reads_of(participant, esther).get()
    assert (read.page, read.detail) == ("expiring certificates", {})


def test_in_site_scope_a_co_trainer_is_listed_the_certificates_due_of_the_session(
    site_scope, login, sam, olga, participant, shared_session, sunny_at_shared
):
    certificate = issue(sunny_at_shared, sam)
    page = expiring_page(login(olga))
    assert page.status_code == 200
    assert page.context["certificates"] == [certificate]
    text = page.content.decode()
    assert CERTIFICATE_NAME in text
    assert reverse("training:session", args=[shared_session.pk]) in text
    assert_shows_nothing_of_his_record(text, participant)
    (read,) = reads_of(participant, olga)
    assert (read.object_type, read.object_id) == ("training.attendee", str(sunny_at_shared.pk))
    assert (read.page, read.detail) == ("expiring certificates", {"reach": BEYOND_SCOPE})


def test_in_site_scope_the_maker_of_a_session_is_listed_its_certificates_due(
    site_scope, login, sam, olga, participant, eastside_session, sunny_at_eastside
):
    certificate = issue(sunny_at_eastside, sam)
    assert expiring_page(login(olga)).context["certificates"] == [certificate]
    assert reads_of(participant, olga).get().detail == {"reach": BEYOND_SCOPE}


def test_in_site_scope_the_expiring_list_shows_no_name_taken_back(
    site_scope, login, sam, olga, participant, shared_session, sunny_at_shared
):
    issue(sunny_at_shared, sam)
    answer_on_their_consents_page(participant, sam, "refused")
    assert CERTIFICATE_NAME not in expiring_page(login(olga)).content.decode()


def test_in_site_scope_site_staff_who_train_nobody_there_are_not_listed_the_certificate(
    site_scope, login, sam, esther, participant, eastside_session, sunny_at_eastside
):
    issue(sunny_at_eastside, sam)
    page = expiring_page(login(esther))
    assert page.context["certificates"] == []
    assert CERTIFICATE_NAME not in page.content.decode()
    assert not AuditEntry.objects.filter(participant=participant, user=esther).exists()


def test_in_site_scope_a_trainer_of_the_participants_site_reads_the_certificate_in_scope(
    site_scope, login, sam, participant, shared_session, sunny_at_shared
):
    certificate = issue(sunny_at_shared, sam)
    assert expiring_page(login(sam)).context["certificates"] == [certificate]
    assert reads_of(participant, sam).get().detail == {}
