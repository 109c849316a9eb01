"""A finished period's suppressed figures are released once and served from that release.

Played as the attacker: an analyst downloads the first quarter of 2026 with small
counts hidden, contacts of that quarter are then synced late, added, corrected out
of it and a counted record deleted, and the analyst downloads again in every format
and slice, hoping to subtract one download from the other. Every later download is
the first release, figure for figure and mark for mark, and says that late changes
are not in it; exact figures for use inside the program do include them.
"""

import csv
import io
import threading
import uuid

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from haven.api.tests.client import api_client
from haven.core.models import AuditEntry
from haven.outreach.actions import EncounterData, do_edit_encounter, do_record_encounter
from haven.outreach.models import Encounter
from haven.overdose.models import DrugCheck
from haven.reports import exports, metrics, releases, standard
from haven.reports.models import Release

from .conftest import Q1, at

QUARTER = {"period": "quarter", "year": "2026", "number": "1"}
FORMATS = ["page", "csv", "xlsx", "pdf"]
RELEASED_ON = "Figures as released on"
LATE = "these figures do not include those late changes"


def every_slice(quarter):
    """{name: the query that asks for that slice}: everyone, each site, staff member, type."""
    slices = {"all": {}}
    slices.update({f"site {n}": {"site": s.pk} for n, s in quarter["sites"].items()})
    slices.update({f"staff {n}": {"staff": u.pk} for n, u in quarter["staff"].items()})
    slices.update({f"type {t}": {"contact_type": t} for t in Encounter.ContactType.values})
    return slices


def download(client, slice_query, wanted, slug="grant", language="en"):
    params = {**QUARTER, **slice_query}
    if wanted != "page":
        params["format"] = wanted
    response = client.get(
        reverse("reports:report", args=[slug]), params, HTTP_ACCEPT_LANGUAGE=language
    )
    assert response.status_code == 200, response.content[:300]
    return response


def csv_rows(content):
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def figures_of_csv(content):
    """The CSV's tables, from the first blank row on: every title, label and figure or mark."""
    rows = csv_rows(content)
    return rows[rows.index([]) :] if [] in rows else []


def heading_of_csv(content):
    rows = csv_rows(content)
    return " ".join(" ".join(row) for row in rows[: rows.index([]) if [] in rows else None])


def shown_in(response, wanted):
    """Every title, label and figure or mark a page or file shows below its heading, in order."""
    if wanted == "page":
        cells = []
        for table in response.context["report"].tables:
            cells.append(table.title)
            for label, value in [*table.rows, *table.notes]:
                cells += [label, str(value)]
        return [cell for cell in cells if cell != ""]
    if wanted == "csv":
        rows = figures_of_csv(response.content)
    else:
        sheet = load_workbook(io.BytesIO(response.content)).active
        rows = [
            ["" if cell is None else str(cell) for cell in row]
            for row in sheet.iter_rows(values_only=True)
        ]
        rows = [row if any(row) else [] for row in rows]
        rows = rows[rows.index([]) :]
    return [cell for row in rows for cell in row if cell != ""]


def pdf_text(response):
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)


def pdf_figures(response):
    """The PDF's text below its heading (the heading says when it was made)."""
    return pdf_text(response).split("Made by Haven on", 1)[1].split("\n", 1)[1]


def one_line(text):
    return " ".join(text.split())


def late_edits(quarter, catalog):
    """What happens after the quarter ends: a phone's outbox syncs a street contact made
    in March, a contact is added, another is corrected into April (out of the quarter),
    and a drug check recorded twice is deleted."""
    sam, olga = quarter["staff"]["sam"], quarter["staff"]["olga"]
    downtown, eastside = quarter["sites"]["downtown"], quarter["sites"]["eastside"]
    synced = {
        "kind": "contact",
        "client_uuid": str(uuid.uuid4()),
        "site": downtown.pk,
        "contact_type": "street",
        "occurred_at": "2026-03-15T18:30:00Z",
        "anonymous_people": 2,
        "supplies": [{"item": catalog["syringes"].pk, "quantity": 10}],
    }
    answer = api_client(sam).post_json("/api/v1/sync", {"records": [synced]})
    assert [result["status"] for result in answer.json()["results"]] == [201]
    do_record_encounter(
        EncounterData(
            client_uuid=uuid.uuid4(),
            site=eastside,
            contact_type="mobile",
            occurred_at=at(2, 20),
            participant=quarter["program"]["p2"],
            supplies={catalog["naloxone"]: 1},
        ),
        staff=olga,
    )
    march = Encounter.objects.get(occurred_at=at(3, 5))
    do_edit_encounter(
        march,
        EncounterData(
            client_uuid=march.client_uuid,
            site=eastside,
            contact_type="mobile",
            occurred_at=at(4, 3),
            participant=quarter["program"]["p2"],
        ),
        editor=olga,
    )
    DrugCheck.objects.filter(site=downtown).first().delete()


def test_every_download_after_late_edits_is_the_first_release(login, ana, quarter, catalog):
    client = login(ana)
    slices = every_slice(quarter)
    released = {name: download(client, query, "csv").content for name, query in slices.items()}
    released_page = shown_in(download(client, slices["staff sam"], "page"), "page")
    assert Release.objects.count() == 1
    # Downloaded again before any edit: the same, and no word of late changes.
    again = download(client, slices["staff sam"], "csv").content
    assert figures_of_csv(again) == figures_of_csv(released["staff sam"])
    assert RELEASED_ON in heading_of_csv(again) and LATE not in heading_of_csv(again)

    late_edits(quarter, catalog)

    changed = 0
    for name, query in slices.items():
        first = figures_of_csv(released[name])
        # What a fresh audit would publish now: the attacker's hope.
        fresh = standard.build("grant", releases_scope(quarter, query), suppressed=True)
        changed += figures_of_csv(exports.as_csv(fresh)) != first
        later = download(client, query, "csv")
        assert figures_of_csv(later.content) == first, name
        assert later.content.split(b"\r\n\r\n", 1)[1] == released[name].split(b"\r\n\r\n", 1)[1]
        assert LATE in heading_of_csv(later.content), name
        for wanted in ("page", "xlsx"):
            shown = shown_in(download(client, query, wanted), wanted)
            assert shown == shown_in(Downloaded(released[name]), "csv"), (name, wanted)
    # The edits did change what a fresh audit gives: the release is what stands between.
    assert changed
    later_pdf = download(client, slices["all"], "pdf")
    # Every title, label and figure or mark of the release, in order (pages break
    # differently below a longer heading, and repeat a table's title).
    lines = iter(line.strip() for line in pdf_figures(later_pdf).split("\n"))
    released_cells = shown_in(Downloaded(released["all"]), "csv")
    assert all(any(line == cell for line in lines) for cell in released_cells)
    assert LATE in one_line(pdf_text(later_pdf))
    page = download(client, slices["staff sam"], "page")
    assert shown_in(page, "page") == released_page
    assert LATE in one_line(page.content.decode())
    # The day the release was made, in the program's time zone as the page says it.
    released_on = timezone.localdate(Release.objects.get().released_at).isoformat()
    assert f"{RELEASED_ON} {released_on}" in one_line(page.content.decode())
    assert Release.objects.count() == 1


def releases_scope(quarter, query):
    sites = quarter["sites"].values()
    staff = quarter["staff"].values()
    return metrics.Scope(
        *Q1,
        site_ids=tuple(s.pk for s in sites if s.pk == query.get("site")),
        staff_ids=tuple(u.pk for u in staff if u.pk == query.get("staff")),
        contact_types=(query["contact_type"],) if "contact_type" in query else (),
    )


class Downloaded:
    def __init__(self, content):
        self.content = content


def test_a_slice_first_downloaded_after_late_edits_is_from_the_same_release(
    login, ana, quarter, catalog
):
    client = login(ana)
    download(client, {}, "csv")  # the whole program's: the release is made
    eastside = {"site": quarter["sites"]["eastside"].pk}
    # What Eastside's report was when the release was made (nobody downloaded it then).
    then = standard.build("ssp", releases_scope(quarter, eastside), suppressed=True)
    late_edits(quarter, catalog)
    now = standard.build("ssp", releases_scope(quarter, eastside), suppressed=True)
    assert figures_of_csv(exports.as_csv(now)) != figures_of_csv(exports.as_csv(then))
    first_time = download(client, eastside, "csv", slug="ssp")
    assert figures_of_csv(first_time.content) == figures_of_csv(exports.as_csv(then))
    assert LATE in heading_of_csv(first_time.content)


def test_exact_figures_for_inside_the_program_include_the_late_edits(
    login, ana, max_manager, quarter, catalog
):
    download(login(ana), {}, "csv")
    before = metrics.contacts(metrics.Scope(*Q1))
    late_edits(quarter, catalog)
    exact = download(login(max_manager), {}, "csv", slug="ssp")
    rows = dict(row[:2] for row in csv_rows(exact.content) if len(row) >= 2)
    # One synced, one added, one moved to April.
    assert rows["All contacts"] == str(before + 1)
    assert "EXACT FIGURES" in heading_of_csv(exact.content)
    assert RELEASED_ON not in heading_of_csv(exact.content)
    # A manager hiding small counts gets the release, as the analyst does.
    hidden = client_get_csv(login(max_manager), {"suppress": "on"})
    assert figures_of_csv(hidden) == figures_of_csv(download(login(ana), {}, "csv").content)


def client_get_csv(client, extra):
    response = client.get(
        reverse("reports:report", args=["grant"]), {**QUARTER, **extra, "format": "csv"}
    )
    assert response.status_code == 200
    return response.content


def test_released_figures_read_the_same_in_spanish(login, ana, quarter):
    client = login(ana)
    english = download(client, {}, "page")
    spanish = download(client, {}, "page", language="es")

    def figures(response):
        # Counts as they are; marks read "no se muestra" for "not shown", "<11" alike.
        return [
            [value if isinstance(value, int) or value == "<11" else "mark" for _l, value in t.rows]
            for t in response.context["report"].tables
        ]

    assert figures(english) == figures(spanish)
    assert "no se muestra" in one_line(spanish.content.decode())
    assert english.context["report"].tables[0].title != spanish.context["report"].tables[0].title
    assert "Cifras tal como se publicaron el" in one_line(spanish.content.decode())


def test_a_site_added_after_the_release_gets_no_figures_that_were_not_released(login, ana, quarter):
    from haven.accounts.models import Site

    client = login(ana)
    download(client, {}, "csv")
    northside = Site.objects.create(name="Northside", kind="fixed")
    response = client.get(
        reverse("reports:report", args=["grant"]), {**QUARTER, "site": northside.pk}
    )
    assert response.status_code == 400
    assert "No figures were released for this site" in one_line(response.content.decode())


def test_a_report_added_to_haven_after_the_release_is_not_shown_beside_it(login, ana, quarter):
    client = login(ana)
    download(client, {}, "csv", slug="ssp")
    release = Release.objects.get()
    # As a release made before the grant report existed would be.
    del release.layout["grant"]
    release.save()
    response = client.get(reverse("reports:report", args=["grant"]), QUARTER)
    assert response.status_code == 400
    assert "This report was not part of this period" in one_line(response.content.decode())
    assert download(client, {}, "csv", slug="ssp").status_code == 200


def test_storing_and_serving_a_release_are_in_the_audit_log(login, ana, quarter):
    client = login(ana)
    download(client, {}, "page")
    release = Release.objects.get()
    assert release.released_by == ana
    stored = AuditEntry.objects.get(action=AuditEntry.Action.CREATE, object_type="reports.release")
    assert stored.user == ana and stored.object_id == str(release.pk)
    viewed = AuditEntry.objects.get(action=AuditEntry.Action.VIEW, user=ana)
    assert viewed.detail == {"suppressed": True, "release": release.pk}
    download(client, {"staff": quarter["staff"]["sam"].pk}, "csv")
    exported = AuditEntry.objects.get(action=AuditEntry.Action.EXPORT, user=ana)
    assert exported.detail == {"suppressed": True, "release": release.pk}
    # Stored once: later downloads are served, not stored again.
    assert AuditEntry.objects.filter(object_type="reports.release").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_first_downloads_at_once_store_one_release(ana, max_manager, quarter, monkeypatch):
    # Both requests audit the period at the same time (neither finds a release), then
    # both try to store theirs: the period's unique release keeps one.
    both_audited = threading.Barrier(2, timeout=60)
    real_suppress = releases.suppress

    def suppress_together(*args, **kwargs):
        status = real_suppress(*args, **kwargs)
        both_audited.wait()
        return status

    monkeypatch.setattr(releases, "suppress", suppress_together)
    scope = metrics.Scope(*Q1)
    results, errors = [], []

    def first_download(user):
        try:
            report, release, stored = releases.released_report("grant", scope, user)
            results.append((release.pk, stored, exports.as_csv(report)))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=first_download, args=(u,)) for u in (ana, max_manager)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Release.objects.count() == 1
    assert sorted(stored for _pk, stored, _csv in results) == [False, True]
    assert {pk for pk, _stored, _csv in results} == {Release.objects.get().pk}
    assert figures_of_csv(results[0][2]) == figures_of_csv(results[1][2])
