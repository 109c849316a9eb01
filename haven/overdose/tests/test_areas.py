"""The staff area view: reported overdoses, reversals and positive checks by area and week."""

import base64
import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from haven.overdose.figures import by_area_and_week
from haven.overdose.models import DrugCheck, OverdoseReport


def report(area, days_ago, **values):
    return OverdoseReport.objects.create(
        occurred_at=timezone.now() - datetime.timedelta(days=days_ago),
        area=area,
        reported_by="staff",
        **values,
    )


def test_counts_by_area_and_week(sam, downtown, area, other_area):
    report(area, 0, naloxone_doses=2, outcome="survived")
    report(area, 0, naloxone_doses=1, outcome="died")
    report(other_area, 0)
    report(area, 100)  # outside the weeks shown
    DrugCheck.objects.create(
        checked_on=timezone.localdate(),
        area=area,
        site=downtown,
        recorded_by=sam,
        sold_as="heroin",
        sample_form="powder",
        method="fentanyl_strip",
        result="positive",
    )
    table = by_area_and_week(4)
    assert len(table["weeks"]) == 4
    this_week = [row for row in table["rows"] if row["week"] == table["weeks"][-1]]
    assert {
        row["area"]: (row["reports"], row["reversals"], row["positive_checks"]) for row in this_week
    } == {
        area.name: (2, 1, 1),
        other_area.name: (1, 0, 0),
    }
    assert sum(row["reports"] for row in table["rows"]) == 3


def test_area_view_shows_table_and_chart_in_few_queries(
    sue, login, area, django_assert_max_num_queries
):
    for days in range(0, 60, 3):
        report(area, days)
    client = login(sue)
    with django_assert_max_num_queries(6):
        page = client.get(reverse("overdose:areas") + "?weeks=12")
    assert page.status_code == 200
    assert area.name.encode() in page.content
    # Small multiples, as pictures in the page (pygal's <style> would break the CSP).
    multiples = page.context["multiples"]
    assert [multiple["area"] for multiple in multiples] == [area.name]
    assert page.content.count(b'src="data:image/svg+xml;base64,') == 1
    svg = base64.b64decode(multiples[0]["src"].split(",", 1)[1]).decode()
    assert "<svg" in svg and "<script" not in svg
    # No script from a CDN: the chart is drawn on the server and works offline.
    assert "kozea.github.io" not in svg


def test_weeks_out_of_range_are_clamped(sam, login):
    response = login(sam).get(reverse("overdose:areas") + "?weeks=9999")
    assert response.context["weeks"] == 104
    response = login(sam).get(reverse("overdose:areas") + "?weeks=abc")
    assert response.context["weeks"] == 12


def test_admin_cannot_see_the_area_view(adam, login):
    client = login(adam)
    assert client.get(reverse("overdose:areas")).status_code == 403


@pytest.mark.parametrize("name", ["areas", "spike_map", "drug_checks"])
def test_analysts_get_no_exact_counts_outside_the_suppressed_reports(name, ana, adam, login, area):
    """Counts by area, week or method would undo the reports' hidden small counts."""
    report(area, 1)
    for user in (ana, adam):
        assert login(user).get(reverse(f"overdose:{name}")).status_code == 403
