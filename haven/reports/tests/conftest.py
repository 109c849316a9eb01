"""A small program with known answers, for the metrics and reports tests.

First quarter of 2026, at Downtown (Sam) and Eastside (Olga):

| contact | who | where, type | when | supplies | services |
|---|---|---|---|---|---|
| E1 | P1 | Downtown, fixed | Jan 10 | 1 nasal naloxone, 20 syringes | support; 2 secondary |
| E2 | P3 (a duplicate of P1) | Downtown, street | Feb 1 | 2 nasal naloxone | |
| E3 | P2 | Eastside, mobile | Mar 5 | 1 injectable naloxone | HIV test |
| E4 | anonymous, 3 | Downtown, street | Mar 20 | 1 nasal naloxone, 100 syringes | OD training |
| E5 | P2 | Eastside, mobile | Apr 2 (next quarter) | 5 syringes | |
"""

import datetime
import uuid
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings

from haven.outreach.actions import EncounterData, do_record_encounter
from haven.outreach.models import Service
from haven.overdose.models import Area, DrugCheck, Substance
from haven.participants.actions import do_merge_participants
from haven.participants.models import Participant
from haven.reports.models import DailyActivity
from haven.supplies.models import Item

Q1 = (datetime.date(2026, 1, 1), datetime.date(2026, 3, 31))


def at(month, day, hour=11):
    return datetime.datetime(2026, month, day, hour, tzinfo=ZoneInfo(settings.TIME_ZONE))


@pytest.fixture
def busy_day(sam, olga, sue, max_manager, downtown, eastside):
    """Records a busy day's contacts by staff, site and type, as the daily
    summary holds them: every count large but Sam's street contacts."""

    def record(day, sam_street=4):
        rows = [
            (sam, downtown, "fixed", 40),
            (sam, downtown, "street", sam_street),
            (olga, eastside, "mobile", 30),
            (olga, eastside, "street", 20),
            (sue, downtown, "fixed", 20),
            (sue, downtown, "street", 25),
            (max_manager, downtown, "fixed", 35),
        ]
        DailyActivity.objects.bulk_create(
            DailyActivity(day=day, staff=staff, site=site, contact_type=kind, encounters=n)
            for staff, site, kind, n in rows
        )

    return record


@pytest.fixture
def program(sam, olga, sue, downtown, eastside, catalog):
    injectable = Item.objects.create(
        name="Naloxone injectable",
        category="naloxone",
        reporting_group="naloxone_injectable",
        doses_per_unit=3,
        max_per_contact=10,
    )
    training = Service.objects.create(
        code="od-training",
        name="Overdose response training",
        kind="education",
        reporting_group="overdose_education",
    )
    catalog["hiv_test"].reporting_group = "hiv_test"
    catalog["hiv_test"].save()
    p1 = Participant.objects.create(
        alias="P1",
        year_of_birth=1990,
        gender="woman",
        race_ethnicity="hispanic",
        zip_code="85281",
        enrolled_at=at(1, 2),
        enrolled_site=downtown,
        created_by=sam,
    )
    p2 = Participant.objects.create(
        alias="P2",
        year_of_birth=1960,
        gender="man",
        enrolled_at=at(1, 3),
        enrolled_site=eastside,
        created_by=olga,
    )
    p3 = Participant.objects.create(
        alias="P3",
        year_of_birth=1990,
        enrolled_at=at(1, 20),
        enrolled_site=downtown,
        created_by=sam,
    )

    def log(
        staff, site, kind, when, participant=None, people=0, supplies=None, services=(), secondary=0
    ):
        data = EncounterData(
            client_uuid=uuid.uuid4(),
            site=site,
            contact_type=kind,
            occurred_at=when,
            participant=participant,
            anonymous_people=people,
            supplies=supplies or {},
            services=list(services),
            secondary_people=secondary,
        )
        return do_record_encounter(data, staff=staff)[0]

    nasal, syringes = catalog["naloxone"], catalog["syringes"]
    log(
        sam,
        downtown,
        "fixed",
        at(1, 10),
        p1,
        supplies={nasal: 1, syringes: 20},
        services=[catalog["support"]],
        secondary=2,
    )
    log(sam, downtown, "street", at(2, 1), p3, supplies={nasal: 2})
    log(
        olga,
        eastside,
        "mobile",
        at(3, 5),
        p2,
        supplies={injectable: 1},
        services=[catalog["hiv_test"]],
    )
    log(
        sam,
        downtown,
        "street",
        at(3, 20),
        people=3,
        supplies={nasal: 1, syringes: 100},
        services=[training],
    )
    log(olga, eastside, "mobile", at(4, 2), p2, supplies={syringes: 5})
    # The duplicate is found after the fact.
    do_merge_participants(duplicate=p3, keeper=p1, by=sue)
    return {"p1": p1, "p2": p2, "p3": p3, "injectable": injectable, "training": training}


@pytest.fixture
def quarter(program, busy_day, downtown, eastside, sam, olga, sue, max_manager):
    """The first quarter of 2026: the small program's contacts, a busy day's, and twelve
    drug checks at Downtown."""
    busy_day(datetime.date(2026, 2, 2))
    area = Area.objects.create(code="85281", name="85281 Downtown", kind=Area.Kind.ZIP)
    DrugCheck.objects.bulk_create(
        DrugCheck(
            checked_on=datetime.date(2026, 2, 3),
            area=area,
            sold_as=Substance.values[0],
            sample_form="powder",
            method="fentanyl_strip",
            result="positive",
            site=downtown,
            recorded_by=sam,
        )
        for _ in range(12)
    )
    return {
        "sites": {"downtown": downtown, "eastside": eastside},
        "staff": {"sam": sam, "olga": olga, "sue": sue, "max": max_manager},
        "program": program,
    }
