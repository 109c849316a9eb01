"""The daily summaries always equal direct counts over the raw records."""

import datetime
import uuid
from collections import Counter
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from haven.outreach.actions import EncounterData, do_edit_encounter, do_record_encounter
from haven.outreach.models import Encounter, EncounterSupply
from haven.participants.actions import do_merge_participants, do_update_participant
from haven.participants.models import Participant
from haven.reports import metrics, served, summaries
from haven.reports.models import (
    CachedFigures,
    DailyActivity,
    DailyService,
    DailySupply,
    FirstNaloxoneLine,
    MonthlySupply,
    ServedMonth,
)

LOCAL = ZoneInfo(settings.TIME_ZONE)


def direct_counts():
    """What the summaries should hold, counted straight from the raw records."""
    activity, supply, service = Counter(), Counter(), Counter()
    for encounter in Encounter.objects.prefetch_related("supplies", "services"):
        key = (
            timezone.localdate(encounter.occurred_at),
            encounter.site_id,
            encounter.staff_id,
            encounter.contact_type,
        )
        activity[key + ("encounters",)] += 1
        activity[key + ("anonymous_people",)] += encounter.anonymous_people
        activity[key + ("secondary_people",)] += encounter.secondary_people
        for line in encounter.supplies.all():
            supply[key + (line.item_id,)] += line.quantity
            if encounter.participant_id is None:
                supply[key + (line.item_id, "anonymous")] += line.quantity
        for each in encounter.services.all():
            service[key + (each.pk,)] += 1
    return +activity, +supply, +service


def summary_counts():
    activity, supply, service = Counter(), Counter(), Counter()
    for row in DailyActivity.objects.all():
        key = (row.day, row.site_id, row.staff_id, row.contact_type)
        activity[key + ("encounters",)] += row.encounters
        activity[key + ("anonymous_people",)] += row.anonymous_people
        activity[key + ("secondary_people",)] += row.secondary_people
    for row in DailySupply.objects.all():
        key = (row.day, row.site_id, row.staff_id, row.contact_type, row.item_id)
        supply[key] += row.quantity
        supply[key + ("anonymous",)] += row.anonymous_quantity
    for row in DailyService.objects.all():
        service[(row.day, row.site_id, row.staff_id, row.contact_type, row.service_id)] += (
            row.encounters
        )
    return +activity, +supply, +service


def first_naloxone_direct():
    firsts = {}
    lines = EncounterSupply.objects.filter(
        item__category="naloxone", encounter__participant__isnull=False
    )
    for line in lines.select_related("encounter__participant"):
        root = line.encounter.participant.canonical().pk
        when = line.encounter.occurred_at
        firsts[root] = min(when, firsts.get(root, when))
    return firsts


def monthly_supply_direct():
    """What MonthlySupply should hold: the direct supply counts by month, for everyone
    and for each site, staff member and contact type."""
    monthly = Counter()
    for key, n in direct_counts()[1].items():
        day, site, staff, contact_type, item, *anonymous = key
        for dimension, member in (
            ("all", ""),
            ("site", str(site)),
            ("staff", str(staff)),
            ("type", contact_type),
        ):
            monthly[(dimension, member, day.replace(day=1), item, *anonymous)] += n
    return +monthly


def monthly_supply_stored():
    monthly = Counter()
    for row in MonthlySupply.objects.all():
        key = (row.dimension, row.member, row.month, row.item_id)
        monthly[key] += row.quantity
        monthly[(*key, "anonymous")] += row.anonymous_quantity
    return +monthly


def first_naloxone_lines_direct():
    """The naloxone lines of each kept record's first naloxone contacts, from the raw records."""
    firsts = first_naloxone_direct()
    rows = set()
    lines = EncounterSupply.objects.filter(
        encounter__participant__isnull=False, item__category="naloxone"
    )
    for line in lines.select_related("encounter__participant"):
        encounter = line.encounter
        root = encounter.participant.canonical().pk
        if firsts.get(root) == encounter.occurred_at:
            rows.add(
                (
                    root,
                    encounter.pk,
                    line.item_id,
                    line.quantity,
                    timezone.localdate(encounter.occurred_at),
                    encounter.site_id,
                    encounter.staff_id,
                    encounter.contact_type,
                )
            )
    return rows


def first_naloxone_lines_stored():
    rows = FirstNaloxoneLine.objects.values_list(
        "participant_id",
        "encounter_id",
        "item_id",
        "quantity",
        "day",
        "site_id",
        "staff_id",
        "contact_type",
    )
    stored = list(rows)
    assert len(stored) == len(set(stored))
    return set(stored)


def supplies_direct(scope):
    """{item id: (units, units at anonymous contacts)} counted from the raw supply lines."""
    totals = {}
    for line in EncounterSupply.objects.filter(scope.encounters("encounter__")).select_related(
        "encounter"
    ):
        units, anonymous = totals.get(line.item_id, (0, 0))
        totals[line.item_id] = (
            units + line.quantity,
            anonymous + (line.quantity if line.encounter.participant_id is None else 0),
        )
    return totals


steps = st.lists(
    st.one_of(
        st.tuples(
            st.just("create"),
            st.integers(0, 3),
            st.integers(0, 40),
            st.integers(0, 23),
            st.integers(0, 12),
            st.booleans(),
            st.sampled_from(["fixed", "street"]),
            st.integers(0, 3),  # syringes: lines that are not naloxone stay out
        ),
        st.tuples(
            st.just("edit"),
            st.integers(0, 50),
            st.integers(0, 40),
            st.integers(0, 23),
            st.integers(0, 12),
            st.booleans(),
            st.sampled_from(["fixed", "street"]),
            st.integers(0, 3),  # syringes: lines that are not naloxone stay out
        ),
        st.tuples(st.just("merge"), st.integers(0, 3), st.integers(0, 3)),
        st.tuples(
            st.just("answers"),
            st.integers(0, 3),
            st.sampled_from([None, 1950, 2001]),
            st.sampled_from(["", "woman", "man"]),
        ),
    ),
    min_size=1,
    max_size=12,
)

# Past periods of the random programs below (they start on 2026-03-01), as days from
# the start: whole months, a part of one, a few days.
PERIODS = ((0, 40), (3, 33), (0, 30), (10, 12))


def assert_cached_figures_hold(start):
    """Every cached figure of every period equals the same figure counted afresh.

    Each call reads what the call before stored, so a write in between that
    did not move the data version on leaves a stale figure here.
    """
    for first_day, last_day in PERIODS:
        for filters in ({}, {"contact_types": ("street",)}):
            scope = metrics.Scope(
                start + datetime.timedelta(days=first_day),
                start + datetime.timedelta(days=last_day),
                **filters,
            )
            assert metrics.is_finished(scope)
            cached = metrics.CachedContactFigures(scope)
            for name, (count, _from_stored) in metrics.CACHED_FIGURES.items():
                # Rows by item or service come in no particular order.
                figure, counted = cached.figure(name), count(scope)
                if isinstance(counted, list):
                    figure, counted = sorted(figure), sorted(counted)
                assert figure == counted, (name, scope)


def assert_people_served_hold(start):
    """The people served of any period, from the monthly sets of records (stored ones,
    counted again after a write into their month, and live days) with merges and answers
    applied, equal a count from the contacts, wherever today falls."""
    for first_day, last_day in (*PERIODS, (0, 70), (31, 61)):
        first = start + datetime.timedelta(days=first_day)
        last = start + datetime.timedelta(days=last_day)
        direct = metrics.people_served_from_contacts(metrics.Scope(first, last))
        for today_day in (15, 35, 100):
            today = start + datetime.timedelta(days=today_day)
            people, answer_sets = served.people_served(first, last, today=today)
            assert metrics.demographics_of_sets(people, answer_sets, last.year) == direct, (
                first,
                last,
                today,
            )


@hypothesis_settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=steps)
# A contact logged late, before a first naloxone kit of a past period: that period's
# first kits change though the new contact is not in it.
@example(
    steps=[("create", 0, 11, 9, 1, False, "street", 0), ("create", 0, 1, 9, 1, False, "street", 0)]
)
# A first kit edited away: the participant's next naloxone, on a contact nobody edited,
# becomes the first kit of a period cached before.
@example(
    steps=[
        ("create", 0, 1, 9, 1, False, "street", 0),
        ("create", 0, 9, 9, 1, False, "street", 0),
        ("edit", 0, 1, 9, 0, False, "street", 0),
    ]
)
# A contact late on a month's last day: on another UTC day, in the month of its local day.
@example(steps=[("create", 0, 30, 20, 0, False, "street", 0)])
# Two people served, then found to be one: every period's people served change.
@example(
    steps=[
        ("create", 0, 5, 9, 0, False, "street", 0),
        ("create", 1, 6, 9, 0, False, "street", 0),
        ("merge", 1, 0),
    ]
)
def test_summaries_equal_direct_counts_after_any_sequence_of_writes(
    steps, sam, sue, downtown, catalog
):
    # As a rebuild does: the activity rows' changes start again from zero.
    for model in (*summaries.SUMMARIES, CachedFigures, ServedMonth):
        model.objects.all().delete()
    EncounterSupply.objects.all().delete()
    Encounter.services.through.objects.all().delete()
    Encounter.objects.all().delete()
    # Participants stay (the audit log holds on to them): each example has its own.
    people = [
        Participant.objects.create(alias=f"P{n}", created_by=sam, enrolled_site=downtown)
        for n in range(4)
    ]
    start = datetime.datetime(2026, 3, 1, tzinfo=LOCAL)
    assert_cached_figures_hold(start.date())
    assert_people_served_hold(start.date())
    for step in steps:
        kind = step[0]
        if kind == "merge":
            duplicate, keeper = people[step[1]], people[step[2]]
            try:
                do_merge_participants(duplicate=duplicate, keeper=keeper, by=sue)
            except Exception:  # noqa: BLE001 - a refused merge changes nothing
                pass
            assert_cached_figures_hold(start.date())
            assert_people_served_hold(start.date())
            continue
        if kind == "answers":
            _kind, who, year_of_birth, gender = step
            person = Participant.objects.get(pk=people[who].pk)
            do_update_participant(person, by=sue, year_of_birth=year_of_birth, gender=gender)
            assert_cached_figures_hold(start.date())
            assert_people_served_hold(start.date())
            continue
        _kind, who, days, hour, naloxone, with_service, contact_type, syringes = step
        data = EncounterData(
            client_uuid=uuid.uuid4(),
            site=downtown,
            contact_type=contact_type,
            occurred_at=start + datetime.timedelta(days=days, hours=hour),
            participant=people[who] if who < 3 else None,
            anonymous_people=0 if who < 3 else 2,
            supplies={catalog["naloxone"]: min(naloxone, 10), catalog["syringes"]: syringes},
            services=[catalog["support"]] if with_service else [],
        )
        if kind == "create":
            do_record_encounter(data, staff=sam)
        else:
            encounters = list(Encounter.objects.order_by("pk"))
            if encounters:
                do_edit_encounter(encounters[who % len(encounters)], data, editor=sam)
        assert_cached_figures_hold(start.date())
        assert_people_served_hold(start.date())
    assert summary_counts() == direct_counts()
    stored = {
        p.pk: p.first_naloxone_at
        for p in Participant.objects.filter(pk__in=[p.pk for p in people])
        if p.first_naloxone_at
    }
    assert stored == first_naloxone_direct()
    assert first_naloxone_lines_stored() == first_naloxone_lines_direct()
    assert monthly_supply_stored() == monthly_supply_direct()
    # Supply figures read from whole months and edge days equal a direct count, for
    # any period, whole program or one member of a breakdown, or grouped by each.
    for first_day, last_day in ((0, 40), (3, 33), (0, 30), (10, 12)):
        period = (
            start.date() + datetime.timedelta(days=first_day),
            start.date() + datetime.timedelta(days=last_day),
        )
        for filters in (
            {},
            {"site_ids": (downtown.pk,)},
            {"staff_ids": (sam.pk,)},
            {"contact_types": ("street",)},
        ):
            scope = metrics.Scope(*period, **filters)
            assert metrics.supplies_by_item(scope) == supplies_direct(scope)
        whole = metrics.Scope(*period)
        for by, field in (("site", "site_id"), ("staff", "staff_id"), ("type", "contact_type")):
            grouped = metrics.supplies_by_item(whole, by=by)
            for member in Encounter.objects.values_list(field, flat=True).distinct():
                alone = metrics.Scope(*period, **{metrics.DIMENSION_FILTERS[by]: (member,)})
                assert grouped[member] == supplies_direct(alone)
    # And a full rebuild agrees with what the writes kept.
    kept = summary_counts(), first_naloxone_lines_stored(), monthly_supply_stored()
    summaries.rebuild_all()
    assert (summary_counts(), first_naloxone_lines_stored(), monthly_supply_stored()) == kept
    assert_cached_figures_hold(start.date())
    assert_people_served_hold(start.date())


def test_a_report_equals_a_direct_count(program):
    scope = metrics.Scope(datetime.date(2026, 1, 1), datetime.date(2026, 12, 31))
    start, end = scope.bounds
    raw = Encounter.objects.filter(occurred_at__gte=start, occurred_at__lt=end)
    assert metrics.contacts(scope) == raw.count()
    assert metrics.syringes_distributed(scope) == sum(
        EncounterSupply.objects.filter(
            encounter__in=raw, item__reporting_group="syringes"
        ).values_list("quantity", flat=True)
    )
