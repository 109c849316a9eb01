"""The training figures against a hand-built program, and in the standard report."""

import datetime
import uuid

from django.utils import timezone, translation

from haven.participants.actions import do_merge_participants
from haven.participants.models import Participant
from haven.reports import standard
from haven.reports.metrics import Scope
from haven.training import metrics
from haven.training.actions import do_add_attendee

from .conftest import take_quiz


def test_people_trained_counts_each_person_once_per_period(
    make_session, sam, olga, sue, downtown, eastside, participant, sams_bag, catalog
):
    today = timezone.localdate()
    earlier = today - datetime.timedelta(days=10)
    twin = Participant.objects.create(alias="Twin", created_by=sam, enrolled_site=downtown)
    other = Participant.objects.create(alias="Other", created_by=sam, enrolled_site=downtown)
    do_merge_participants(duplicate=twin, keeper=participant, by=sue)

    def listed(session, **who):
        do_add_attendee(session, client_uuid=uuid.uuid4(), by=sam, **who)

    # Session A, Downtown: 10 in the room; Sunny and Other by card code, Rosa by name.
    a = make_session(
        site=downtown, place="", headcount=10, held_on=earlier, supplies={catalog["naloxone"]: 4}
    )
    listed(a, participant=participant)
    listed(a, participant=other)
    listed(a, name="Rosa", consent=True)
    # Session B, elsewhere, by Olga: 6 in the room; Sunny again (as her linked
    # duplicate) and Rosa again by name.
    b = make_session(by=olga, headcount=6, audience="first_responders")
    listed(b, participant=twin)
    listed(b, name="Rosa", consent=True)
    # Session C, outside the period.
    make_session(headcount=50, held_on=today - datetime.timedelta(days=100))

    scope = Scope(today - datetime.timedelta(days=30), today)
    # Participants: Sunny (once, twin included) and Other = 2. Named only: Rosa
    # at A and at B = 2. Headcount less listed: (10 - 3) + (6 - 2) = 11.
    assert metrics.people_trained(scope) == {
        "participants": 2,
        "named": 2,
        "anonymous": 11,
        "total": 15,
    }
    assert metrics.people_trained(Scope(scope.start, scope.end, site_ids=(downtown.pk,))) == {
        "participants": 2,
        "named": 1,
        "anonymous": 7,
        "total": 10,
    }
    by_olga = metrics.people_trained(Scope(scope.start, scope.end, staff_ids=(olga.pk,)))
    assert by_olga["total"] == 6
    assert metrics.sessions_by_audience(scope) == {"community": 1, "first_responders": 1}
    assert metrics.kits_at_trainings(scope) == {
        "naloxone_nasal": 4,
        "naloxone_injectable": 0,
        "other": 0,
    }

    take_quiz("pre", right_areas=("risks",), session=a)
    take_quiz("post", session=a)
    assert metrics.knowledge_change(scope) == {"pre": 25, "post": 100}


def test_the_training_tables_are_in_the_naloxone_and_grant_reports(make_session, sam):
    make_session(headcount=14)
    today = timezone.localdate()
    scope = Scope(today.replace(day=1), today)
    for slug in ("naloxone", "grant"):
        # In English, whatever language a page asked for in an earlier test left active.
        with translation.override("en"):
            report = standard.build(slug, scope, suppressed=False)
        tables = {table.key: table for table in report.tables}
        people = dict(tables["training_people"].rows)
        assert people["People trained"] == 14
        assert dict(tables["training_sessions"].rows)["Community"] == 1


def test_small_training_figures_are_suppressed(make_session, sam):
    make_session(headcount=3)
    today = timezone.localdate()
    scope = Scope(today.replace(day=1), today)
    report = standard.build("naloxone", scope, suppressed=True)
    assert report.too_small or any(t.key == "training_people" for t in report.tables)
    for table in report.tables:
        assert 3 not in dict(table.rows).values(), table.key


def test_the_home_page_shows_people_trained_this_week(login, sam, make_session):
    # Field staff see the week's exact figures; analysts do not (core/tests/test_home.py).
    make_session(headcount=17)
    make_session(headcount=40, held_on=timezone.localdate() - datetime.timedelta(days=8))
    page = login(sam).get("/").content.decode()
    assert "<strong>17</strong>people trained at sessions" in page
