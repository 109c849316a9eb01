"""Drug checking results and the share positive by method and period."""

import datetime
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from haven.overdose.figures import share_positive
from haven.overdose.models import DrugCheck


def check_form(the_area, site, **changes):
    data = {
        "client_uuid": str(uuid.uuid4()),
        "checked_on": timezone.localdate().isoformat(),
        "site": site.pk,
        "area": the_area.pk,
        "sold_as": "heroin",
        "sample_form": "powder",
        "method": "fentanyl_strip",
        "result": "positive",
        "substances_found": ["fentanyl"],
    }
    data.update(changes)
    return data


def test_specialist_records_a_drug_check(sam, login, area, downtown):
    response = login(sam).post(reverse("overdose:drug_check_new"), check_form(area, downtown))
    assert response.status_code == 302
    check = DrugCheck.objects.get()
    assert (check.method, check.result, check.substances_found) == (
        "fentanyl_strip",
        "positive",
        ["fentanyl"],
    )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        (
            {"checked_on": (timezone.localdate() + datetime.timedelta(days=2)).isoformat()},
            "checked_on",
        ),
        ({"area": "0"}, "area"),
        ({"method": "tasting"}, "method"),
    ],
)
def test_bad_drug_check_is_refused_next_to_the_field(sam, login, area, downtown, changes, field):
    response = login(sam).post(
        reverse("overdose:drug_check_new"), check_form(area, downtown, **changes)
    )
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not DrugCheck.objects.exists()


def test_specialist_cannot_record_a_check_at_another_site(olga, login, area, downtown):
    response = login(olga).post(reverse("overdose:drug_check_new"), check_form(area, downtown))
    assert response.status_code == 400
    assert not DrugCheck.objects.exists()


def make_check(area, site, user, method, result, days_ago=0):
    DrugCheck.objects.create(
        checked_on=timezone.localdate() - datetime.timedelta(days=days_ago),
        area=area,
        site=site,
        recorded_by=user,
        sold_as="heroin",
        sample_form="powder",
        method=method,
        result=result,
    )


def test_share_positive_leaves_inconclusive_results_out(sam, area, downtown):
    for result in ["positive", "positive", "positive", "negative", "inconclusive"]:
        make_check(area, downtown, sam, "fentanyl_strip", result)
    make_check(area, downtown, sam, "xylazine_strip", "negative")
    rows = {row["method"]: row for row in share_positive("quarter")}
    assert rows["fentanyl_strip"]["share"] == 75
    assert rows["fentanyl_strip"]["inconclusive"] == 1
    assert rows["xylazine_strip"]["share"] == 0


def test_drug_checks_page_in_few_queries(
    sue, sam, login, area, downtown, django_assert_max_num_queries
):
    for days in range(0, 200, 10):
        make_check(area, downtown, sam, "fentanyl_strip", "positive", days_ago=days)
    client = login(sue)
    with django_assert_max_num_queries(6):
        response = client.get(reverse("overdose:drug_checks") + "?period=month")
    assert response.status_code == 200
    assert b"Share positive" in response.content


def test_analysts_and_admins_cannot_record_checks(ana, adam, login, area, downtown):
    for user in (ana, adam):
        client = login(user)
        assert client.get(reverse("overdose:drug_check_new")).status_code == 403
        assert (
            client.post(reverse("overdose:drug_check_new"), check_form(area, downtown)).status_code
            == 403
        )
    assert login(adam).get(reverse("overdose:drug_checks")).status_code == 403
