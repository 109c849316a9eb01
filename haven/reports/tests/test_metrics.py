import datetime

import pytest
from django.core.exceptions import ValidationError

from haven.reports import metrics
from haven.reports.metrics import Scope

from .conftest import Q1


@pytest.fixture
def q1(program):
    return Scope(*Q1)


def test_contacts_and_types(q1):
    assert metrics.contacts(q1) == 4
    assert metrics.contacts_by_type(q1) == {
        "fixed": 1,
        "mobile": 1,
        "street": 2,
        "mail": 0,
        "virtual": 0,
    }


def test_unique_participants_count_a_merged_duplicate_once(q1):
    assert metrics.unique_participants(q1) == 2


def test_anonymous_people_and_secondary_distribution(q1):
    assert metrics.anonymous_people(q1) == 3
    assert metrics.secondary_distribution_people(q1) == 2


def test_new_participants_leave_out_merged_duplicates(q1):
    assert metrics.new_participants(q1) == 2


def test_syringes_out_in_and_ratio(q1, sam, downtown):
    from haven.supplies.actions import do_collect_syringes
    from haven.supplies.models import StockLocation

    shelf = StockLocation.objects.create(name="Shelf", kind="site", site=downtown)
    collection = do_collect_syringes(location=shelf, site=downtown, syringes=60, by=sam)
    collection.occurred_at = datetime.datetime(2026, 3, 1, 12, tzinfo=datetime.UTC)
    type(collection).objects.filter(pk=collection.pk).update(occurred_at=collection.occurred_at)
    assert metrics.syringes_distributed(q1) == 120
    assert metrics.syringes_collected(q1) == 60
    assert metrics.syringe_return_ratio(q1) == 0.5


def test_naloxone_by_formulation_first_kit_refill_and_anonymous(q1):
    result = metrics.naloxone(q1)
    assert result["naloxone_nasal"] == {
        "kits": 4,
        "doses": 8,
        "first_kits": 1,
        "refills": 2,
        "anonymous": 1,
    }
    assert result["naloxone_injectable"] == {
        "kits": 1,
        "doses": 3,
        "first_kits": 1,
        "refills": 0,
        "anonymous": 0,
    }


def test_a_refill_in_the_next_quarter_is_not_a_first_kit(program):
    q2 = Scope(datetime.date(2026, 4, 1), datetime.date(2026, 6, 30))
    assert metrics.naloxone(q2)["naloxone_nasal"]["kits"] == 0
    assert metrics.syringes_distributed(q2) == 5


def test_services(q1):
    assert metrics.hiv_tests(q1) == 1
    assert metrics.hcv_tests(q1) == 0
    assert metrics.people_trained_in_overdose_response(q1) == 3


def test_demographics_of_people_served(q1):
    tables = metrics.demographics(q1)
    assert tables["age"] == {"35–44": 1, "65 and over": 1}
    assert tables["gender"] == {"woman": 1, "man": 1}
    assert tables["race_ethnicity"] == {"hispanic": 1, "not recorded": 1}
    assert tables["zip"] == {"85281": 1, "not recorded": 1}


def test_filters_by_site_staff_and_type(program, downtown, olga):
    downtown_only = Scope(*Q1, site_ids=(downtown.pk,))
    assert metrics.contacts(downtown_only) == 3
    assert metrics.unique_participants(downtown_only) == 1
    assert metrics.new_participants(downtown_only) == 1
    olgas = Scope(*Q1, staff_ids=(olga.pk,))
    assert metrics.contacts(olgas) == 1
    assert metrics.naloxone(olgas)["naloxone_injectable"]["first_kits"] == 1
    street = Scope(*Q1, contact_types=("street",))
    assert metrics.contacts(street) == 2
    assert metrics.naloxone(street)["naloxone_nasal"] == {
        "kits": 3,
        "doses": 6,
        "first_kits": 0,
        "refills": 2,
        "anonymous": 1,
    }


def test_a_period_that_ends_before_it_starts_is_refused():
    with pytest.raises(ValidationError, match="ends before it starts"):
        Scope(datetime.date(2026, 3, 1), datetime.date(2026, 2, 1))


def test_a_period_longer_than_three_years_is_refused():
    with pytest.raises(ValidationError, match="at most three years"):
        Scope(datetime.date(2020, 1, 1), datetime.date(2026, 1, 1))


def test_age_groups():
    assert metrics.age_group(2000, 2026) == "25–34"
    assert metrics.age_group(None, 2026) == "not recorded"
    assert metrics.age_group(2010, 2026) == "under 18"
