"""The standard funder reports, built from the metric definitions in metrics.py.

A report is a title, its scope, and tables. Every table is a list of rows
(label, count) with a total row when the counts add up, so that small-cell
suppression can protect it; figures that are not counts (ratios, shares) are
shown in a "notes" table and hidden when the counts they come from are.
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from haven.outreach.models import Encounter
from haven.participants.models import Participant
from haven.supplies.models import Item

from . import metrics
from .suppression import HIDDEN, SMALL, suppress_list

Group = Item.ReportingGroup


@dataclass
class Table:
    title: str
    rows: list  # [(label, count)]
    total_label: str = ""  # set when the last row is the total of the others
    notes: list = field(default_factory=list)  # [(label, text)], not counts

    def suppressed(self):
        """A copy with small counts hidden so that no hidden count can be worked out."""
        counts = [count for _label, count in self.rows]
        hidden = suppress_list(counts, total=bool(self.total_label)) if self.rows else set()
        if not self.total_label:
            # Rows that do not add up are protected one by one.
            hidden = {i for i, count in enumerate(counts) if count in SMALL}
        rows = [
            (label, HIDDEN if i in hidden else count) for i, (label, count) in enumerate(self.rows)
        ]
        notes = [(label, HIDDEN if hidden else text) for label, text in self.notes]
        return Table(self.title, rows, self.total_label, notes)


@dataclass
class Report:
    slug: str
    title: str
    scope: metrics.Scope
    tables: list
    suppressed: bool = False

    def with_suppression(self):
        return Report(
            self.slug, self.title, self.scope, [t.suppressed() for t in self.tables], True
        )


def _with_total(rows, total_label):
    return Table("", [*rows, (total_label, sum(count for _label, count in rows))], total_label)


def _table(title, rows, total_label=None):
    if total_label:
        table = _with_total(rows, total_label)
        table.title = title
        return table
    return Table(title, rows)


def _percent(share):
    return "—" if share is None else f"{share * 100:.1f}%"


def _contacts_tables(scope, served):
    by_type = metrics.contacts_by_type(scope)
    types = dict(Encounter.ContactType.choices)
    return [
        _table(
            _("Contacts by type"),
            [(str(types[value]), count) for value, count in by_type.items()],
            _("All contacts"),
        ),
        _table(
            _("People served"),
            [
                (_("Unique participants served"), metrics.unique_participants(scope, served)),
                (_("New participants enrolled"), metrics.new_participants(scope)),
                (_("People served anonymously (head count)"), metrics.anonymous_people(scope)),
                (
                    _("People reached through secondary distribution"),
                    metrics.secondary_distribution_people(scope),
                ),
            ],
        ),
    ]


def _supplies_table(units, groups):
    labels = dict(Group.choices)
    return _table(_("Supplies handed out (units)"), [(str(labels[g]), units[g]) for g in groups])


def _syringe_table(scope, units):
    out = units[Group.SYRINGES]
    back = metrics.syringes_collected(scope)
    table = _table(
        _("Syringe services"),
        [(_("Syringes distributed"), out), (_("Syringes collected"), back)],
    )
    ratio = metrics.syringe_return_ratio(scope, distributed=out, collected=back)
    table.notes = [
        (_("Syringes collected per syringe distributed"), "—" if ratio is None else f"{ratio:.2f}")
    ]
    return table


def _naloxone_tables(scope):
    result = metrics.naloxone(scope)
    tables = []
    for group, title in (
        (Group.NALOXONE_NASAL, _("Naloxone nasal spray")),
        (Group.NALOXONE_INJECTABLE, _("Naloxone injectable")),
    ):
        figures = result[group]
        kits = _table(
            title,
            [
                (_("First kits"), figures["first_kits"]),
                (_("Refills"), figures["refills"]),
                (_("To anonymous contacts"), figures["anonymous"]),
            ],
            _("All kits"),
        )
        kits.notes = [(_("Doses"), str(figures["doses"]))]
        tables.append(kits)
    return tables


def _service_table(scope):
    return _table(
        _("Testing and training at contacts"),
        [
            (_("HIV tests"), metrics.hiv_tests(scope)),
            (_("HCV tests"), metrics.hcv_tests(scope)),
            (
                _("People trained in overdose response"),
                metrics.people_trained_in_overdose_response(scope),
            ),
        ],
    )


def _overdose_table(scope):
    figures = metrics.overdose_reports(scope)
    checks = metrics.drug_checks(scope)
    table = _table(
        _("Overdose response"),
        [
            (_("Overdoses reported"), figures["reports"]),
            (_("Reversals reported"), figures["reversals"]),
            (_("Drug checks done"), checks["done"]),
            (_("Drug checks positive"), checks["positive"]),
        ],
    )
    table.notes = [(_("Share of drug checks positive"), _percent(checks["share_positive"]))]
    return table


def _referral_tables(scope):
    from haven.resources.models import Need

    figures = metrics.referrals(scope)
    needs = dict(Need.choices)
    by_need = _table(
        _("Referrals made by need"),
        [(str(needs.get(need, need)), n) for need, n in sorted(figures["by_need"].items())],
        _("All referrals"),
    )
    linked = _table(
        _("Referrals linked to care"),
        [
            (_("Referrals whose 30 days have passed"), figures["eligible_for_linkage"]),
            (_("Linked to care within 30 days"), figures["linked_within_30_days"]),
        ],
    )
    linked.notes = [(_("Share linked within 30 days"), _percent(figures["share_linked"]))]
    return [by_need, linked]


def _demographic_tables(scope, served):
    tables = metrics.demographics(scope, served)
    genders = dict(Participant.Gender.choices)
    races = dict(Participant.RaceEthnicity.choices)
    not_recorded = _("not recorded")

    def label(mapping, key):
        return not_recorded if key == metrics.NOT_RECORDED else str(mapping.get(key, key))

    ages = [label_ for _low, _high, label_ in metrics.AGE_GROUPS] + [metrics.NOT_RECORDED]
    return [
        _table(
            _("Participants served by age"),
            [(label({}, age), tables["age"].get(age, 0)) for age in ages],
            _("All participants served"),
        ),
        _table(
            _("Participants served by gender"),
            [(label(genders, key), n) for key, n in sorted(tables["gender"].items())],
            _("All participants served"),
        ),
        _table(
            _("Participants served by race/ethnicity"),
            [(label(races, key), n) for key, n in sorted(tables["race_ethnicity"].items())],
            _("All participants served"),
        ),
        _table(
            _("Participants served by ZIP code"),
            [(label({}, key), n) for key, n in sorted(tables["zip"].items())],
            _("All participants served"),
        ),
    ]


def ssp_activity(scope):
    """Syringe services program activity: contacts, people, syringes, supplies, tests."""
    units = metrics.units_by_group(scope)
    tables = [
        *_contacts_tables(scope, metrics.served_participants(scope)),
        _syringe_table(scope, units),
        _supplies_table(
            units,
            [
                Group.FENTANYL_STRIPS,
                Group.XYLAZINE_STRIPS,
                Group.SMOKING_KITS,
                Group.CONDOMS,
                Group.WOUND_CARE_KITS,
                Group.OTHER,
            ],
        ),
        _service_table(scope),
        *_referral_tables(scope),
    ]
    return Report("ssp", str(REPORTS["ssp"]), scope, tables)


def naloxone_quarterly(scope):
    """Naloxone program: kits and doses by formulation, first kits and refills,
    training and reversals."""
    tables = [
        *_naloxone_tables(scope),
        _table(
            _("Overdose education"),
            [
                (
                    _("People trained in overdose response"),
                    metrics.people_trained_in_overdose_response(scope),
                )
            ],
        ),
        _overdose_table(scope),
    ]
    return Report("naloxone", str(REPORTS["naloxone"]), scope, tables)


def grant_progress(scope):
    """Grant progress: people served and their demographics, and the key outputs."""
    served = metrics.served_participants(scope)
    tables = [
        *_contacts_tables(scope, served),
        *_demographic_tables(scope, served),
        _syringe_table(scope, metrics.units_by_group(scope)),
        *_naloxone_tables(scope),
        _service_table(scope),
        _overdose_table(scope),
        *_referral_tables(scope),
    ]
    return Report("grant", str(REPORTS["grant"]), scope, tables)


REPORTS = {
    "ssp": gettext_lazy("Syringe services program activity report"),
    "naloxone": gettext_lazy("Naloxone program quarterly report"),
    "grant": gettext_lazy("Grant progress report"),
}
BUILDERS = {"ssp": ssp_activity, "naloxone": naloxone_quarterly, "grant": grant_progress}
