"""The suppressed reports count the training figures of every slice (each site, staff
member and contact type) from five queries in all; each slice's figures must equal
those the one-scope functions give for that slice alone."""

import datetime
import uuid

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import make_user
from haven.participants.models import Participant
from haven.reports import standard
from haven.reports.metrics import Scope
from haven.training import metrics
from haven.training.actions import do_add_attendee
from haven.training.models import Audience

from .conftest import take_quiz

FILTERS = {"site": "site_ids", "staff": "staff_ids", "type": "contact_types"}
TYPES = ["fixed", "mobile", "street", "mail", "virtual"]
AREAS = ("risks", "signs", "actions", "naloxone")


def alone(scope):
    return {
        "people": metrics.people_trained(scope),
        "audiences": metrics.sessions_by_audience(scope),
        "kits": metrics.kits_at_trainings(scope),
        "change": metrics.knowledge_change(scope),
    }


def assert_every_slice_equals_its_scope_alone(scope, members):
    assert metrics.training_figures(scope) == alone(scope)
    for by, pks in members.items():
        grouped = metrics.training_figures(scope, by=by)
        for pk in pks:
            member_scope = Scope(scope.start, scope.end, **{FILTERS[by]: (pk,)})
            assert grouped[pk] == alone(member_scope), (by, pk)


session = st.fixed_dictionaries(
    {
        "site": st.sampled_from([None, 0, 1]),
        "trainers": st.lists(st.sampled_from([0, 1, 2]), min_size=1, max_size=3, unique=True),
        "audience": st.sampled_from(Audience.values),
        "headcount": st.integers(0, 12),
        "days_ago": st.integers(0, 40),  # the period is the last 30 days
        # Sunny by her card code or as her linked duplicate (listed once either way),
        # Other by card code, and people by name.
        "sunny": st.sampled_from([None, "p0", "twin"]),
        "other": st.booleans(),
        "names": st.integers(0, 2),
        "quizzes": st.lists(
            st.tuples(st.sampled_from(["pre", "post"]), st.sets(st.sampled_from(AREAS))),
            max_size=3,
        ),
    }
)


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(sessions=st.lists(session, max_size=4))
def test_every_slice_of_random_trainings_equals_its_scope_alone(
    sessions, make_session, sam, olga, sue, downtown, eastside, participant
):
    # Each example has a period of its own, far from the others', so that none needs
    # to delete what the last one recorded.
    test_every_slice_of_random_trainings_equals_its_scope_alone.examples += 1
    today = timezone.localdate() - datetime.timedelta(
        days=100 * test_every_slice_of_random_trainings_equals_its_scope_alone.examples
    )
    other = Participant.objects.create(alias="Other", created_by=sam, enrolled_site=downtown)
    twin = Participant.objects.create(
        alias="Twin", created_by=sam, enrolled_site=downtown, merged_into=participant
    )
    people = {"p0": participant, "twin": twin}
    sites, staff = [downtown, eastside], [sam, olga, sue]
    for drawn in sessions:
        held = make_session(
            by=staff[drawn["trainers"][0]],
            trainers=[staff[i] for i in drawn["trainers"]],
            site=sites[drawn["site"]] if drawn["site"] is not None else None,
            place="" if drawn["site"] is not None else "Library",
            audience=drawn["audience"],
            headcount=drawn["headcount"],
            held_on=today - datetime.timedelta(days=drawn["days_ago"]),
        )
        listings = [{"name": "Rosa", "consent": True}] * drawn["names"]
        if drawn["sunny"]:
            listings.append({"participant": people[drawn["sunny"]]})
        if drawn["other"]:
            listings.append({"participant": other})
        for listing in listings:
            do_add_attendee(held, client_uuid=uuid.uuid4(), by=sam, **listing)
        for stage, right in drawn["quizzes"]:
            take_quiz(stage, right_areas=tuple(right), session=held)
    scope = Scope(today - datetime.timedelta(days=30), today)
    members = {
        "site": [downtown.pk, eastside.pk],
        "staff": [sam.pk, olga.pk, sue.pk],
        "type": TYPES,
    }
    assert_every_slice_equals_its_scope_alone(scope, members)


test_every_slice_of_random_trainings_equals_its_scope_alone.examples = 0


def test_kits_handed_out_are_counted_for_each_slice(
    make_session, sam, olga, downtown, sams_bag, catalog
):
    make_session(site=downtown, place="", headcount=9, supplies={catalog["naloxone"]: 4})
    make_session(trainers=[sam, olga], headcount=5, supplies={catalog["naloxone"]: 2})
    today = timezone.localdate()
    scope = Scope(today - datetime.timedelta(days=30), today)
    members = {"site": [downtown.pk], "staff": [sam.pk, olga.pk], "type": TYPES}
    assert_every_slice_equals_its_scope_alone(scope, members)
    assert metrics.training_figures(scope, by="staff")[olga.pk]["kits"]["naloxone_nasal"] == 2


def training_queries(members, scope):
    with CaptureQueriesContext(connection) as captured:
        standard.linked_reports(scope, members)
    return [q["sql"] for q in captured.captured_queries if '"training_' in q["sql"]]


def test_the_training_tables_cost_the_same_queries_however_many_slices(
    make_session, sam, olga, sue, downtown, eastside
):
    make_session(site=downtown, place="", headcount=9)
    make_session(trainers=[sam, olga], headcount=5)
    today = timezone.localdate()
    scope = Scope(today - datetime.timedelta(days=30), today)
    few = {"site": [downtown.pk], "staff": [sam.pk], "type": ["fixed"]}
    more_staff = [make_user(f"trainer{n}", "specialist", [eastside]) for n in range(6)]
    many = {
        "site": [downtown.pk, eastside.pk],
        "staff": [sam.pk, olga.pk, sue.pk, *(user.pk for user in more_staff)],
        "type": TYPES,
    }
    # Five for the whole program, five for each of the three breakdowns.
    assert len(training_queries(few, scope)) == 20
    assert len(training_queries(many, scope)) == 20
