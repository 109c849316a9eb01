"""The trainers' pages and the public ones: who may use them, and what they do."""

import uuid

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from haven.core.models import AuditEntry
from haven.participants.models import Participant
from haven.training.models import (
    Attendee,
    Certificate,
    CourseText,
    Question,
    QuizAttempt,
    TrainingSession,
)

from .conftest import answer_on_their_consents_page, answers, named_participant, take_quiz

ROLES = ["specialist", "other_site_specialist", "supervisor", "manager", "analyst", "admin"]


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


def staff_pages(session, attendee):
    """(url, roles allowed) for a Downtown session made by Sam."""
    field = {"specialist", "supervisor", "manager"}
    return [
        (reverse("training:sessions"), field | {"other_site_specialist"}),
        (reverse("training:session_new"), field | {"other_site_specialist"}),
        (reverse("training:session", args=[session.pk]), field),
        (reverse("training:certificate_pdf", args=[attendee.pk]), field),
        (reverse("training:course_text"), {"manager"}),
        (reverse("training:questions"), {"manager"}),
        (reverse("training:question_new"), {"manager"}),
    ]


@pytest.mark.parametrize("role", ROLES)
def test_each_role_sees_only_what_it_may(role, personas, login, session, named_attendee):
    client = login(personas[role])
    for url, allowed in staff_pages(session, named_attendee):
        status = client.get(url).status_code
        if role in allowed:
            assert status in (200, 302), f"{role} on {url}: {status}"
        else:
            assert status == 403, f"{role} on {url}: {status}"


def test_other_sites_staff_cannot_add_attendees_or_issue(login, olga, session, named_attendee):
    client = login(olga)
    assert client.post(reverse("training:attendee_add", args=[session.pk])).status_code == 403
    for name in ("training:certificate_issue", "training:certificate_revoke"):
        assert client.post(reverse(name, args=[named_attendee.pk])).status_code == 403


def test_a_trainer_starts_a_session_from_the_form(login, sam, downtown, sams_bag, catalog):
    response = login(sam).post(
        reverse("training:session_new"),
        {
            "client_uuid": str(uuid.uuid4()),
            "topic": "overdose_response",
            "held_on": "2026-01-15",
            "site": downtown.pk,
            "audience": "family_friends",
            "language": "es",
            "headcount": 8,
            f"item_{catalog['naloxone'].pk}": 2,
        },
    )
    session = TrainingSession.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("training:session", args=[session.pk])
    assert session.kit_movements.count() == 1


def test_a_session_form_beyond_stock_says_so_and_saves_nothing(login, sam, sams_bag, catalog):
    response = login(sam).post(
        reverse("training:session_new"),
        {
            "client_uuid": str(uuid.uuid4()),
            "topic": "overdose_response",
            "held_on": "2026-01-15",
            "place": "Library",
            "audience": "community",
            "language": "en",
            "headcount": 8,
            f"item_{catalog['naloxone'].pk}": 99,
        },
    )
    assert response.status_code == 400
    assert "13 on hand, 99 asked" in response.content.decode()
    assert not TrainingSession.objects.exists()


def test_listing_a_participant_by_card_code_and_the_page_audits_it(
    login, sam, session, participant
):
    client = login(sam)
    response = client.post(
        reverse("training:attendee_add", args=[session.pk]),
        {"client_uuid": str(uuid.uuid4()), "card_code": participant.display_code},
    )
    assert response.status_code == 302
    assert Attendee.objects.get().participant == participant
    page = client.get(reverse("training:session", args=[session.pk]))
    assert participant.display_code in page.content.decode()
    assert AuditEntry.objects.filter(
        user=sam, action="view", participant=participant, page="training session"
    ).exists()


def test_a_name_without_consent_is_refused_on_the_page(login, sam, session):
    response = login(sam).post(
        reverse("training:attendee_add", args=[session.pk]),
        {"client_uuid": str(uuid.uuid4()), "name": "Rosa"},
    )
    assert response.status_code == 400
    assert "only when the person agrees" in response.content.decode()
    assert not Attendee.objects.exists()


def quiz_post(session_answers):
    return {
        "client_uuid": str(uuid.uuid4()),
        **{f"q{question}": choice for question, choice in session_answers.items()},
    }


def test_the_public_quiz_in_spanish_scores_and_refuses_a_second_send(client, session):
    url = reverse("training:quiz", args=[session.quiz_token, "pre"])
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="es")
    assert "¿Cuándo es más alto el riesgo de una sobredosis?" in page.content.decode()
    data = quiz_post(answers())
    response = client.post(url, data, HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 200
    assert QuizAttempt.objects.get().language == "es"
    again = client.post(url, data, HTTP_ACCEPT_LANGUAGE="en")
    assert again.status_code == 409
    assert "This quiz was already sent" in again.content.decode()
    assert QuizAttempt.objects.count() == 1


def test_an_unknown_quiz_token_is_not_found(client, db):
    assert client.get(reverse("training:quiz", args=["guess", "pre"])).status_code == 404


@override_settings(TRAINING_PUBLIC_RATE="3/m")
def test_the_public_pages_are_rate_limited_per_address(client, db):
    statuses = [client.get(reverse("training:course")).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_the_trainer_sees_the_change_in_scores(login, sam, session):
    take_quiz("pre", right_areas=("risks",), session=session)
    take_quiz("post", session=session)
    page = login(sam).get(reverse("training:session", args=[session.pk])).content.decode()
    assert "+75" in page  # all areas: 25% before, 100% after


def test_issuing_and_revoking_from_the_session_page(login, sam, named_attendee):
    take_quiz("post", attendee=named_attendee)
    client = login(sam)
    client.post(reverse("training:certificate_issue", args=[named_attendee.pk]))
    named_attendee.refresh_from_db()
    assert named_attendee.certificate.revoked_at is None
    client.post(reverse("training:certificate_revoke", args=[named_attendee.pk]))
    named_attendee.certificate.refresh_from_db()
    assert named_attendee.certificate.revoked_at is not None


TAKEN_BACK = "No certificate can be issued: the name was taken back on their consents page."


def test_a_name_taken_back_is_offered_no_certificate_and_the_page_says_why(
    login, sam, session, participant
):
    attendee = named_participant(session, sam, participant)
    issue = reverse("training:certificate_issue", args=[attendee.pk])
    client = login(sam)
    offered = client.get(reverse("training:session", args=[session.pk])).content.decode()
    assert issue in offered and TAKEN_BACK not in offered
    # Later, on his consents page, he refused to have his name printed.
    answer_on_their_consents_page(participant, sam, "refused")
    page = client.get(reverse("training:session", args=[session.pk])).content.decode()
    assert issue not in page
    assert "Issue certificate" not in page
    assert TAKEN_BACK in page
    spanish = client.get(
        reverse("training:session", args=[session.pk]), HTTP_ACCEPT_LANGUAGE="es"
    ).content.decode()
    assert "No se puede emitir un certificado: el nombre se retiró" in spanish
    # A POST all the same is still refused, with the reason.
    refused = client.post(issue, follow=True)
    assert "was withdrawn, refused or has run out" in refused.content.decode()
    assert not Certificate.objects.exists()


def test_the_course_shows_the_programs_good_samaritan_paragraph(client, login, max_manager):
    login(max_manager).post(
        reverse("training:course_text"),
        {"text": "Arizona law protects callers.", "text_es": "La ley de Arizona protege."},
    )
    assert CourseText.objects.get().updated_by == max_manager
    assert (
        "Arizona law protects callers." in client.get(reverse("training:course")).content.decode()
    )
    spanish = client.get(reverse("training:course"), HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "La ley de Arizona protege." in spanish


def test_the_course_quiz_scores_without_a_session(client, db):
    response = client.post(reverse("training:course_quiz"), quiz_post(answers()))
    assert response.status_code == 200
    attempt = QuizAttempt.objects.get()
    assert attempt.session is None and attempt.passed()


def test_a_manager_edits_a_question_and_its_answers(login, max_manager, client, session):
    question = Question.objects.get(text__startswith="How is nasal naloxone given")
    response = login(max_manager).post(
        reverse("training:question_edit", args=[question.pk]),
        {
            "area": "naloxone",
            "text": "Where does nasal naloxone go?",
            "text_es": "¿Dónde va la naloxona nasal?",
            "active": "on",
            "choice_0": "In the mouth",
            "choice_0_es": "En la boca",
            "choice_1": "In one nostril",
            "choice_1_es": "En una fosa nasal",
            "choice_2": "",
            "choice_2_es": "",
            "correct": "1",
        },
    )
    assert response.status_code == 302
    question.refresh_from_db()
    assert [(c.text_es, c.correct) for c in question.choices.all()] == [
        ("En la boca", False),
        ("En una fosa nasal", True),
    ]
    quiz = client.get(
        reverse("training:quiz", args=[session.quiz_token, "pre"]), HTTP_ACCEPT_LANGUAGE="es"
    )
    assert "¿Dónde va la naloxona nasal?" in quiz.content.decode()


def test_a_question_needs_its_right_answer_written_in_both_languages(login, max_manager):
    response = login(max_manager).post(
        reverse("training:question_new"),
        {
            "area": "risks",
            "text": "Q",
            "text_es": "P",
            "choice_0": "A",
            "choice_0_es": "",
            "choice_1": "B",
            "choice_1_es": "B",
            "correct": "2",
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Write each answer in both languages." in page
    assert "The right answer must be one that is written." in page
    assert not Question.objects.filter(text="Q").exists()


def test_the_session_page_does_not_ask_once_per_attendee(
    login, sam, session, django_assert_max_num_queries
):
    client = login(sam)

    def add(n):
        for _ in range(n):
            attendee = Attendee.objects.create(
                client_uuid=uuid.uuid4(),
                session=session,
                name="N",
                consents_to_named_certificate=True,
            )
            take_quiz("pre", attendee=attendee)

    add(1)
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("training:session", args=[session.pk]))
    add(5)
    with django_assert_max_num_queries(len(one.captured_queries)):
        client.get(reverse("training:session", args=[session.pk]))


def test_the_session_page_reads_its_participants_name_answers_at_once(
    login, sam, session, downtown, django_assert_max_num_queries
):
    # Each name given for a certificate is shown only while its holder lets it
    # be printed: their answers on their consents pages are read in one query.
    client = login(sam)

    def add(n):
        for _ in range(n):
            person = Participant.objects.create(created_by=sam, enrolled_site=downtown)
            Attendee.objects.create(
                client_uuid=uuid.uuid4(),
                session=session,
                participant=person,
                name="N",
                consents_to_named_certificate=True,
                consent_recorded_at=timezone.now(),
            )

    add(1)
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("training:session", args=[session.pk]))
    add(5)
    with django_assert_max_num_queries(len(one.captured_queries)):
        client.get(reverse("training:session", args=[session.pk]))
