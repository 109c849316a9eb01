import base64
import csv
import datetime
import io
import zlib

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from haven.core.models import AuditEntry
from haven.core.tests.pdf_pictures import assert_printable

Q1_QUERY = {"period": "quarter", "year": "2026", "number": "1"}


def report(client, slug, **params):
    return client.get(reverse("reports:report", args=[slug]), {**Q1_QUERY, **params})


def rows_of(response):
    return {
        label: value
        for table in response.context["report"].tables
        for label, value in [*table.rows, *table.notes]
    }


@pytest.mark.parametrize(
    ("name", "allowed"),
    [
        ("reports:index", {"supervisor", "manager", "analyst"}),
        ("reports:dashboard", {"supervisor", "manager"}),
    ],
)
def test_each_role_is_let_in_or_refused(name, allowed, personas, login):
    for role, user in personas.items():
        status = login(user).get(reverse(name)).status_code
        assert status == (200 if role in allowed else 403), (role, name)


def test_specialists_and_admins_cannot_read_reports(personas, login):
    for role in ("specialist", "other_site_specialist", "admin"):
        response = report(login(personas[role]), "ssp")
        assert response.status_code == 403


def test_the_ssp_report_shows_the_defined_figures(login, max_manager, program):
    figures = rows_of(report(login(max_manager), "ssp"))
    assert figures["All contacts"] == 4
    assert figures["Unique participants served"] == 2
    assert figures["Syringes distributed"] == 120
    assert figures["HIV tests"] == 1


def test_the_naloxone_report_splits_first_kits_and_refills(login, max_manager, program):
    figures = rows_of(report(login(max_manager), "naloxone"))
    assert figures["First kits"] == 1
    assert figures["Refills"] == 0  # injectable is the last table read
    response = report(login(max_manager), "naloxone")
    nasal = response.context["report"].tables[0]
    assert nasal.rows == [
        ("First kits", 1),
        ("Refills", 2),
        ("To anonymous contacts", 1),
        ("All kits", 4),
    ]
    assert nasal.notes == [("Doses", "8")]


def test_a_quarter_too_small_to_show_safely_says_so_instead_of_a_table_of_marks(
    login, max_manager, program
):
    # Four contacts: every count is small, and no table of them can be protected.
    response = report(login(max_manager), "naloxone", suppress="on")
    built = response.context["report"]
    assert built.suppressed and built.too_small
    assert built.tables == []
    content = response.content.decode()
    assert "no figure can be shown safely" in content
    assert "Small counts suppressed (1–10 hidden; protection width 10)" in content


def test_analysts_get_suppressed_figures_by_default(login, ana, program):
    response = login(ana).get(reverse("reports:report", args=["ssp"]))
    assert response.status_code == 200
    assert response.context["report"].suppressed


def test_internal_views_show_exact_figures_by_default(login, max_manager, program):
    response = login(max_manager).get(reverse("reports:report", args=["ssp"]))
    assert not response.context["report"].suppressed


def test_supervisors_only_report_on_their_sites(login, sue, program, eastside):
    response = report(login(sue), "ssp")
    assert rows_of(response)["All contacts"] == 3  # Downtown only
    refused = report(login(sue), "ssp", site=eastside.pk)
    assert refused.status_code == 400
    assert "Select a valid choice" in refused.content.decode()


def test_a_site_filter_changes_the_figures(login, max_manager, program, eastside):
    figures = rows_of(report(login(max_manager), "ssp", site=eastside.pk))
    assert figures["All contacts"] == 1


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"period": "custom", "start": "2026-03-01", "end": "2026-02-01"}, "ends before it starts"),
        ({"period": "custom", "start": "2026-03-01"}, "Enter both dates"),
        ({"period": "quarter", "number": "7"}, "A quarter is 1 to 4"),
        ({"period": "custom", "start": "2019-01-01", "end": "2026-01-01"}, "at most three years"),
        ({"site": "99999"}, "Select a valid choice"),
    ],
)
def test_bad_periods_and_filters_get_clear_messages(login, max_manager, params, message):
    response = report(login(max_manager), "ssp", **params)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_xlsx_export_opens_and_holds_the_figures(login, max_manager, program):
    response = report(login(max_manager), "ssp", format="xlsx")
    assert response["Content-Disposition"].endswith('.xlsx"')
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = {row[0]: row[1] for row in sheet.iter_rows(values_only=True) if row[0]}
    assert values["All contacts"] == 4
    assert values["Syringes distributed"] == 120
    assert AuditEntry.objects.filter(page="report ssp xlsx").exists()


def test_pdf_export_is_a_real_pdf_with_the_figures(login, max_manager, program):
    response = report(login(max_manager), "grant", format="pdf")
    assert response.content.startswith(b"%PDF")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "Grant progress report" in text
    assert "Unique participants served" in text
    assert_printable(response.content)


def test_csv_export_of_a_quarter_too_small_says_so(login, max_manager, program):
    response = report(login(max_manager), "naloxone", format="csv", suppress="on")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    text = "\n".join(",".join(row) for row in rows)
    assert "Small counts suppressed (1–10 hidden; protection width 10)" in text
    assert "no figure can be shown safely" in text
    assert not any(row[:1] == ["First kits"] for row in rows)


def test_exact_figures_say_they_are_for_internal_use(login, max_manager, program):
    response = report(login(max_manager), "naloxone", format="csv")
    assert "EXACT FIGURES — internal use only" in response.content.decode("utf-8-sig")
    page = report(login(max_manager), "naloxone")
    assert "EXACT FIGURES — internal use only" in page.content.decode()


def drawn(client, address):
    response = client.get(address)
    assert response.status_code == 200 and response["Content-Type"] == "image/svg+xml"
    return response.content.decode()


def test_dashboard_has_charts_with_their_numbers(login, max_manager, program):
    client = login(max_manager)
    response = client.get(reverse("reports:dashboard"))
    content = response.content.decode()
    # Pictures, not SVG markup in the page: pygal's <style> would break the CSP.
    assert "<svg" not in content
    panels = response.context["panels"]
    assert len(panels) == 4
    for panel in panels:
        # A drawing for desks and one for phones, whose text stays page-sized at 360 px:
        # the browser fetches the one its screen shows.
        assert f' src="{panel["src"]}"' in content
        assert f'<source media="(max-width: 40rem)" srcset="{panel["phone_src"]}"' in content
        desk, phone = drawn(client, panel["src"]), drawn(client, panel["phone_src"])
        assert desk != phone and "<script" not in desk + phone
        assert 'viewBox="0 0 860 380"' in desk and 'viewBox="0 0 360 300"' in phone
    assert panels[0]["columns"] == ["Contacts", "Unique participants"]
    assert len(panels[0]["rows"]) == 12


def test_a_dashboard_chart_is_kept_by_the_browser_and_shown_only_to_whom_it_was_drawn_for(
    login, max_manager, sue, sam, program
):
    address = login(max_manager).get(reverse("reports:dashboard")).context["panels"][0]["src"]
    response = login(max_manager).get(address)
    # Its numbers are in its address, sealed: the same address is always the same
    # picture, and the same picture always the same address.
    assert response["Cache-Control"] == "private, max-age=31536000, immutable"
    again = login(max_manager).get(reverse("reports:dashboard")).context["panels"][0]["src"]
    assert again == address
    assert login(sue).get(address).status_code == 404  # a supervisor, who has dashboards too
    assert login(sam).get(address).status_code == 403  # a specialist
    tampered = address.replace(".svg", "x.svg")
    assert login(max_manager).get(tampered).status_code == 404
    # No figure can be read from the address (browser history, a proxy's log).
    token = address.rsplit("/", 1)[1].removesuffix(".svg")
    payload = token.split(":")[0].lstrip(".")  # where a signed value keeps it, compressed
    with pytest.raises(zlib.error):
        zlib.decompress(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_the_dashboard_includes_the_current_month_so_far_and_last_year(
    login, max_manager, program, monkeypatch
):
    # The program's contacts are in early 2026; seen on 20 March 2026, March is partial.
    client = login(max_manager)
    monkeypatch.setattr(timezone, "localdate", lambda *args: datetime.date(2026, 3, 20))
    response = client.get(reverse("reports:dashboard"))
    panel = response.context["panels"][0]
    label, _values = panel["rows"][-1]
    assert label == "2026-03 (so far)"
    assert [label for label, _values in panel["rows"]][-2] == "2026-02"
    contacts = panel["now"][0]
    assert contacts["name"] == "Contacts"
    assert contacts["value"] == panel["rows"][-1][1][0]
    assert contacts["last_year"] == 0 and contacts["change"] is None
    content = response.content.decode()
    assert "2026-03-01 to 2026-03-20" in content and "2025-03-01 to 2025-03-20" in content
    # In the chart too: the last label says so and its line is dashed to a hollow point.
    svg = drawn(client, panel["src"])
    assert ">Mar so far</text>" in svg
    assert "stroke-dasharray:6,5" in svg and svg.count("fill: white") == 2


def test_dashboard_numbers_have_thousands_separators(login, max_manager, program, monkeypatch):
    monkeypatch.setattr(
        "haven.reports.views.trend_series",
        lambda buckets, site_ids=(): (
            {
                key: key
                for key in (
                    "contacts",
                    "participants",
                    "naloxone",
                    "reversals",
                    "syringes_out",
                    "syringes_in",
                    "linked",
                )
            },
            {
                key: [12_345] * len(buckets)
                for key in (
                    "contacts",
                    "participants",
                    "naloxone",
                    "reversals",
                    "syringes_out",
                    "syringes_in",
                    "linked",
                )
            },
        ),
    )
    content = login(max_manager).get(reverse("reports:dashboard")).content.decode()
    assert "<strong>12,345</strong>" in content and "<td>12,345</td>" in content


def test_buckets_end_with_the_current_partial_period():
    from haven.reports.views import _buckets

    months = _buckets("month", 12, datetime.date(2026, 11, 30))
    assert months[-1][0] == "2026-11 (so far)" and months[-1][2] == datetime.date(2026, 11, 30)
    assert months[0][1] == datetime.date(2025, 12, 1)
    weeks = _buckets("week", 26, datetime.date(2026, 12, 2))  # a Wednesday
    assert weeks[-1][1:] == (datetime.date(2026, 11, 30), datetime.date(2026, 12, 2))
    assert len(weeks) == 26


def test_report_query_count_is_bounded(login, max_manager, program, django_assert_max_num_queries):
    client = login(max_manager)
    # The first build also stores what later ones read: the finished months' people
    # served and figures, the answer sets and the period's figures, a statement each.
    with django_assert_max_num_queries(45):
        report(client, "grant")
    with django_assert_max_num_queries(25):
        report(client, "grant")


def test_a_period_reaching_past_the_records_says_so(login, max_manager, program):
    response = report(login(max_manager), "ssp", period="year", year="2025")
    assert response.status_code == 200
    assert "Records start on 2026-01-10" in response.content.decode()
    future = report(login(max_manager), "ssp", period="year", year="2099")
    assert "The period runs past today" in future.content.decode()
    assert rows_of(future)["All contacts"] == 0


def test_no_note_when_the_period_is_covered(login, max_manager, program):
    response = report(login(max_manager), "ssp", number="2")
    assert response.context["coverage"] == []
