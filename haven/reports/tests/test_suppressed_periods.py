"""Suppressed reports come for one kind of calendar period, so none overlaps another.

Audited one period at a time, a year's figure less its first three quarters'
would give the fourth quarter's hidden count, and custom dates a day apart
would give that day's. Periods of one kind do not overlap: their figures are
about different contacts, so nothing published for one says anything about
another.
"""

import csv
import datetime
import io
import re

import pytest
from django.urls import reverse

from haven.core.models import AuditEntry
from haven.reports import metrics, releases, standard
from haven.reports.models import DailyActivity, Release

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


NOT_OVER = {
    "en": "With small counts hidden, a report covers a period that is over",
    "es": "Con las cifras pequeñas ocultas, un informe abarca un período ya terminado",
}


def all_contacts(response):
    """The "All contacts" figure of a CSV download, or None when it has no figures."""
    if response.status_code != 200:
        return None
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    return next((row[1] for row in rows if row[:1] == ["All contacts"]), None)


def test_a_running_quarter_downloaded_on_two_days_does_not_give_that_days_count(
    login, ana, sam, downtown, busy_day, monkeypatch
):
    def on(day):
        monkeypatch.setattr("django.utils.timezone.localdate", lambda *args: day)

    busy_day(datetime.date(2026, 2, 1), sam_street=14)
    client = login(ana)
    quarter = {"period": "quarter", "year": "2026", "number": "1", "format": "csv"}
    on(datetime.date(2026, 3, 20))
    before = all_contacts(report(client, quarter))
    # Sam's three street contacts of 20 March: a count the report would hide.
    DailyActivity.objects.create(
        day=datetime.date(2026, 3, 20),
        staff=sam,
        site=downtown,
        contact_type="street",
        encounters=3,
    )
    on(datetime.date(2026, 3, 21))
    after = all_contacts(report(client, quarter))
    # The attacker subtracts one download from the other: there must be nothing to subtract.
    assert before is None or after is None, f"{after} - {before} contacts on 20 March"
    on(datetime.date(2026, 4, 1))
    assert all_contacts(report(client, quarter)) == "187"


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_period_not_yet_over_is_refused_with_hidden_counts_and_says_why(
    login, ana, max_manager, language, monkeypatch
):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *args: datetime.date(2026, 3, 31))
    running = {"period": "quarter", "year": "2026", "number": "1"}
    for wanted in ("", "csv", "xlsx", "pdf"):
        params = {**running, "format": wanted} if wanted else running
        response = report(login(ana), params, language)
        assert response.status_code == 400
        assert response["Content-Type"].startswith("text/html")
        assert NOT_OVER[language] in text(response)
        assert TURN_OFF[language] not in text(response)
    client = login(max_manager)
    hidden = report(client, {**running, "suppress": "on"}, language)
    assert hidden.status_code == 400
    assert NOT_OVER[language] in text(hidden) and TURN_OFF[language] in text(hidden)
    # Exact figures, for use inside the program, take a period still running.
    assert report(client, running).status_code == 200
    # A period that is over comes suppressed, for the analyst and the manager alike.
    over = {"period": "quarter", "year": "2025", "number": "4"}
    assert report(login(ana), over).context["report"].suppressed
    assert report(client, {**over, "suppress": "on"}).context["report"].suppressed


def test_a_changed_kind_of_period_releases_nothing_that_overlaps_a_released_period(
    login, ana, settings
):
    """Released quarters stay the only figures of their year: after the program turns
    to reporting by year, the year that holds them is refused, other years are not."""

    client = login(ana)
    assert report(client, {"period": "quarter", "year": "2025", "number": "2"}).status_code == 200
    assert Release.objects.count() == 1
    settings.SUPPRESSED_PERIOD = "year"
    for wanted in ["", "csv", "xlsx", "pdf"]:
        params = {"period": "year", "year": "2025"}
        refused = report(client, {**params, "format": wanted} if wanted else params)
        assert refused.status_code == 400
        assert refused["Content-Type"].startswith("text/html")  # no file, no figures
        assert "were already released for April 1, 2025 to June 30, 2025" in text(refused)
        assert "refusal" in refused.context and "report" not in refused.context
    spanish = report(client, {"period": "year", "year": "2025"}, "es")
    assert "Ya se publicaron, con las cifras pequeñas ocultas, las cifras del 1 de abril" in text(
        spanish
    )
    assert Release.objects.count() == 1  # nothing stored for the refused year
    assert not AuditEntry.objects.filter(page__startswith="report release 2025-01-01").exists()
    # A year that holds no released period is released as before.
    assert report(client, {"period": "year", "year": "2024"}).status_code == 200
    assert Release.objects.filter(start=datetime.date(2024, 1, 1)).exists()
    # And the quarter already out is still served from its release.
    settings.SUPPRESSED_PERIOD = "quarter"
    again = report(client, {"period": "quarter", "year": "2025", "number": "2"})
    assert again.status_code == 200 and again.context["report"].suppressed
    assert Release.objects.count() == 2


def test_a_first_release_overlapping_one_stored_meanwhile_is_undone(ana):
    """Two first releases of overlapping periods at once: the one stored second finds
    the first inside its own transaction (after the audit log's lock) and stores
    nothing, though its check before counting found no overlap."""
    quarter = metrics.Scope(datetime.date(2025, 4, 1), datetime.date(2025, 6, 30))
    releases.released_report("ssp", quarter, ana)
    year = metrics.Scope(datetime.date(2025, 1, 1), datetime.date(2025, 12, 31))
    with pytest.raises(releases.NotReleased):
        # What released_report does once its early check has passed.
        releases._store_release(year, standard.slice_of(year), ana)
    assert list(Release.objects.values_list("start", flat=True)) == [datetime.date(2025, 4, 1)]
