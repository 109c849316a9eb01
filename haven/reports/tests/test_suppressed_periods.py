"""Suppressed reports come for one kind of calendar period, so none overlaps another.

Audited one period at a time, a year's figure less its first three quarters'
would give the fourth quarter's hidden count, and custom dates a day apart
would give that day's. Periods of one kind do not overlap: their figures are
about different contacts, so nothing published for one says anything about
another.
"""

import re

import pytest
from django.urls import reverse

REFUSED = {
    "en": "With small counts hidden, reports cover one calendar period of one kind",
    "es": "Con las cifras pequeñas ocultas, los informes abarcan un período",
}
TURN_OFF = {
    "en": "turn off hiding small counts",
    "es": "desactive la ocultación de cifras pequeñas",
}
OVERLAPPING = [
    {"period": "year", "year": "2025"},
    {"period": "month", "year": "2025", "number": "12"},
    {"period": "custom", "start": "2025-01-01", "end": "2025-06-29"},
]


def report(client, params, language="en"):
    return client.get(
        reverse("reports:report", args=["ssp"]), params, HTTP_ACCEPT_LANGUAGE=language
    )


def text(response):
    return " ".join(response.content.decode().split())


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("wanted", ["", "csv", "xlsx", "pdf"])
@pytest.mark.parametrize("period", OVERLAPPING)
def test_an_analyst_gets_no_figures_for_a_period_that_overlaps_the_quarters(
    login, ana, language, wanted, period
):
    params = {**period, "format": wanted} if wanted else period
    response = report(login(ana), params, language)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")  # no file, no figures
    assert REFUSED[language] in text(response)
    # Analysts may not turn hiding off: the message does not suggest it.
    assert TURN_OFF[language] not in text(response)


def test_an_analyst_gets_quarters(login, ana):
    response = report(login(ana), {"period": "quarter", "year": "2025", "number": "4"})
    assert response.status_code == 200
    assert response.context["report"].suppressed


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_manager_hiding_small_counts_is_told_to_choose_a_quarter_or_stop_hiding(
    login, max_manager, language
):
    client = login(max_manager)
    response = report(client, {"period": "year", "year": "2025", "suppress": "on"}, language)
    assert response.status_code == 400
    assert REFUSED[language] in text(response) and TURN_OFF[language] in text(response)
    # Exact figures, for use inside the program, take any period.
    exact = report(client, {"period": "custom", "start": "2025-01-01", "end": "2025-06-29"})
    assert exact.status_code == 200 and not exact.context["report"].suppressed


def test_a_program_that_reports_by_year_shares_years_only(login, ana, settings):
    settings.SUPPRESSED_PERIOD = "year"
    client = login(ana)
    first = client.get(reverse("reports:report", args=["ssp"]))
    assert first.status_code == 200
    assert first.context["form"].cleaned_data["period"] == "year"
    assert report(client, {"period": "year", "year": "2025"}).status_code == 200
    quarter = report(client, {"period": "quarter", "year": "2025", "number": "4"})
    assert quarter.status_code == 400 and "Choose a year." in text(quarter)


def offered(response, name):
    """The values of the options a <select> shows."""
    select = re.search(rf'<select name="{name}".*?</select>', response.content.decode(), re.S)
    return re.findall(r'<option value="([^"]*)"', select.group(0))


@pytest.mark.parametrize("kind", ["month", "quarter", "year"])
def test_an_analyst_is_offered_only_the_kind_of_period_suppressed_figures_come_for(
    login, ana, settings, kind
):
    settings.SUPPRESSED_PERIOD = kind
    response = login(ana).get(reverse("reports:report", args=["ssp"]))
    assert response.status_code == 200
    assert offered(response, "period") == [kind]
    page = response.content.decode()
    # Custom dates are never offered to an analyst; a year needs no number.
    assert 'name="start"' not in page and 'name="end"' not in page
    assert ('name="number"' in page) == (kind != "year")


def test_an_analyst_asked_for_a_quarter_is_asked_for_a_quarter_number(login, ana):
    response = login(ana).get(reverse("reports:report", args=["ssp"]))
    assert "Quarter (1–4)" in text(response)
    assert "Month (1–12) or quarter (1–4)" not in text(response)


def test_a_manager_is_offered_every_kind_and_told_which_one_hidden_counts_come_for(
    login, max_manager
):
    response = login(max_manager).get(reverse("reports:report", args=["ssp"]))
    assert offered(response, "period") == ["month", "quarter", "year", "custom"]
    page = response.content.decode()
    # The form says which kind, for the page's script (reports/filters.js) to offer
    # only that one when "hide small counts" is ticked.
    assert 'data-suppressed-period="quarter"' in page
    assert "With small counts hidden, a report covers one quarter." in text(response)
    assert 'name="start"' in page and "reports/filters.js" in page


def test_spanish_names_the_kind_of_period(login, ana):
    response = report(login(ana), {}, "es")
    assert "Con las cifras pequeñas ocultas, un informe abarca un trimestre." in text(response)
