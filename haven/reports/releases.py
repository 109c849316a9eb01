"""Suppressed figures of a finished period are released once, and served from that release.

A period's figures still change after it ends: a phone's outbox syncs days
later, a contact is corrected, a referral's 30 days pass. Two suppressed
downloads of the same period made before and after such a change could be
subtracted (a hidden count's change, or a cell shown in one and hidden in the
other, gives figures away). So the first suppressed download of a period, in
any report, format or slice, stores what the audit published for the whole
linked set (every slice: the whole program, each site, staff member and contact
type; each figure as a count or the mark that hid it), with the linked set it was
audited from, in a Release, and every
suppressed download of that period is built from it, identical whatever was
edited since. A report built from a release says so, and says when figures of
the period have changed since (it does not say how many changes: a count of
late edits could itself be a small figure). Exact figures, for use inside the
program, are counted afresh and reflect every edit.

A manager may ask once for a revised release that includes the late changes:
it is audited together with the first release and the changes between them, and
refused where only hiding what the first already published would protect them
(do_revise_release).

The release is made in the program's language (LANGUAGE_CODE), so that what
the audit solves does not depend on who asked in which language, and keeps the
labels of the other languages, so that a download in Spanish shows the same
figures under Spanish labels.
"""

import hashlib
import json

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from haven.core import audit
from haven.core.models import AuditEntry

from . import metrics, standard
from .models import Release
from .suppression import LATENT, SHOWN, LinkedSet, Rule, joint, rule_from_settings, suppress


class NotReleased(Exception):
    """The slice or report asked for is not in the period's release (a site or staff
    member added since, with no figures then; a report added to Haven since): nothing
    audited with the release can be shown for it."""


def slice_id(slice_):
    """("all",) → "all"; ("site", 3) → "site:3"."""
    return ":".join(str(part) for part in slice_)


def latest_release(start, end):
    """The release served for the period [start, end]: its latest version, or None."""
    return Release.objects.filter(start=start, end=end).order_by("-version").first()


def released_report(slug, scope, user):
    """(the report as released, its Release, whether this call stored the release).

    `scope` is a whole finished period of the suppressed kind and one slice of it
    (the report form makes sure of both).
    """
    wanted = standard.slice_of(scope)
    if wanted is None:
        raise ValueError("A suppressed report covers everyone or one site, staff member or type.")
    release = latest_release(scope.start, scope.end)
    stored = False
    if release is None:
        refuse_an_overlapping_release(scope.start, scope.end)
        release, stored = _store_release(scope, wanted, user)
    report = report_from_release(release, slug, scope)
    report.late_changes = not stored and has_late_changes(release)
    return report, release, stored


def refuse_an_overlapping_release(start, end):
    """Refuse a first release of [start, end] if another period's release overlaps it.

    Suppressed reports come for one kind of period (HAVEN_SUPPRESSED_PERIOD), so
    released periods do not overlap, but that setting can change: a program that
    released its quarters and then reports by year must not release a year as well,
    or the year less its released quarters would give the hidden counts back.
    """
    overlapping = (
        Release.objects.filter(start__lte=end, end__gte=start)
        .exclude(start=start, end=end)
        .order_by("start")
        .first()
    )
    if overlapping is not None:
        raise NotReleased(
            _(
                "Figures with small counts hidden were already released for "
                "%(start)s to %(end)s, which overlaps this period: released too, the two "
                "could be subtracted to give hidden counts back. Choose a period that "
                "does not overlap a released one."
            )
            % {
                "start": date_format(overlapping.start, "DATE_FORMAT"),
                "end": date_format(overlapping.end, "DATE_FORMAT"),
            }
        )


def _counted_now(whole, members):
    """(the whole program's figures, {slice: every table}, the linked set) of the period as
    the records are now, counted in the program's language."""
    with translation.override(settings.LANGUAGE_CODE):
        figures = standard.Figures(whole)
        reports = standard.linked_reports(whole, members, figures)
        return figures, reports, standard.linked_set(reports, standard.crossed_reports(whole))


def _store_release(scope, wanted, user):
    """Audit the period's linked set and store it, unless another request stored it first;
    the audit log records it in the same transaction."""
    rule = rule_from_settings()
    members = standard.breakdown_members()
    if wanted != ("all",) and wanted[1] not in members[wanted[0]]:
        members = {**members, wanted[0]: [*members[wanted[0]], wanted[1]]}
    whole = metrics.Scope(scope.start, scope.end)
    figures, reports, linked = _counted_now(whole, members)
    status = suppress(linked, rule)
    return _store(whole, 1, user, rule, members, figures, reports, linked, status)


def _store(whole, version, user, rule, members, figures, reports, linked, status):
    """Store the release (once: the unique period and version keep the first of two
    at once, which the second serves) and its audit entry, in one transaction."""
    with translation.override(settings.LANGUAGE_CODE):
        slices = {
            slice_id(slice_): _published_tables(report, slice_, status)
            for slice_, report in reports.items()
        }
        layout, canonical = _layout(whole, figures)
        digest = _digest(reports)
    labels = {}
    for language, _name in settings.LANGUAGES:
        if language != settings.LANGUAGE_CODE:
            with translation.override(language):
                labels[language] = _labels_in(canonical, _reports_for_labels(whole, figures))
    with transaction.atomic():
        release, stored = Release.objects.get_or_create(
            start=whole.start,
            end=whole.end,
            version=version,
            defaults={
                "released_by": user,
                "threshold": rule.threshold,
                "width": rule.width,
                "slices": slices,
                "layout": layout,
                "labels": labels,
                "members": {dimension: list(ids) for dimension, ids in members.items()},
                "figures_digest": digest,
                "audited": _linked_as_json(linked, status),
            },
        )
        if stored:
            audit.record(
                user,
                AuditEntry.Action.CREATE,
                release,
                page=f"report release {whole.start}..{whole.end} version {version}",
            )
            # The audit log's lock (audit.record) orders first releases one after
            # another, so this sees one of an overlapping period stored meanwhile.
            refuse_an_overlapping_release(whole.start, whole.end)
    return release, stored


def _as_json(value):
    return [_as_json(part) for part in value] if isinstance(value, tuple) else value


def _from_json(value):
    return tuple(_from_json(part) for part in value) if isinstance(value, list) else value


def _linked_as_json(linked, status):
    index = {cell: i for i, cell in enumerate(linked.values)}
    return {
        "cells": [
            [
                _as_json(cell),
                value,
                _as_json(linked.group_of[cell]),
                cell in linked.derived,
                status[cell],
            ]
            for cell, value in linked.values.items()
        ],
        "constraints": [
            [[[index[cell], a] for cell, a in terms.items()], sense, rhs]
            for terms, sense, rhs in linked.constraints
        ],
    }


# ---------------------------------------------------------------- a revised release


class RevisionRefused(Exception):
    """A revised release is not published: the message says why."""


def do_revise_release(start, end, user):
    """Publish a revised release of a released period, if it is safe beside the first.

    Both releases are published, so they are audited together: the first's cells
    with their published marks (fixed), the period's figures as they are now, and
    for every figure its change between the two (signed, published nowhere, but
    what an attacker subtracting one from the other works out). Every small cell of
    either and every small change (1 to the threshold, either way) must keep the
    protection width; the revision is widened for that, and refused when only
    hiding something already published would do. Once per period: a second
    revision would have to be audited with both.
    """
    release = latest_release(start, end)
    if release is None:
        raise RevisionRefused(_("This period has not been released: there is nothing to revise."))
    if release.version > 1:
        raise RevisionRefused(
            _("This period's release was revised once already; it cannot be revised again.")
        )
    if not has_late_changes(release):
        raise RevisionRefused(_("No figure of this period has changed since its release."))
    rule = Rule(release.threshold, release.width)
    now = standard.breakdown_members()
    members = {
        dimension: [*ids, *(m for m in now[dimension] if m not in ids)]
        for dimension, ids in release.members.items()
    }
    whole = metrics.Scope(start, end)
    figures, reports, linked = _counted_now(whole, members)
    together = joint(*_first_release(release.audited), linked)
    status = suppress(together, rule)
    if any(status[cell] != mark for cell, mark in together.fixed.items()):
        raise RevisionRefused(
            _(
                "A revised release would let the late changes be worked out by comparing it "
                "with the first one, so it is not made. The first release stands."
            )
        )
    revised = {cell: status[("now", cell)] for cell in linked.values}
    release, _stored = _store(whole, 2, user, rule, members, figures, reports, linked, revised)
    return release


def audited_set(release):
    """(the linked set `release` was audited from, {cell: the mark it gave}), as the Haven
    that stored it built them: re-audited by recheck.py with what Haven knows now."""
    return _first_release(release.audited)


def _first_release(audited):
    """The linked set a release was audited from, and the marks it published."""
    first, marks = LinkedSet(), {}
    cells = []
    for cell, value, group, derived, mark in audited["cells"]:
        cell = _from_json(cell)
        cells.append(cell)
        first.add(cell, value, _from_json(group), derived=derived, latent=mark == LATENT)
        marks[cell] = mark
    for terms, sense, rhs in audited["constraints"]:
        first.constraints.append(({cells[index]: a for index, a in terms}, sense, rhs))
    return first, marks


def _published_tables(report, slice_, status):
    """{table key: the table as published}: counts shown, marks for hidden ones (what is
    served keeps no hidden count; a withheld table's rows are marks only)."""
    tables = {}
    for table in report.tables:
        marks = {label: status[(table.key, slice_, label)] for label, _count in table.rows}
        hidden = any(mark != SHOWN for mark in marks.values())
        tables[table.key] = {
            "total": table.total_label,
            "rows": [
                [label, count if marks[label] == SHOWN else marks[label]]
                for label, count in table.rows
            ],
            "notes": [[label, None if hidden else text] for label, text in table.notes],
        }
    return tables


def _reports_for_labels(whole, figures):
    """Every standard report and every table of the whole program, in the active language."""
    return [
        *(standard.BUILDERS[slug](whole, figures) for slug in standard.BUILDERS),
        standard.every_table(whole, figures),
    ]


def _layout(whole, figures):
    """{slug: the report's tables}: key, title, and rows only where a report shows fewer
    than the key's table (the naloxone report's overdose education row); and the reports
    as built, to take other languages' labels from."""
    canonical = _reports_for_labels(whole, figures)
    every = {table.key: table for table in canonical[-1].tables}
    layout = {}
    for slug, report in zip(standard.BUILDERS, canonical[:-1], strict=True):
        entries = []
        for table in report.tables:
            entry = {
                "key": table.key,
                "title": table.title,
                "notes": [label for label, _text in table.notes],
            }
            labels = [label for label, _count in table.rows]
            if labels != [label for label, _count in every[table.key].rows]:
                entry["rows"] = labels
            entries.append(entry)
        layout[slug] = entries
    return layout, canonical


def _labels_in(canonical, translated):
    """{label in the program's language: the same label in the active one}, matched by
    place in the same reports built from the same figures."""
    labels = {}
    for report, other in zip(canonical, translated, strict=True):
        for table, table_there in zip(report.tables, other.tables, strict=True):
            labels[table.title] = table_there.title
            if table.total_label:
                labels[table.total_label] = table_there.total_label
            for (label, _c), (label_there, _t) in zip(table.rows, table_there.rows, strict=True):
                labels[label] = label_there
            for (label, _c), (label_there, _t) in zip(table.notes, table_there.notes, strict=True):
                labels[label] = label_there
    return labels


def _digest(reports):
    """A digest of the exact figures of every slice (counts and notes), to tell cheaply
    whether any has changed since."""
    figures = sorted(
        [slice_id(slice_), table.key, label, str(value)]
        for slice_, report in reports.items()
        for table in report.tables
        for label, value in [*table.rows, *table.notes]
    )
    return hashlib.sha256(json.dumps(figures).encode()).hexdigest()


def has_late_changes(release):
    """Whether any exact figure of the release's slices is not what it was released from:
    a record of the period added, edited or deleted since (or a figure that moves with
    time, such as referrals whose 30 days have passed)."""
    whole = metrics.Scope(release.start, release.end)
    with translation.override(settings.LANGUAGE_CODE):
        reports = standard.linked_reports(whole, release.members)
    released = set(release.slices)
    reports = {slice_: report for slice_, report in reports.items() if slice_id(slice_) in released}
    return _digest(reports) != release.figures_digest


def report_from_release(release, slug, scope):
    """The report `slug` for the slice `scope` asks for, as the release published it."""
    stored = release.slices.get(slice_id(standard.slice_of(scope)))
    if stored is None:
        raise NotReleased(
            _(
                "No figures were released for this site, staff member or contact type for "
                "this period: it had none when the period's figures were first shared."
            )
        )
    if slug not in release.layout:
        # A report added to Haven after the period was released: its figures were not
        # audited with the release, so none can be shown beside it.
        raise NotReleased(_("This report was not part of this period's release."))
    rule = Rule(release.threshold, release.width)
    labels = release.labels.get(translation.get_language(), {})

    def label_of(text):
        if not text:
            return text
        return labels.get(text) or _(text)

    tables = []
    for entry in release.layout[slug]:
        published = stored[entry["key"]]
        rows = published["rows"]
        if "rows" in entry:
            by_label = dict(rows)
            rows = [[label, by_label.get(label, 0)] for label in entry["rows"]]
        total = published["total"] if any(label == published["total"] for label, _v in rows) else ""
        table = standard.Table(
            label_of(entry["title"]),
            [(label_of(label), value if isinstance(value, int) else 0) for label, value in rows],
            label_of(total),
            notes=[
                (label_of(label), str(standard.SUPPRESSED_MARK) if text is None else text)
                for label, text in published["notes"]
                if label in entry["notes"]
            ],
            key=entry["key"],
        )
        marks = {
            label_of(label): SHOWN if isinstance(value, int) else value for label, value in rows
        }
        tables.append(table.shown_with(marks, rule.hidden_label))
    slice_marks = {
        SHOWN if isinstance(value, int) else value
        for published in stored.values()
        for _label, value in published["rows"]
    }
    too_small = standard.is_too_small(tables, slice_marks)
    return standard.Report(
        slug,
        str(standard.REPORTS[slug]),
        scope,
        [] if too_small else tables,
        suppressed=True,
        rule=rule,
        too_small=too_small,
        released_at=release.released_at,
        revised=release.version > 1,
    )
