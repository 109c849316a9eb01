"""Suppressed figures of a finished period are released once, and served from that release.

A period's figures still change after it ends: a phone's outbox syncs days
later, a contact is corrected, a referral's 30 days pass. Two suppressed
downloads of the same period made before and after such a change could be
subtracted (a hidden count's change, or a cell shown in one and hidden in the
other, gives figures away). So the first suppressed download of a period, in
any report, format or slice, stores what the audit published for the whole
linked set (every slice: the whole program, each site, staff member and contact
type; each figure as a count or the mark that hid it) in a Release, and every
suppressed download of that period is built from it, identical whatever was
edited since. A report built from a release says so, and says when figures of
the period have changed since (it does not say how many changes: a count of
late edits could itself be a small figure). Exact figures, for use inside the
program, are counted afresh and reflect every edit.

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
from django.utils.translation import gettext as _

from haven.core import audit
from haven.core.models import AuditEntry

from . import metrics, standard
from .models import Release
from .suppression import SHOWN, Rule, rule_from_settings, suppress


class NotReleased(Exception):
    """The slice or report asked for is not in the period's release (a site or staff
    member added since, with no figures then; a report added to Haven since): nothing
    audited with the release can be shown for it."""


def slice_id(slice_):
    """("all",) → "all"; ("site", 3) → "site:3"."""
    return ":".join(str(part) for part in slice_)


def released_report(slug, scope, user):
    """(the report as released, its Release, whether this call stored the release).

    `scope` is a whole finished period of the suppressed kind and one slice of it
    (the report form makes sure of both).
    """
    wanted = standard.slice_of(scope)
    if wanted is None:
        raise ValueError("A suppressed report covers everyone or one site, staff member or type.")
    release = Release.objects.filter(start=scope.start, end=scope.end).first()
    stored = False
    if release is None:
        release, stored = _store_release(scope, wanted, user)
    report = report_from_release(release, slug, scope)
    report.late_changes = not stored and has_late_changes(release)
    return report, release, stored


def _store_release(scope, wanted, user):
    """Audit the period's linked set and store it, unless another request stored it first;
    the audit log records it in the same transaction."""
    rule = rule_from_settings()
    members = standard.breakdown_members()
    if wanted != ("all",) and wanted[1] not in members[wanted[0]]:
        members = {**members, wanted[0]: [*members[wanted[0]], wanted[1]]}
    whole = metrics.Scope(scope.start, scope.end)
    with translation.override(settings.LANGUAGE_CODE):
        figures = standard.Figures(whole)
        reports = standard.linked_reports(whole, members, figures)
        status = suppress(standard.linked_set(reports), rule)
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
    # Two first downloads at once both get here; the unique period keeps one
    # release, and the second request serves the first's.
    with transaction.atomic():
        release, stored = Release.objects.get_or_create(
            start=scope.start,
            end=scope.end,
            defaults={
                "released_by": user,
                "threshold": rule.threshold,
                "width": rule.width,
                "slices": slices,
                "layout": layout,
                "labels": labels,
                "members": {dimension: list(ids) for dimension, ids in members.items()},
                "figures_digest": digest,
            },
        )
        if stored:
            audit.record(
                user,
                AuditEntry.Action.CREATE,
                release,
                page=f"report release {scope.start}..{scope.end}",
            )
    return release, stored


def _published_tables(report, slice_, status):
    """{table key: the table as published}: counts shown, marks for hidden ones, no hidden
    count kept (a withheld table's rows are kept as marks only)."""
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
    """A digest of the exact figures of every slice (counts and notes), to tell later
    whether any has changed; only the digest is kept, not the figures."""
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
    )
