import datetime
import importlib
import uuid

import pytest
from django.apps import apps
from django.utils import timezone

from haven.consents.actions import do_record_consent
from haven.supplies.actions import do_receive_stock
from haven.supplies.models import StockLocation
from haven.training.actions import SessionData, do_add_attendee, do_record_session, do_submit_quiz
from haven.training.models import Question

SEED = importlib.import_module("haven.training.migrations.0002_questions_and_good_samaritan")


@pytest.fixture(autouse=True)
def seeded_quiz(request):
    """The quiz the migration seeds; a test that commits (browser tests) empties
    every table afterwards, so the tests after it seed it again."""
    marker = request.node.get_closest_marker("django_db")
    committing = marker is not None and marker.kwargs.get("transaction")
    request.getfixturevalue("transactional_db" if committing else "db")
    if not Question.objects.exists():
        SEED.seed(apps, None)


@pytest.fixture
def sams_bag(sam, downtown, catalog, max_manager):
    """Sam's bag with two lots of naloxone: 3 expiring soon, 10 later."""
    bag = StockLocation.objects.create(name="Sam's bag", kind="bag", site=downtown, holder=sam)
    sam.draw_from = bag
    sam.save()
    today = timezone.localdate()
    for number, quantity, days in (("SOON", 3, 30), ("LATER", 10, 300)):
        do_receive_stock(
            location=bag,
            item=catalog["naloxone"],
            quantity=quantity,
            lot_number=number,
            expires_on=today + datetime.timedelta(days=days),
            by=max_manager,
        )
    return bag


def session_data(**overrides):
    values = {
        "client_uuid": uuid.uuid4(),
        "topic": "overdose_response",
        "held_on": timezone.localdate(),
        "audience": "community",
        "headcount": 12,
        "place": "Public library",
    }
    values.update(overrides)
    return SessionData(**values)


@pytest.fixture
def make_session(sam):
    def make(by=sam, **overrides):
        return do_record_session(session_data(**overrides), by=by)[0]

    return make


@pytest.fixture
def session(make_session, downtown):
    return make_session(site=downtown, place="")


def answers(right_areas=("risks", "signs", "actions", "naloxone")):
    """Right answers in `right_areas`, wrong ones elsewhere."""
    chosen = {}
    for question in Question.objects.prefetch_related("choices"):
        wanted = question.area in right_areas
        chosen[question.pk] = next(c.pk for c in question.choices.all() if c.correct == wanted)
    return chosen


def take_quiz(stage, right_areas=("risks", "signs", "actions", "naloxone"), **where):
    return do_submit_quiz(
        client_uuid=uuid.uuid4(),
        stage=stage,
        answers=answers(right_areas),
        language="en",
        **where,
    )


@pytest.fixture
def named_attendee(session, sam):
    return do_add_attendee(
        session, client_uuid=uuid.uuid4(), by=sam, name="Rosa Díaz", consent=True
    )[0]


def named_participant(session, by, participant, name="Rosa Díaz"):
    """The participant listed at the session under `name` (consent given), quiz taken."""
    attendee, _created = do_add_attendee(
        session,
        client_uuid=uuid.uuid4(),
        by=by,
        participant=participant,
        name=name,
        consent=True,
    )
    take_quiz("post", attendee=attendee)
    return attendee


def answer_on_their_consents_page(participant, by, decision, **fields):
    """The participant's answer about a name on a certificate, given on their consents page."""
    return do_record_consent(
        participant,
        kind="certificate_name",
        decision=decision,
        how="spoken",
        language="en",
        by=by,
        **fields,
    )
