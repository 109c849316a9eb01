"""`manage.py check_releases`: stored releases re-audited with the audit Haven has now.

Releases are made here as an older Haven would have made them: with a weaker rule
(small counts hidden and nothing audited, the rule used before the solver) or with
the audit as it was before it knew the combinations of site, staff member and
contact type. The command must find what can be worked back from them, say where
(by report and slice, never a figure), change nothing unless asked, and exit with 1
so that cron or CI notices; a release made by the current code passes with 0.
"""

import re
from io import StringIO

import pytest
from django.core.management import call_command, execute_from_command_line
from django.core.management.base import CommandError
from django.forms.models import model_to_dict

from haven.core.models import AuditEntry
from haven.reports import metrics, recheck, releases, standard
from haven.reports.models import Release
from haven.reports.suppression import LATENT, SHOWN, SMALL

from .conftest import Q1
from .test_released_figures import late_edits

RUN_PAGE = "report releases re-audited"


def release(user):
    """The period's release, made as the first suppressed download makes it."""
    return releases.released_report("ssp", metrics.Scope(*Q1), user)[1]


def hides_small_counts_only(linked, rule):
    """The rule used before the audit: hide the small counts, nothing else."""
    return {
        cell: LATENT if cell in linked.latent else SMALL if rule.is_small(value) else SHOWN
        for cell, value in linked.values.items()
    }


@pytest.fixture
def weak_release(ana, quarter, monkeypatch):
    """The quarter released by a Haven that hid small counts and audited nothing."""
    with monkeypatch.context() as patched:
        patched.setattr(releases, "suppress", hides_small_counts_only)
        return release(ana)


@pytest.fixture
def release_before_combinations(ana, quarter, monkeypatch):
    """The quarter released by the audit as it was before it knew the combinations of site,
    staff member and contact type (1e96325): it kept none of their figures."""
    with monkeypatch.context() as patched:
        patched.setattr(standard, "crossed_reports", lambda scope: {})
        return release(ana)


def check(*args):
    """(the exit status, the output) of the command."""
    out = StringIO()
    try:
        call_command("check_releases", *args, stdout=out)
    except CommandError as error:
        return error.returncode, out.getvalue() + str(error)
    return 0, out.getvalue()


def one_line(text):
    return " ".join(text.split())


def run_entries():
    return list(AuditEntry.objects.filter(page=RUN_PAGE).order_by("sequence"))


def every_field(releases_):
    return [model_to_dict(r) | {"released_at": r.released_at} for r in releases_]


def test_a_release_made_by_the_current_code_passes_with_exit_status_0(ana, quarter):
    made = release(ana)
    status, output = check()
    assert status == 0
    output = one_line(output)
    assert "version 1" in output and "passes the current audit" in output
    assert "Re-audited from the figures the release kept." in output
    assert "Counts it shows that the current audit hides: 0." in output
    assert "narrow below the protection width: 0." in output
    assert "All 1 release(s) pass the current audit." in output
    [entry] = run_entries()
    assert entry.user is None and entry.action == AuditEntry.Action.VIEW
    assert entry.detail == {"checked": [made.pk], "failing": [], "revised": []}


def test_a_release_is_rebuilt_from_its_own_figures_as_the_current_code_builds_them(
    ana, quarter, catalog
):
    made = release(ana)
    whole = metrics.Scope(*Q1)
    counted = standard.linked_set(
        standard.linked_reports(whole, made.members), standard.crossed_reports(whole)
    )
    rebuilt, source = recheck.rebuild(made)
    assert source == recheck.FROM_RELEASE
    assert rebuilt.values == counted.values
    assert rebuilt.derived == counted.derived and rebuilt.latent == counted.latent
    assert rebuilt.constraints == counted.constraints
    # Figures changed since: still the release's own, not today's.
    late_edits(quarter, catalog)
    again, source = recheck.rebuild(made)
    assert source == recheck.FROM_RELEASE
    assert again.values == counted.values
    now = standard.linked_set(
        standard.linked_reports(whole, made.members), standard.crossed_reports(whole)
    )
    assert now.values != counted.values


def test_a_release_audited_by_a_weaker_rule_fails_with_exit_status_1(
    weak_release, capsys, monkeypatch
):
    # As cron runs it: the process's exit status. (Django closes the connections once a
    # command has run, which would end the test's transaction.)
    monkeypatch.setattr("django.core.management.base.connections.close_all", lambda: None)
    with pytest.raises(SystemExit) as exited:
        execute_from_command_line(["manage.py", "check_releases"])
    assert exited.value.code == 1
    captured = capsys.readouterr()
    output = one_line(captured.out)
    assert "FAILS the current audit" in output
    assert "1 of 1 release(s) fail the current audit." in captured.err
    found = recheck.recheck(weak_release)
    assert found.fails and found.source == recheck.FROM_RELEASE
    assert f"Counts it shows that the current audit hides: {len(found.hidden_now)}." in output
    assert f"protection width: {len(found.narrowed)}." in output
    # By report and slice: how many cells, never which figures.
    grant = one_line(captured.out.split("Grant progress report: ")[1].split("\n")[0])
    counts = re.findall(r": (\d+)", grant)
    assert sum(map(int, counts)) == sum(
        1 for key, _s, label in found.hidden_now if _in_report(weak_release, "grant", key, label)
    )
    assert "everyone:" in grant and "staff member sam" in grant
    for slice_tables in weak_release.slices.values():
        for table in slice_tables.values():
            for label, _value in table["rows"]:
                assert label not in captured.out
    assert "85281" not in captured.out  # a ZIP code of the demographics


def _in_report(release, slug, key, label):
    return any(
        entry["key"] == key and label in entry.get("rows", [label])
        for entry in release.layout[slug]
    )


def test_a_count_worked_back_by_subtraction_is_among_what_it_finds(weak_release):
    found = set(recheck.recheck(weak_release).narrowed)
    worked_back = []
    for name, tables in weak_release.slices.items():
        for key, table in tables.items():
            rows = dict(table["rows"])
            small = [label for label, value in rows.items() if value == SMALL]
            total = rows.get(table["total"])
            if len(small) == 1 and isinstance(total, int):
                # The attacker's subtraction: the total less the rows shown.
                worked_back.append((key, name, small[0]))
    assert worked_back
    slices = {releases.slice_id(cell[1]): cell[1] for cell in found}
    for key, name, label in worked_back:
        assert (key, slices.get(name), label) in found


def test_nothing_is_changed_without_revise_as(weak_release, quarter, catalog):
    late_edits(quarter, catalog)
    before = every_field(Release.objects.all())
    status, output = check()
    assert status == 1
    assert every_field(Release.objects.all()) == before
    assert "A program manager must ask for a revised release" in one_line(output)
    assert "What it published is out already" in one_line(output)
    [entry] = run_entries()
    assert entry.detail == {
        "checked": [weak_release.pk],
        "failing": [weak_release.pk],
        "revised": [],
    }


def test_a_release_that_cannot_be_revised_says_why_and_stays(weak_release, quarter, catalog):
    status, output = check("--revise-as", "max")
    assert status == 1
    assert "It cannot be revised: no figure of its period has changed since" in one_line(output)
    # With late changes, the revision path audits it beside the first release, which
    # gives counts away already: refused, and the first release stands.
    late_edits(quarter, catalog)
    before = every_field(Release.objects.all())
    status, output = check("--revise-as", "max")
    assert status == 1
    assert "Not revised: A revised release would let the late changes be worked out" in one_line(
        output
    )
    assert every_field(Release.objects.all()) == before


def test_an_older_release_is_rechecked_from_the_records_and_says_so(
    release_before_combinations, quarter, catalog
):
    status, output = check()
    output = one_line(output)
    assert status == 1
    assert "Re-audited from the records: the release did not keep every figure" in output
    assert "no figure of its period has changed since" in output
    found = recheck.recheck(release_before_combinations)
    assert found.source == recheck.FROM_UNCHANGED_RECORDS
    # The combinations give a small count of the release away, and small figures of
    # combinations that nothing protected then.
    published = [cell for cell in found.narrowed if cell[1][0] != recheck.COMBINATION]
    assert published and len(published) < len(found.narrowed)
    assert "Published nowhere: a combination of site, staff, type:" in output
    late_edits(quarter, catalog)
    status, output = check()
    output = one_line(output)
    assert status == 1
    assert "Re-audited from the records as they are now" in output
    assert "Not checked: what an attacker can make of its marks." in output
    assert recheck.recheck(release_before_combinations).source == recheck.FROM_RECORDS_NOW


def test_revise_as_a_manager_makes_a_revised_release_that_passes(
    release_before_combinations, max_manager, quarter, catalog
):
    late_edits(quarter, catalog)
    status, output = check("--revise-as", "max")
    # The run found a release that fails: its figures are out already.
    assert status == 1
    output = one_line(output)
    assert "Revised: version 2 is served from now on." in output
    revision = Release.objects.get(version=2)
    assert revision.released_by == max_manager
    assert "version 2" in output.split("Revised:")[1]
    assert not recheck.recheck(revision).fails
    # Served from now on, and re-audited alone it passes; every version still shows the first.
    assert check()[0] == 0
    assert check("--all")[0] == 1
    first_run = run_entries()[0]
    assert first_run.detail["revised"] == [revision.pk]
    assert AuditEntry.objects.filter(
        user=max_manager, object_type="reports.release", object_id=str(revision.pk)
    ).exists()


def test_only_a_program_manager_may_be_named_to_ask_for_a_revision(weak_release, ana):
    for username in ("ana", "nobody"):
        status, output = check("--revise-as", username)
        assert status == 2
        assert "is not an active program manager" in output
    assert run_entries() == []
    assert Release.objects.count() == 1


def test_no_release_stored_is_said_and_passes(db):
    assert check() == (0, "No release of suppressed figures is stored.\n")
    assert len(run_entries()) == 1
