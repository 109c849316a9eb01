"""Stored releases re-audited with the audit Haven has now (`manage.py check_releases`).

A release is served unchanged for ever (releases.py), as the audit of the Haven that
stored it published it. The audit has learnt since of relations an attacker knows (the
combinations of site, staff member and contact type; what no site holds; cells left weak
audited again), so a release stored by an older Haven may publish a count that can now be
worked back. For each release this rebuilds the linked set the current code builds for its
period, suppresses it as a first release would be now, and finds

- the counts the release shows that the current audit hides;
- the small counts the release shows outright (the current audit shows none);
- the small counts the release hides, and the small figures published nowhere (a
  combination, what no member holds), that an attacker holding the release's marks can
  narrow below the protection width with what the current audit knows: the current
  audit (suppression.audit) run on the release's marks.

The release fails on the second or the third: a count can be worked back. The first
alone does not fail it (the current audit may pick other complements than the old one
did, or a revision's joint audit other ones than a first release's, and both can be
safe); where the attacker's check cannot be run (below), it does.

The linked set is rebuilt from, best first:

- the release's own figures (FROM_RELEASE): it kept every figure the current code
  audits (its `audited` linked set), so the re-audit is of exactly what it published;
- the records, unchanged since (FROM_UNCHANGED_RECORDS): the release lacks some figure
  (one stored before the combinations were audited keeps none of theirs), but no figure
  of the period has changed since it was made, so the records give what it was made from;
- the records as they are now (FROM_RECORDS_NOW): neither. Today's figures are audited
  and set against the release's marks: which counts the current audit would hide is
  still said, but not what an attacker can narrow (the release's shown counts are not
  today's), and a count whose row is gone from today's figures is not checked.

A revision is re-audited on its own, as every release is, not together with the first
release it was published beside (do_revise_release audited the two together when it
made it, with the first release's own linked set).

Nothing here changes a release: a revised release is made only through
releases.do_revise_release, by the command, when asked.
"""

import logging
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, replace

from django.conf import settings
from django.utils import translation

from haven.core import audit as audit_log
from haven.core.models import AuditEntry

from . import metrics, releases, standard
from .models import Release
from .suppression import SHOWN, WITHHELD, Rule, audit, suppress

FROM_RELEASE = "release"
FROM_UNCHANGED_RECORDS = "unchanged records"
FROM_RECORDS_NOW = "records now"

# What no member of a breakdown holds: derived from the others, never kept as a figure.
REST = "none of"
COMBINATION = "cross"


@dataclass
class Recheck:
    """What the current audit makes of one release. Cells are (table key, slice, label)."""

    release: Release
    source: str  # FROM_RELEASE, FROM_UNCHANGED_RECORDS or FROM_RECORDS_NOW
    hidden_now: list  # counts the release shows that the current audit hides
    shown_small: list | None  # small counts the release shows; None: not checked
    narrowed: list | None  # small cells an attacker can narrow; None: not checked
    unchecked: int = 0  # published cells the rebuilt linked set does not hold

    @property
    def attacked(self):
        """Whether the release's marks were audited as an attacker would undo them."""
        return self.narrowed is not None

    @property
    def fails(self):
        """A small count the release shows, or one an attacker can narrow with what the
        current audit knows; where that could not be checked, a count the release shows
        that the current audit hides."""
        if not self.attacked:
            return bool(self.hidden_now)
        return bool(self.shown_small or self.narrowed)


def releases_to_check(every_version=False):
    """The releases served (the latest version of each period), or every version."""
    ordered = Release.objects.order_by("start", "end", "version")
    if every_version:
        return list(ordered)
    latest = {}
    for release in ordered:
        latest[(release.start, release.end)] = release
    return list(latest.values())


def rebuild(release):
    """(the linked set the current code builds for the release's period, which figures it
    was built from: FROM_RELEASE, FROM_UNCHANGED_RECORDS or FROM_RECORDS_NOW)."""
    whole = metrics.Scope(release.start, release.end)
    with translation.override(settings.LANGUAGE_CODE):
        linked = _from_release(release, whole)
        if linked is not None:
            return linked, FROM_RELEASE
        changed = releases.has_late_changes(release)
        source = FROM_RECORDS_NOW if changed else FROM_UNCHANGED_RECORDS
        return _from_records(release, whole), source


def recheck(release):
    """Re-audit `release` with the current code's linked set and audit, under its own rule."""
    rule = Rule(release.threshold, release.width)
    linked, source = rebuild(release)
    status = suppress(linked, rule)
    published, unchecked = _published(release, linked)
    hidden_now = [
        cell for cell, mark in published.items() if mark == SHOWN and status[cell] != SHOWN
    ]
    if source == FROM_RECORDS_NOW:
        # The release's shown counts are not today's: what an attacker can make of its
        # marks cannot be worked out from today's figures.
        return Recheck(release, source, hidden_now, None, None, unchecked)
    shown_small = [
        cell for cell, mark in published.items() if mark == SHOWN and linked.is_target(cell, rule)
    ]
    narrowed = _narrowed(linked, status, published, rule)
    return Recheck(release, source, hidden_now, shown_small, narrowed, unchecked)


def _narrowed(linked, status, published, rule):
    """The small cells an attacker holding the release can narrow below the width.

    Every cell is marked as the release published it; a figure published nowhere (a
    combination, what no member holds) keeps what the audit knows of it (any count of 0
    or more but for its relations), and a figure the release did not publish at all (a
    table Haven added since) is unknown to the attacker.
    """
    marks = dict(status)
    for cell in linked.values:
        if cell not in linked.derived:
            marks[cell] = published.get(cell, WITHHELD)
    weak = audit(linked, marks, rule)
    return [
        cell
        for cell in linked.values
        if cell in weak and (cell in published or cell in linked.derived)
    ]


def _from_release(release, whole):
    """The linked set the current code builds from the figures the release kept, or None
    where it did not keep every figure the current code audits."""
    kept, _marks = releases.audited_set(release)
    rows = defaultdict(list)  # {(key, slice): [(label, count)]}, in the order kept
    slices, combinations = [], []
    for (key, slice_, label), value in kept.values.items():
        if slice_[0] == REST:
            continue  # the whole less its members: the linked set derives it again
        if (key, slice_) not in rows:
            known = combinations if slice_[0] == COMBINATION else slices
            if slice_ not in known:
                known.append(slice_)
        rows[(key, slice_)].append((label, value))
    if ("all",) not in slices:
        return None
    # The tables as the current code builds them (their relations); the counts are the
    # release's. The whole program's tables give every slice's (a slice's rows differ
    # only in which labels it has, and the release kept every label of every slice).
    figures = standard.Figures(whole)
    tables = standard.every_table(whole, figures).tables
    by_key = {table.key: table for table in tables}
    if not combinations and any(
        value and key in by_key and by_key[key].records_of(label).crossed
        for (key, slice_), kept_rows in rows.items()
        if slice_ == ("all",)
        for label, value in kept_rows
    ):
        return None  # records that the combinations split, and none of them kept
    reports = {}
    for slice_ in slices:
        kept_tables = _as_kept(tables, slice_, rows, every_table_kept=True)
        if kept_tables is None:
            return None
        reports[slice_] = standard.Report("all", "", whole, kept_tables)
    crossed = {}
    for slice_ in combinations:
        _cross, dims, _combination = slice_
        if dims not in standard.CROSSED_TABLES:
            return None
        templates = standard.CROSSED_TABLES[dims](figures)
        crossed[slice_] = standard.Report(
            COMBINATION, "", whole, _as_kept(templates, slice_, rows, every_table_kept=False)
        )
    with _relations_dropped() as dropped:
        linked = standard.linked_set(reports, crossed)
    if dropped:
        return None  # the kept figures do not satisfy a relation the current code knows
    for cell, value in linked.values.items():
        if cell[1][0] != REST and kept.values.get(cell) != value:
            return None  # a figure the current code audits that the release did not keep
    return linked


def _as_kept(templates, slice_, rows, every_table_kept):
    """The tables `templates` with the rows the release kept for `slice_`; None where a
    table of a slice was not kept (a combination keeps only the rows it splits)."""
    tables = []
    for template in templates:
        kept = rows.get((template.key, slice_))
        if kept is None:
            if every_table_kept:
                return None
            kept = []
        labels = [label for label, _count in kept]
        if every_table_kept and template.total_label and template.total_label not in labels:
            return None
        tables.append(replace(template, rows=list(kept)))
    return tables


@contextmanager
def _relations_dropped():
    """The relations the linked set drops while built (its figures do not satisfy them:
    suppression.py and standard.py say so in a warning), as a list."""
    dropped = []

    class Collect(logging.Handler):
        def emit(self, record):
            dropped.append(record.getMessage())

    handler = Collect(logging.WARNING)
    loggers = [logging.getLogger(f"haven.reports.{name}") for name in ("suppression", "standard")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        if logger.getEffectiveLevel() > logging.WARNING:
            logger.setLevel(logging.WARNING)
    try:
        yield dropped
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.removeHandler(handler)
            logger.setLevel(level)


def _from_records(release, whole):
    """The linked set the current code builds for the release's period from the records as
    they are now, for the members the release was counted for (and whoever has figures)."""
    figures = standard.Figures(whole)
    reports = standard.linked_reports(whole, release.members, figures)
    return standard.linked_set(reports, standard.crossed_reports(whole))


def _published(release, linked):
    """({cell: the mark the release published, SHOWN for a count}, how many of its
    published cells the linked set does not hold)."""
    slices = {releases.slice_id(cell[1]): cell[1] for cell in linked.values}
    published, unchecked = {}, 0
    for name, tables in release.slices.items():
        slice_ = slices.get(name)
        for key, table in tables.items():
            for label, value in table["rows"]:
                cell = (key, slice_, label)
                if slice_ is None or cell not in linked.values:
                    unchecked += 1
                else:
                    published[cell] = SHOWN if isinstance(value, int) else value
    return published, unchecked


def by_report(release, cells):
    """{report slug: {slice: how many of `cells` it publishes}}, in the release's order of
    reports; cells published nowhere (combinations, what no member holds) under None."""
    counts = {slug: defaultdict(int) for slug in release.layout}
    nowhere = defaultdict(int)
    for key, slice_, label in cells:
        found = False
        if slice_[0] in (REST, COMBINATION):
            nowhere[slice_] += 1
            continue
        for slug, entries in release.layout.items():
            for entry in entries:
                if entry["key"] == key and label in entry.get("rows", [label]):
                    counts[slug][slice_] += 1
                    found = True
        if not found:
            nowhere[slice_] += 1
    result = {slug: dict(by_slice) for slug, by_slice in counts.items() if by_slice}
    if nowhere:
        result[None] = dict(nowhere)
    return result


def revision_refused(release):
    """Why releases.do_revise_release cannot revise `release`, or None where it can."""
    if releases.latest_release(release.start, release.end) != release:
        return "a revised release of this period is served already"
    if release.version > 1:
        return "it is a revision already, and a period is revised once at most"
    if not releases.has_late_changes(release):
        return (
            "no figure of its period has changed since it was released, and a revision "
            "is made only of late changes"
        )
    return None


def record_run(results, revised):
    """One audit-log entry for a run: the releases checked, those failing, those revised
    (by ids only: the log holds no figures)."""
    audit_log.record(
        None,
        AuditEntry.Action.VIEW,
        page="report releases re-audited",
        checked=[result.release.pk for result in results],
        failing=[result.release.pk for result in results if result.fails],
        revised=[release.pk for release in revised],
    )
