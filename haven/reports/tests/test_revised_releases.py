"""A revised release: asked for by a manager, made only where it is safe beside the first.

Both releases of the quarter are out, so the attacker has both: the first
release's marks and figures, the revision's, and every figure's change between
them. Played here as the attacker would: an integer program over the contacts
tables of everyone and each staff member in both releases, the changes as
unknowns, asking how narrowly each hidden count and each small change can be
pinned down.
"""

import pytest
from django.urls import reverse

from haven.core.models import AuditEntry
from haven.reports import exports, metrics, standard
from haven.reports.models import Release

from .conftest import Q1
from .test_joint_audit import BIG, ranges_to_an_attacker
from .test_released_figures import (
    LATE,
    download,
    heading_of_csv,
    late_edits,
    one_line,
)
from .test_suppressed_reports import TYPES, contacts_table

MARK_BOUNDS = {"<11": (1, 10), "suppressed": (11, BIG), "not shown": (0, BIG)}
REVISED = "A revised release of this period is made"
OFFERED = "Ask for a revised release"


def revise(client, language="en"):
    response = client.post(
        reverse("reports:revise", args=["ssp"]),
        {"period": "quarter", "year": "2026", "number": "1"},
        follow=True,
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 200
    return one_line(response.content.decode())


def staff_slices(quarter):
    return {"all": {}, **{name: {"staff": u.pk} for name, u in quarter["staff"].items()}}


def published_contacts(client, quarter):
    """{(slice, label): figure or mark} of the contacts tables of everyone and each staff member."""
    published = {}
    for name, query in staff_slices(quarter).items():
        table = contacts_table(download(client, query, "csv", slug="ssp"))
        for label in TYPES:
            published[(name, label)] = table.get(label, "not shown")
    return published


def exact_contacts(quarter):
    exact = {}
    for name, query in staff_slices(quarter).items():
        scope = metrics.Scope(*Q1, staff_ids=(query["staff"],) if query else ())
        rows = dict(standard.build("ssp", scope, suppressed=False).tables[0].rows)
        exact.update({(name, label): rows[label] for label in TYPES})
    return exact


def attacker(first, now, targets):
    """{target: (lowest, highest)} over both publications; targets are ("first" | "now" |
    "change", slice, label). Cells: each publication's, and each change now - first."""
    rows = []
    names = list(staff_slices_names(first))
    for side in ("first", "now"):
        for name in names:
            rows.append(
                {(side, (name, t)): 1 for t in TYPES[:-1]} | {(side, (name, TYPES[-1])): -1}
            )
        for label in TYPES:
            rows.append(
                {(side, (name, label)): 1 for name in names[1:]} | {(side, ("all", label)): -1}
            )
    found = ranges_to_an_attacker(first, now, rows, [(t[0], t[1:]) for t in targets], MARK_BOUNDS)
    return {target: found[(target[0], target[1:])] for target in targets}


def staff_slices_names(published):
    return dict.fromkeys(name for name, _label in published)


def targets_of(first, now, before, after):
    """Every hidden small count of either release, and every small change."""
    targets = [("first", *c) for c, v in first.items() if v == "<11"]
    targets += [("now", *c) for c, v in now.items() if v == "<11"]
    targets += [("change", *c) for c in now if 1 <= abs(after[c] - before[c]) <= 10]
    return targets


def test_an_analyst_or_a_supervisor_cannot_ask_for_a_revision(login, ana, sue, quarter, catalog):
    download(login(ana), {}, "csv", slug="ssp")
    late_edits(quarter, catalog)
    for user in (ana, sue):
        response = login(user).post(
            reverse("reports:revise", args=["ssp"]),
            {"period": "quarter", "year": "2026", "number": "1"},
        )
        assert response.status_code == 403
    assert list(Release.objects.values_list("version", flat=True)) == [1]
    assert OFFERED not in download(login(ana), {}, "page", slug="ssp").content.decode()


def test_a_manager_is_offered_a_revision_once_figures_have_changed(
    login, max_manager, quarter, catalog
):
    client = login(max_manager)
    hidden = {"suppress": "on"}
    assert OFFERED not in download(client, hidden, "page", slug="ssp").content.decode()
    late_edits(quarter, catalog)
    assert OFFERED in download(client, hidden, "page", slug="ssp").content.decode()
    assert REVISED in revise(client)
    page = download(client, hidden, "page", slug="ssp")
    # Revised once: not offered again, and asked for anyway, refused.
    assert OFFERED not in page.content.decode()
    assert "revised once already" in revise(client)
    assert list(Release.objects.order_by("version").values_list("version", flat=True)) == [1, 2]


def test_a_revision_cannot_be_compared_with_the_first_release_to_work_out_a_late_change(
    login, ana, max_manager, quarter, catalog
):
    analyst = login(ana)
    before = exact_contacts(quarter)
    first = published_contacts(analyst, quarter)
    late_edits(quarter, catalog)
    after = exact_contacts(quarter)
    assert REVISED in revise(login(max_manager))
    now = published_contacts(analyst, quarter)
    targets = targets_of(first, now, before, after)
    # The late edits changed small amounts: the changes are among the targets.
    assert any(target[0] == "change" for target in targets)
    for target, (lowest, highest) in attacker(first, now, targets).items():
        assert highest - lowest + 1 >= 10, f"{target}: {lowest} to {highest}"
    # The revision says so, and has no late changes of its own.
    heading = heading_of_csv(download(analyst, {}, "csv", slug="ssp").content)
    assert "Figures as revised on" in heading and LATE not in heading
    stored = AuditEntry.objects.get(
        action=AuditEntry.Action.CREATE,
        object_type="reports.release",
        object_id=str(Release.objects.get(version=2).pk),
    )
    assert stored.user == max_manager


def test_a_fresh_audit_published_beside_the_first_release_would_give_a_change_away(
    login, ana, quarter, catalog
):
    # What the joint audit prevents: the period suppressed again on its own.
    before = exact_contacts(quarter)
    first = published_contacts(login(ana), quarter)
    late_edits(quarter, catalog)
    after = exact_contacts(quarter)
    now = {}
    for name, query in staff_slices(quarter).items():
        scope = metrics.Scope(*Q1, staff_ids=(query["staff"],) if query else ())
        fresh = exports.as_csv(standard.build("ssp", scope, suppressed=True))

        class Downloaded:
            content = fresh

        table = contacts_table(Downloaded())
        now.update({(name, label): table.get(label, "not shown") for label in TYPES})
    found = attacker(first, now, targets_of(first, now, before, after))
    assert any(highest - lowest + 1 < 10 for lowest, highest in found.values())


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_revision_with_nothing_changed_is_refused(login, max_manager, quarter, language):
    client = login(max_manager)
    download(client, {"suppress": "on"}, "csv", slug="ssp")
    message = {
        "en": "No figure of this period has changed since its release.",
        "es": "Ninguna cifra de este período ha cambiado desde su publicación.",
    }[language]
    assert message in revise(client, language)
    assert Release.objects.count() == 1


def test_a_revision_of_a_period_never_released_is_refused(login, max_manager, quarter):
    assert "nothing to revise" in revise(login(max_manager))
    # The page it returns to releases the period, as any first download does.
    assert list(Release.objects.values_list("version", flat=True)) == [1]


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_revision_that_only_hiding_the_first_release_could_protect_is_refused(
    login, max_manager, quarter, catalog, monkeypatch, language
):
    from haven.reports import releases
    from haven.reports.suppression import WITHHELD

    client = login(max_manager)
    first = download(client, {"suppress": "on"}, "csv", slug="ssp").content
    late_edits(quarter, catalog)
    real_suppress = releases.suppress

    def nothing_left_to_hide(linked, rule):
        # What suppress() gives when no cell of the revision could protect the others:
        # everything withheld, the first release's cells included.
        real_suppress(linked, rule)
        return dict.fromkeys(linked.values, WITHHELD)

    monkeypatch.setattr(releases, "suppress", nothing_left_to_hide)
    message = {
        "en": "A revised release would let the late changes be worked out",
        "es": "Una publicación revisada permitiría deducir los cambios tardíos",
    }[language]
    assert message in revise(client, language)
    assert list(Release.objects.values_list("version", flat=True)) == [1]
    again = download(client, {"suppress": "on"}, "csv", slug="ssp").content
    assert again.split(b"\r\n\r\n", 1)[1] == first.split(b"\r\n\r\n", 1)[1]
