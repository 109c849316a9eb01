"""The standard funder reports, built from the metric definitions in metrics.py.

A report is a title, its scope, and tables. Every table is a list of rows
(label, count) with a total row when the counts add up, so that small-cell
suppression can protect it; figures that are not counts (ratios, shares) are
shown in a "notes" table and hidden when the counts they come from are.
"""

import logging
from collections import defaultdict
from dataclasses import dataclass, field, replace

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from haven.mail import metrics as mail
from haven.mail.models import MailRequest
from haven.outreach.models import Encounter, Service
from haven.participants.models import Participant
from haven.supplies.models import Item
from haven.training import metrics as training
from haven.training.models import Audience

from . import metrics
from .suppression import SHOWN, SMALL, SUPPRESSED, WITHHELD, LinkedSet, rule_from_settings, suppress

Group = Item.ReportingGroup
log = logging.getLogger(__name__)

# How a table's figure for the whole program relates to the same figure for each
# member of a breakdown (a site, a staff member, a contact type):
SUM = "sum"  # the members' figures add up to it (records without a member aside)
OVERLAP = "overlap"  # each member's is at most it, and it at most their sum (people)
SAME = "same"  # the breakdown does not apply: every member's figure is the same
ADDS_UP = {"site": SUM, "staff": SUM, "type": SUM}
PEOPLE = {"site": OVERLAP, "staff": OVERLAP, "type": OVERLAP}
NOT_BY_TYPE = {"site": SUM, "staff": SUM, "type": SAME}

# Breakdowns that classify a figure's records together. A contact has a site, a staff
# member and a type at once, so the whole program's figure is split over the
# combinations that had contacts, and a site's, a staff member's and a type's figures are
# sums over some of them. Where a combination had no contact its share is none, and
# anyone can see much of that: each site's and staff member's contacts by type are
# published, so a site with only fixed-site contacts, the only site with any, has the
# same figures as the fixed-site contacts (docs/reports.md, "Breakdowns crossed").
CONTACT = ("site", "staff", "type")
# An overdose report made at a contact takes the contact's site and type; its staff
# member is who recorded it, who may not be the contact's. One made at no contact has
# only its recorder, and one sent through the public form (haven/mail) not even that.
RECORDED = ("site", "recorder", "type")
# Records that are not contacts have a site and a staff member (new participants,
# syringes collected, drug checks, referrals).
SITE_AND_STAFF = ("site", "staff")
# A training session is held at one site or none, and given by one trainer or more.
TRAINED = ("site", "trainer")
# The breakdown whose slices count each kind of member of a combination: a report's
# recorder and a session's trainer are staff members.
BREAKDOWN_OF = {"recorder": "staff", "trainer": "staff"}


def breakdowns_of(dims):
    """The breakdowns (site, staff, type) of a kind of combination's dimensions."""
    return tuple(BREAKDOWN_OF.get(dimension, dimension) for dimension in dims)


@dataclass(frozen=True)
class Records:
    """How a figure's records are classified by the breakdowns (`Table.records`).

    `crossed`: the breakdowns that classify each record together (its figure is split
    over their combinations); `complete`: those every record has a member of, so that
    what no member holds is none (a contact always has a site, a staff member and a
    type; a training may be held at none of the sites, but is always given by someone).
    """

    crossed: tuple = ()
    complete: tuple = ()


CONTACTS = Records(CONTACT, CONTACT)
OVERDOSE_REPORTS = Records(RECORDED)  # made at no contact, or sent by the public form
OTHER_RECORDS = Records(SITE_AND_STAFF, SITE_AND_STAFF)  # referrals, checks, collections
ENROLMENTS = Records(SITE_AND_STAFF)  # enrolled with no site or by nobody (imported)
TRAININGS = Records(TRAINED, ("staff",))
ELSEWHERE = Records()  # mail: requests belong to no site, staff member or type

# How a hidden count is shown: "<11" says 1 to 10; a count hidden so that a
# small one elsewhere cannot be worked out may be any size, so it says only that.
SUPPRESSED_MARK = gettext_lazy("suppressed")
WITHHELD_MARK = gettext_lazy("not shown")
WITHHELD_TEXT = gettext_lazy("Too few to show safely: this table is not shown.")
TOO_SMALL_TEXT = gettext_lazy(
    "Too few records for this period and breakdown: no figure can be shown safely."
)


@dataclass
class Table:
    title: str
    rows: list  # [(label, count)]
    total_label: str = ""  # set when the last row is the total of the others
    notes: list = field(default_factory=list)  # [(label, text)], not counts
    key: str = ""  # the same figures have the same key in every report
    links: dict = field(default_factory=lambda: dict(ADDS_UP))
    row_links: dict = field(default_factory=dict)  # {label: links} where rows differ
    records: Records = ELSEWHERE  # how its records are classified (CONTACTS…)
    row_records: dict = field(default_factory=dict)  # {label: Records} where rows differ
    # {label: contact type} for rows that only contacts of one type can hold.
    row_types: dict = field(default_factory=dict)
    withheld: bool = False

    def links_of(self, label):
        return self.row_links.get(label, self.links)

    def records_of(self, label):
        return self.row_records.get(label, self.records)

    def shown_with(self, marks, hidden_label):
        """A copy as published: each row's mark from the audit ({label: status})."""
        # A table is withheld whole with its total: a total known anyway (the sum of the
        # sites' totals, say) is shown, and only the rows that are withheld are not.
        if self.total_label and marks.get(self.total_label) == WITHHELD:
            return replace(
                self, rows=[(str(WITHHELD_TEXT), "")], notes=[], total_label="", withheld=True
            )
        rows = []
        for label, count in self.rows:
            mark = marks.get(label, SHOWN)
            if mark == SHOWN:
                rows.append((label, count))
            elif mark == SMALL:
                rows.append((label, hidden_label))
            elif mark == WITHHELD:
                rows.append((label, str(WITHHELD_MARK)))
            else:
                rows.append((label, str(SUPPRESSED_MARK)))
        hidden = any(marks.get(label, SHOWN) != SHOWN for label, _count in self.rows)
        notes = [(label, str(SUPPRESSED_MARK) if hidden else text) for label, text in self.notes]
        return replace(self, rows=rows, notes=notes)


@dataclass
class Report:
    slug: str
    title: str
    scope: metrics.Scope
    tables: list
    suppressed: bool = False
    rule: object = None  # the suppression rule, when suppressed
    too_small: bool = False  # nothing could be shown safely
    released_at: object = None  # when built from a release (releases.py): when it was made
    late_changes: bool = False  # figures of the period changed after that release
    revised: bool = False  # the release is a revision of the first


def status_lines(report):
    """What every page and file says about its figures: suppressed, or exact and internal."""
    if not report.suppressed:
        return [_("EXACT FIGURES — internal use only")]
    rule = report.rule
    lines = [
        _("Small counts suppressed (1–%(threshold)s hidden; protection width %(width)s)")
        % {"threshold": rule.threshold, "width": rule.width},
    ]
    if report.too_small:
        lines.append(str(TOO_SMALL_TEXT))
    else:
        lines.append(
            _(
                "%(small)s: a count from 1 to %(threshold)s. “%(suppressed)s”: hidden so that a "
                "small count cannot be worked out from the others; it may be any size. "
                "“%(withheld)s”: too few to show safely."
            )
            % {
                "small": rule.hidden_label,
                "threshold": rule.threshold,
                "suppressed": SUPPRESSED_MARK,
                "withheld": WITHHELD_MARK,
            }
        )
    if report.released_at:
        date = timezone.localtime(report.released_at).date().isoformat()
        if report.revised:
            lines.append(_("Figures as revised on %(date)s.") % {"date": date})
        else:
            lines.append(_("Figures as released on %(date)s.") % {"date": date})
        if report.late_changes:
            lines.append(
                _(
                    "Records of this period were added, edited or deleted after that release: "
                    "these figures do not include those late changes."
                )
            )
    return lines


def _with_total(rows, total_label):
    return Table("", [*rows, (total_label, sum(count for _label, count in rows))], total_label)


def _table(title, rows, total_label=None, key="", links=ADDS_UP, records=CONTACTS):
    if total_label:
        table = _with_total(rows, total_label)
        table.title = title
    else:
        table = Table(title, rows)
    table.key = key or title
    table.links = dict(links)
    table.records = records
    return table


def _percent(share):
    return "—" if share is None else f"{share * 100:.1f}%"


class Figures:
    """The figures of one scope that the reports show, each counted once when first needed.

    The suppressed reports fill in every slice's figures from grouped counts
    (`for_every_member`) instead, the same definitions counted for every site,
    staff member or contact type in one query each.
    """

    # {attribute: the metric that counts it, taking (scope, by=…)}
    METRICS = {
        "activity": metrics.activity,
        "people": metrics.people_served,
        "new_participants": metrics.new_participants,
        "by_item": metrics.supplies_by_item,
        "first_kits": metrics.naloxone_first_kits,
        "services": metrics.services,
        "collected": metrics.syringes_collected,
        "overdose": metrics.overdose_reports,
        "checks": metrics.drug_checks,
        "referrals": metrics.referrals,
        "training": training.training_figures,
    }

    def __init__(self, scope):
        self.scope = scope
        self._counted = {}
        self._cached = None
        self._months = {}  # cached figures of finished months, see metrics.count_by_months

    def __getattr__(self, name):
        if name not in self.METRICS:
            raise AttributeError(name)
        if name not in self._counted:
            self._counted[name] = self._count(name)
        return self._counted[name]

    def _count(self, name):
        # A finished period's costliest figures come from the cache while they hold.
        if name not in metrics.CACHED_FIGURES:
            return self.METRICS[name](self.scope)
        if not metrics.is_finished(self.scope):
            value = metrics.count_by_months(self.scope, name, self._months)
            if name in metrics.FROM_CACHED_ROWS:
                return metrics.FROM_CACHED_ROWS[name](self.scope, rows=value)
            return value
        if self._cached is None:
            self._cached = metrics.CachedContactFigures(self.scope)
        value = self._cached.figure(name)
        if name in metrics.FROM_CACHED_ROWS:
            return metrics.FROM_CACHED_ROWS[name](self.scope, rows=value)
        return value

    @classmethod
    def for_every_member(cls, scope, dimension, members, member_scope):
        """{member: Figures} for every member of a breakdown, from one grouped query per metric.

        Whoever has figures in the period is a member too, offered in the form or not:
        a staff member no longer offered (made an analyst, or left without sites) would
        otherwise be the gap between everyone's figures and the offered members', which
        the audit takes as known and nothing protects.
        """
        grouped = {name: metric(scope, by=dimension) for name, metric in cls.METRICS.items()}
        counted = {member for values in grouped.values() for member in values} - {None}
        members = [*members, *sorted(counted - set(members))]
        every = {}
        for member in members:
            figures = every[member] = cls(member_scope(member))
            figures._counted = {name: values[member] for name, values in grouped.items()}
        return every

    # The metrics that split over each kind of combination of breakdowns (Records.crossed).
    CROSSED = {
        CONTACT: ("activity", "people", "by_item", "first_kits", "services"),
        RECORDED: ("overdose",),
        SITE_AND_STAFF: ("new_participants", "collected", "checks", "referrals"),
        TRAINED: ("training",),
    }
    # Metrics whose combinations are not a grouped query of the metric itself.
    BY_COMBINATION = {"overdose": metrics.overdose_reports_by_combination}

    @classmethod
    def for_every_combination(cls, scope):
        """{(breakdowns, combination): Figures} of the whole program's records split over
        the combinations of breakdowns that classify them together (CROSSED): for every
        site, staff member and type that had contacts together, (3, 7, "street"), its
        contacts' figures; for every site, recorder and type, its overdose reports made
        at contacts, and for every recorder what they recorded at no site (None, 7, None);
        for every site and staff member, their records that are not contacts; for every
        site (or None) and trainer, the sessions they gave there. One grouped query per
        metric and kind; the other figures of a combination are none.

        A combination of site, staff member and type counts only if it had a contact in
        the period: anyone who reads who works where and each one's contacts by type
        knows where there were none, so the audit takes those as known to hold nothing.
        The same holds of who trains and who records overdoses where.
        """
        whole = metrics.Scope(scope.start, scope.end)
        nobody = replace(whole, site_ids=(-1,), staff_ids=(-1,))
        empty = {name: metric(nobody) for name, metric in cls.METRICS.items()}
        grouped = {
            dims: {
                name: cls.BY_COMBINATION[name](whole)
                if name in cls.BY_COMBINATION
                else cls.METRICS[name](whole, by=breakdowns_of(dims))
                for name in names
            }
            for dims, names in cls.CROSSED.items()
        }
        contacted = [
            combination
            for combination, figures in grouped[CONTACT]["activity"].items()
            if sum(figures["by_type"].values())
        ]
        held = {
            CONTACT: set(contacted),
            RECORDED: set(contacted),
            SITE_AND_STAFF: {(site, staff) for site, staff, _kind in contacted},
            TRAINED: set(),
        }
        every = {}
        for dims, names in cls.CROSSED.items():
            if dims != CONTACT:
                # Records of these kinds where nobody had a contact are combinations too.
                for name in names:
                    held[dims] |= set(grouped[dims][name])
            for combination in sorted(held[dims], key=repr):
                figures = every[(dims, combination)] = cls(whole)
                figures._counted = {
                    **empty,
                    **{name: grouped[dims][name][combination] for name in names},
                }
        return every


def _contacts_tables(figures):
    people = figures.people
    by_type = figures.activity["by_type"]
    types = dict(Encounter.ContactType.choices)
    people = _table(
        _("People served"),
        [
            (_("Unique participants served"), people["unique"]),
            (_("New participants enrolled"), figures.new_participants),
            (_("People served anonymously (head count)"), figures.activity["anonymous"]),
            (
                _("People reached through secondary distribution"),
                figures.activity["secondary"],
            ),
        ],
        key="people_served",
    )
    # A person met at two sites counts at each; enrolment has no contact type.
    people.row_links = {
        _("Unique participants served"): PEOPLE,
        _("New participants enrolled"): NOT_BY_TYPE,
    }
    people.row_records = {_("New participants enrolled"): ENROLMENTS}
    contacts = _table(
        _("Contacts by type"),
        [(str(types[value]), count) for value, count in by_type.items()],
        _("All contacts"),
        key="contacts_by_type",
    )
    contacts.row_types = {str(types[value]): value for value in by_type}
    return [contacts, people]


SUPPLY_GROUPS = [
    Group.FENTANYL_STRIPS,
    Group.XYLAZINE_STRIPS,
    Group.SMOKING_KITS,
    Group.CONDOMS,
    Group.WOUND_CARE_KITS,
    Group.OTHER,
]


def _supplies_table(units, groups):
    labels = dict(Group.choices)
    return _table(
        _("Supplies handed out (units)"),
        [(str(labels[g]), units[g]) for g in groups],
        key="supplies",
    )


def _units(figures):
    return metrics.units_by_group(figures.scope, figures.by_item)


def _syringe_table(figures):
    out = _units(figures)[Group.SYRINGES]
    back = figures.collected
    table = _table(
        _("Syringe services"),
        [(_("Syringes distributed"), out), (_("Syringes collected"), back)],
        key="syringes",
    )
    table.row_links = {_("Syringes collected"): NOT_BY_TYPE}
    table.row_records = {_("Syringes collected"): OTHER_RECORDS}
    ratio = metrics.syringe_return_ratio(figures.scope, distributed=out, collected=back)
    table.notes = [
        (_("Syringes collected per syringe distributed"), "—" if ratio is None else f"{ratio:.2f}")
    ]
    return table


def _naloxone_tables(figures):
    result = metrics.naloxone(figures.scope, figures.by_item, figures.first_kits)
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
            key=f"naloxone_{group}",
        )
        kits.notes = [(_("Doses"), str(figures["doses"]))]
        tables.append(kits)
    return tables


def _service_figure(figures, group, column):
    return figures.services.get(group, {}).get(column, 0)


def _people_trained(figures):
    return _service_figure(figures, Service.ReportingGroup.OVERDOSE_EDUCATION, "people")


def _service_table(figures):
    return _table(
        _("Testing and training at contacts"),
        [
            (
                _("HIV tests"),
                _service_figure(figures, Service.ReportingGroup.HIV_TEST, "encounters"),
            ),
            (
                _("HCV tests"),
                _service_figure(figures, Service.ReportingGroup.HCV_TEST, "encounters"),
            ),
            (_("People trained in overdose response"), _people_trained(figures)),
        ],
        key="services",
    )


def _overdose_table(figures):
    reports = figures.overdose
    checks = figures.checks
    table = _table(
        _("Overdose response"),
        [
            (_("Overdoses reported"), reports["reports"]),
            (_("Reversals reported"), reports["reversals"]),
            (_("Drug checks done"), checks["done"]),
            (_("Drug checks positive"), checks["positive"]),
            # Shown so that the share positive never implies an unchecked count.
            (_("Drug checks negative"), checks["negative"]),
        ],
        key="overdose",
        records=OVERDOSE_REPORTS,
    )
    table.row_links = {
        _("Drug checks done"): NOT_BY_TYPE,
        _("Drug checks positive"): NOT_BY_TYPE,
        _("Drug checks negative"): NOT_BY_TYPE,
    }
    table.row_records = dict.fromkeys(table.row_links, OTHER_RECORDS)
    table.notes = [(_("Share of drug checks positive"), _percent(checks["share_positive"]))]
    return table


# Mail distribution (haven/mail) ---------------------------------------------
# Program-wide figures (see haven/mail/metrics.py): the same for every site,
# staff member and contact type of a breakdown.
MAIL_LINKS = {"site": SAME, "staff": SAME, "type": SAME}


def _mail_table(scope):
    labels = dict(MailRequest.Status.choices)
    naloxone = mail.naloxone_mailed(scope)
    rows = [
        *(
            (_("Mail requests: %(status)s") % {"status": labels[status]}, count)
            for status, count in mail.requests_by_status(scope).items()
        ),
        (_("Naloxone kits mailed"), naloxone["kits"]),
        (_("Reversals reported by mail"), mail.reversals_by_mail(scope)),
    ]
    table = _table(
        _("Naloxone and supplies by mail"), rows, key="mail", links=MAIL_LINKS, records=ELSEWHERE
    )
    # Doses are kits times the doses in a kit: a note, hidden with any hidden
    # count, like the naloxone tables' doses (12 doses shown beside a hidden
    # count of kits of 2 doses would give the kits away).
    table.notes = [(_("Naloxone doses mailed"), str(naloxone["doses"]))]
    return table


def _referral_tables(figures):
    from haven.resources.models import Need

    figures = figures.referrals
    needs = dict(Need.choices)
    by_need = _table(
        _("Referrals made by need"),
        [(str(needs.get(need, need)), n) for need, n in sorted(figures["by_need"].items())],
        _("All referrals"),
        key="referrals_by_need",
        links=NOT_BY_TYPE,
        records=OTHER_RECORDS,
    )
    linked = _table(
        _("Referrals linked to care"),
        [
            (_("Referrals whose 30 days have passed"), figures["eligible_for_linkage"]),
            (_("Linked to care within 30 days"), figures["linked_within_30_days"]),
        ],
        key="referrals_linked",
        links=NOT_BY_TYPE,
        records=OTHER_RECORDS,
    )
    linked.notes = [(_("Share linked within 30 days"), _percent(figures["share_linked"]))]
    return [by_need, linked]


def _demographic_tables(figures):
    tables = metrics.demographics(figures.scope, figures.people)
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
            key="served_by_age",
            links=PEOPLE,
        ),
        _table(
            _("Participants served by gender"),
            [(label(genders, key), n) for key, n in sorted(tables["gender"].items())],
            _("All participants served"),
            key="served_by_gender",
            links=PEOPLE,
        ),
        _table(
            _("Participants served by race/ethnicity"),
            [(label(races, key), n) for key, n in sorted(tables["race_ethnicity"].items())],
            _("All participants served"),
            key="served_by_race",
            links=PEOPLE,
        ),
        _table(
            _("Participants served by ZIP code"),
            [(label({}, key), n) for key, n in sorted(tables["zip"].items())],
            _("All participants served"),
            key="served_by_zip",
            links=PEOPLE,
        ),
    ]


# ---------------------------------------------------------------- group trainings (issue 14)

# A training is not a contact: the contact-type breakdown does not apply, a
# session belongs to at most one site, and a session with two trainers counts
# for each of them.
TRAINING_LINKS = {"site": SUM, "staff": OVERLAP, "type": SAME}
TRAINING_PEOPLE = {"site": OVERLAP, "staff": OVERLAP, "type": SAME}


def _training_tables(figures):
    """People trained, sessions by audience and kits at group trainings (haven/training)."""
    people = figures.training["people"]
    trained = _table(
        _("People trained at group sessions"),
        [
            (_("Participants (each once)"), people["participants"]),
            (_("Named for a certificate"), people["named"]),
            (_("Others present (headcount)"), people["anonymous"]),
        ],
        _("People trained"),
        key="training_people",
        links=TRAINING_PEOPLE,
        records=TRAININGS,
    )
    # A participant trained at two sites counts once in everyone's figures, but a name
    # or a headcount counts per session, and a session is at one site: those two add up
    # by site exactly, as an attacker who reads the definitions knows.
    trained.row_links = {
        _("Named for a certificate"): TRAINING_LINKS,
        _("Others present (headcount)"): TRAINING_LINKS,
    }
    change = figures.training["change"]
    trained.notes = [
        (
            _("Quiz answers right, before → after"),
            f"{_percent_or_dash(change['pre'])} → {_percent_or_dash(change['post'])}",
        )
    ]
    by_audience = figures.training["audiences"]
    sessions = _table(
        _("Training sessions by audience"),
        [(str(label), by_audience.get(value, 0)) for value, label in Audience.choices],
        _("All sessions"),
        key="training_sessions",
        links=TRAINING_LINKS,
        records=TRAININGS,
    )
    kits = figures.training["kits"]
    labels = dict(Group.choices)
    handed = _table(
        _("Supplies handed out at trainings (units)"),
        [
            (str(labels[Group.NALOXONE_NASAL]), kits[Group.NALOXONE_NASAL]),
            (str(labels[Group.NALOXONE_INJECTABLE]), kits[Group.NALOXONE_INJECTABLE]),
            (_("Other supplies"), kits["other"]),
        ],
        key="training_kits",
        links=TRAINING_LINKS,
        records=TRAININGS,
    )
    return [trained, sessions, handed]


# How a site's and a trainer's figures relate to those of each site and trainer together:
# a site's sessions are its trainers' there, a session given by two counted once (at
# least each one's, at most their sum); a trainer's are theirs at each site, and a
# session is at one site (their sum). A participant trained counts once either way.
TRAINED_SESSIONS = {"site": OVERLAP, "staff": SUM, "type": SAME}
TRAINED_PEOPLE = {"site": OVERLAP, "staff": OVERLAP, "type": SAME}


def _trained_tables(figures):
    """The training tables of one site and trainer together (TRAINED), with how each
    site's and trainer's figures are made of them."""
    tables = _training_tables(figures)
    for table in tables:
        table.links = dict(TRAINED_SESSIONS)
        table.row_links = {}
    people = tables[0]
    people.links = dict(TRAINED_PEOPLE)
    people.row_links = {
        _("Named for a certificate"): TRAINED_SESSIONS,
        _("Others present (headcount)"): TRAINED_SESSIONS,
    }
    return tables


def _percent_or_dash(percent):
    return "—" if percent is None else f"{percent}%"


def ssp_activity(scope, figures=None):
    """Syringe services program activity: contacts, people, syringes, supplies, tests."""
    figures = figures or Figures(scope)
    tables = [
        *_contacts_tables(figures),
        _syringe_table(figures),
        _supplies_table(_units(figures), SUPPLY_GROUPS),
        _service_table(figures),
        *_referral_tables(figures),
    ]
    return Report("ssp", str(REPORTS["ssp"]), scope, tables)


def naloxone_quarterly(scope, figures=None):
    """Naloxone program: kits and doses by formulation, first kits and refills,
    training and reversals."""
    figures = figures or Figures(scope)
    tables = [
        *_naloxone_tables(figures),
        _table(
            _("Overdose education"),
            [(_("People trained in overdose response"), _people_trained(figures))],
            key="services",  # the same figure as in the other reports' service table
        ),
        _overdose_table(figures),
        *_training_tables(figures),
        _mail_table(figures.scope),
    ]
    return Report("naloxone", str(REPORTS["naloxone"]), scope, tables)


def grant_progress(scope, figures=None):
    """Grant progress: people served and their demographics, and the key outputs."""
    figures = figures or Figures(scope)
    tables = [
        *_contacts_tables(figures),
        *_demographic_tables(figures),
        _syringe_table(figures),
        *_naloxone_tables(figures),
        _service_table(figures),
        _overdose_table(figures),
        *_referral_tables(figures),
        *_training_tables(figures),
        _mail_table(figures.scope),
    ]
    return Report("grant", str(REPORTS["grant"]), scope, tables)


REPORTS = {
    "ssp": gettext_lazy("Syringe services program activity report"),
    "naloxone": gettext_lazy("Naloxone program quarterly report"),
    "grant": gettext_lazy("Grant progress report"),
}
BUILDERS = {"ssp": ssp_activity, "naloxone": naloxone_quarterly, "grant": grant_progress}


# ---------------------------------------------------------------- suppression over the linked set

DIMENSIONS = ("site", "staff", "type")


def breakdown_members():
    """Who a report can be broken down by: every site, staff member and contact type.

    The same lists the report form offers a manager or an analyst.
    """
    from haven.accounts.models import Site, User

    return {
        "site": list(Site.objects.order_by("pk").values_list("pk", flat=True)),
        "staff": list(
            User.objects.filter(
                role__in=["specialist", "supervisor", "manager"], sites__isnull=False
            )
            .distinct()
            .order_by("pk")
            .values_list("pk", flat=True)
        ),
        "type": list(Encounter.ContactType.values),
    }


def slice_of(scope):
    """Which figures of the linked set a scope asks for: ("all",) or (dimension, member).

    None when the scope combines filters, or names several sites: those are
    not in the linked set, so they cannot be published suppressed.
    """
    chosen = [
        (dimension, ids)
        for dimension, ids in (
            ("site", scope.site_ids),
            ("staff", scope.staff_ids),
            ("type", scope.contact_types),
        )
        if ids
    ]
    if not chosen:
        return ("all",)
    if len(chosen) > 1 or len(chosen[0][1]) != 1:
        return None
    return (chosen[0][0], chosen[0][1][0])


def every_table(scope, figures=None):
    """Every table of every standard report, once each (the same key is the same figures).

    The grant report holds all the others' tables but the supplies table; the
    naloxone report's overdose education row is the service table's.
    """
    figures = figures or Figures(scope)
    grant = grant_progress(scope, figures)
    supplies = _supplies_table(_units(figures), SUPPLY_GROUPS)
    return Report("all", "", scope, [*grant.tables, supplies])


# The tables that hold the figures of each kind of combination (Figures.CROSSED).
CROSSED_TABLES = {
    CONTACT: lambda figures: [
        *_contacts_tables(figures),
        *_demographic_tables(figures),
        _syringe_table(figures),
        *_naloxone_tables(figures),
        _service_table(figures),
        _supplies_table(_units(figures), SUPPLY_GROUPS),
    ],
    RECORDED: lambda figures: [_overdose_table(figures)],
    SITE_AND_STAFF: lambda figures: [
        *_contacts_tables(figures),
        _syringe_table(figures),
        _overdose_table(figures),
        *_referral_tables(figures),
    ],
    TRAINED: _trained_tables,
}


def crossed_reports(scope):
    """{("cross", breakdowns, combination): its tables} for every combination of breakdowns
    that classify records together (Figures.for_every_combination). Published nowhere:
    the audit's unknowns, of which each slice's figures are sums (linked_set)."""
    return {
        ("cross", dims, combination): Report(
            "cross", "", figures.scope, CROSSED_TABLES[dims](figures)
        )
        for (dims, combination), figures in Figures.for_every_combination(scope).items()
    }


def linked_reports(scope, members, figures=None):
    """{slice: every table} for the whole program and every member of every breakdown.

    Every report's tables are suppressed together, so that a figure shown in
    one report is never hidden in another, where the two could be combined.
    `figures` are the whole program's, when the caller has them.
    """
    whole = metrics.Scope(scope.start, scope.end)
    reports = {("all",): every_table(whole, figures)}
    filters = {"site": "site_ids", "staff": "staff_ids", "type": "contact_types"}
    for dimension in DIMENSIONS:
        every = Figures.for_every_member(
            whole,
            dimension,
            members[dimension],
            lambda member, dimension=dimension: replace(whole, **{filters[dimension]: (member,)}),
        )
        for member, figures in every.items():
            reports[(dimension, member)] = every_table(figures.scope, figures)
    return reports


def linked_set(reports, crossed=None):
    """The figures of `reports` ({slice: Report}) and every relation between them, with
    the combinations of breakdowns they are made of (`crossed`: crossed_reports())."""
    linked = LinkedSet()
    whole = reports[("all",)]
    # Rows that a slice leaves out (a need nobody was referred to there) are zeros.
    labels = {}
    for report in reports.values():
        for table in report.tables:
            known = labels.setdefault(table.key, [])
            known += [label for label, _count in table.rows if label not in known]
    values = {}
    for slice_, report in reports.items():
        for table in report.tables:
            counts = dict(table.rows)
            for label in labels[table.key]:
                cell = (table.key, slice_, label)
                if cell in values:
                    continue  # the same figure in a second table of the report
                values[cell] = counts.get(label, 0)
                group = (table.key if table.total_label else f"{table.key}:{label}", slice_)
                linked.add(cell, values[cell], group)
            if table.total_label:
                terms = {(table.key, slice_, label): 1 for label in labels[table.key]}
                terms[(table.key, slice_, table.total_label)] = -1
                linked.equal(terms)
    members = {dimension: [s for s in reports if s[0] == dimension] for dimension in DIMENSIONS}
    for table in whole.tables:
        for label in labels[table.key]:
            total = (table.key, ("all",), label)
            if total not in linked.values:
                continue
            for dimension in DIMENSIONS:
                parts = [
                    (table.key, slice_, label)
                    for slice_ in members[dimension]
                    if (table.key, slice_, label) in linked.values
                ]
                if parts:
                    complete = dimension in table.records_of(label).complete
                    _relate(linked, table.links_of(label)[dimension], total, parts, complete)
    crossed = crossed or {}
    slice_links = {
        (table.key, label): table.links_of(label)
        for table in whole.tables
        for label in labels[table.key]
    }
    _add_combinations(linked, labels, crossed, slice_links)
    # Every table of the people served counts the same unique participants, and some
    # figures are parts of others (a reversal is an overdose reported); in every
    # combination of breakdowns as in every slice.
    parts_of = [
        ([(key, str(label)) for key, label in parts], (of[0], str(of[1]))) for parts, of in PARTS_OF
    ]
    unique, all_served = _("Unique participants served"), _("All participants served")
    for slice_ in [*reports, *crossed]:
        for parts, (key, label) in parts_of:
            cells = [(part_key, slice_, part_label) for part_key, part_label in parts]
            total = (key, slice_, label)
            if total in linked.values and all(c in linked.values for c in cells):
                linked.at_most({**dict.fromkeys(cells, 1), total: -1})
        served = ("people_served", slice_, unique)
        for key in ("served_by_age", "served_by_gender", "served_by_race", "served_by_zip"):
            total = (key, slice_, all_served)
            if served in linked.values and total in linked.values:
                linked.equal({served: 1, total: -1})
    # Naloxone mailed is handed out at an anonymous mail contact when its request is packed.
    mailed = ("mail", ("all",), _("Naloxone kits mailed"))
    handed = [
        (f"naloxone_{group}", ("type", Encounter.ContactType.MAIL), _("To anonymous contacts"))
        for group in (Group.NALOXONE_NASAL, Group.NALOXONE_INJECTABLE)
    ]
    if all(cell in linked.values for cell in [mailed, *handed]):
        linked.at_most({mailed: 1, **dict.fromkeys(handed, -1)})
    # The overdose reports nobody recorded are those sent through the public form (imported
    # ones are left out), whose count the mail table publishes: anyone reading the
    # definitions knows what no staff member's reports hold. A report made some other
    # way with no recorder (demo data) leaves the form's at most that.
    by_form = ("mail", ("all",), _("Reversals reported by mail"))
    nobody = ("overdose", ("none of", "staff"), _("Overdoses reported"))
    if by_form in linked.values and nobody in linked.values:
        if linked.values[by_form] == linked.values[nobody]:
            linked.equal({by_form: 1, nobody: -1})
        else:
            linked.at_most({by_form: 1, nobody: -1})
    return linked


def _add_combinations(linked, labels, crossed, slice_links):
    """Each combination's figures as unknowns (latent cells: published nowhere, any count
    of 0 or more to an attacker, protected when small), and the relations that make each
    site's, staff member's and type's figure of them: the sum of its combinations' (or,
    for people counted once, at least each of them and at most their sum). A combination
    with no member of a breakdown (a session held at no site) is part of what no member
    of it holds, where that is a figure (`slice_links`, the slices' relations, say SUM):
    what people counted once have beyond the members' is not."""
    parts = defaultdict(list)  # {(key, label, dimension, member): [latent cells]}
    links = {}
    for slice_, report in crossed.items():
        _cross, dims, combination = slice_
        for table in report.tables:
            counts = dict(table.rows)
            rows = [
                label
                for label in labels.get(table.key, [])
                if table.records_of(label).crossed == dims
            ]
            for label in rows:
                kind = table.row_types.get(label)
                if kind is not None and combination[dims.index("type")] != kind:
                    continue  # only contacts of another type hold it
                cell = (table.key, slice_, label)
                if cell in linked.values:
                    continue  # the same figure in a second table
                linked.add(cell, counts.get(label, 0), cell, latent=True)
                for dimension, member in zip(dims, combination, strict=True):
                    parts[(table.key, label, dimension, member)].append(cell)
                links[(table.key, label)] = table.links_of(label)
            if table.total_label and len(rows) == len(labels[table.key]):
                # A combination's table adds up as a slice's does.
                terms = {
                    cell: 1
                    for label in rows
                    if (cell := (table.key, slice_, label)) in linked.values
                }
                terms[(table.key, slice_, table.total_label)] = -1
                linked.equal(terms)
    for (key, label, dimension, member), cells in parts.items():
        breakdown = BREAKDOWN_OF.get(dimension, dimension)
        if member is None and slice_links.get((key, label), {}).get(breakdown) != SUM:
            continue
        slice_ = (breakdown, member) if member is not None else ("none of", breakdown)
        published = (key, slice_, label)
        if published not in linked.values:
            log.warning("suppression: no figure of %s for the combinations of %s", slice_, key)
            continue
        relation = links[(key, label)][breakdown]
        if relation == SUM:
            linked.equal({**dict.fromkeys(cells, 1), published: -1})
        elif relation == OVERLAP:
            linked.each_at_most(cells, published)
            linked.at_most({published: 1, **dict.fromkeys(cells, -1)})


# (figures, the figure they are part of): their sum is at most it, in every slice.
PARTS_OF = [
    (
        [("overdose", gettext_lazy("Reversals reported"))],
        ("overdose", gettext_lazy("Overdoses reported")),
    ),
    (
        [
            ("overdose", gettext_lazy("Drug checks positive")),
            ("overdose", gettext_lazy("Drug checks negative")),
        ],
        ("overdose", gettext_lazy("Drug checks done")),
    ),
    (
        [("referrals_linked", gettext_lazy("Linked to care within 30 days"))],
        ("referrals_linked", gettext_lazy("Referrals whose 30 days have passed")),
    ),
    (
        [("referrals_linked", gettext_lazy("Referrals whose 30 days have passed"))],
        ("referrals_by_need", gettext_lazy("All referrals")),
    ),
    # A test is done at a contact, and a participant served had one.
    (
        [("services", gettext_lazy("HIV tests"))],
        ("contacts_by_type", gettext_lazy("All contacts")),
    ),
    (
        [("services", gettext_lazy("HCV tests"))],
        ("contacts_by_type", gettext_lazy("All contacts")),
    ),
    (
        [("people_served", gettext_lazy("Unique participants served"))],
        ("contacts_by_type", gettext_lazy("All contacts")),
    ),
]


def _relate(linked, relation, total, parts, complete=False):
    values = linked.values
    gap = values[total] - sum(values[part] for part in parts)
    # What no member holds (a training held at none of the sites, an overdose
    # reported away from a contact) is what the whole has beyond the members: a
    # cell published nowhere, any count of 0 or more to an attacker but for its
    # relations, and protected when small (latent). Where every record has a member
    # (`complete`: a contact's site) it is none, as anyone reading the definitions
    # knows. For people counted once it is at least the whole less the members.
    key, _slice, label = total
    rest = (key, ("none of", parts[0][1][0]), label)
    if complete and gap > 0:
        log.warning("suppression: %s has records of no member of a complete breakdown", rest)
        complete = False
    if relation == SUM:
        linked.add(rest, gap, rest, derived=True, latent=not complete)
        linked.equal({**dict.fromkeys(parts, 1), rest: 1, total: -1})
    elif relation == OVERLAP:
        linked.add(rest, 0 if complete else max(gap, 0), rest, derived=True, latent=not complete)
        for part in parts:
            linked.at_most({part: 1, total: -1})
        linked.at_most({**dict.fromkeys(parts, -1), rest: -1, total: 1})
    else:
        for part in parts:
            linked.equal({part: 1, total: -1})


def is_too_small(tables, marks):
    """Whether a slice shows nothing but zeros, "<11" and withheld tables (`marks`: every
    mark of the slice), so that the report says so rather than print a table of marks.
    (A "suppressed" cell still says "11 or more".)"""
    shown_counts = [
        count
        for table in tables
        if not table.withheld
        for _label, count in table.rows
        if isinstance(count, int) and count > 0
    ]
    return not shown_counts and SUPPRESSED not in marks and bool(marks - {SHOWN})


def build(slug, scope, *, suppressed, members=None, rule=None):
    """The report as published: exact, or suppressed over the linked set of its period.

    Suppressed, every breakdown of the period is built, the whole linked set is
    suppressed and audited, and the slice the scope asks for is published, so
    that no two downloads (one staff member's and everyone's, say) can be
    differenced to undo it. The report pages and files do this once per period
    and serve every later download from what was stored (releases.py).
    """
    if not suppressed:
        return BUILDERS[slug](scope)
    wanted = slice_of(scope)
    if wanted is None:
        raise ValueError("A suppressed report covers everyone or one site, staff member or type.")
    rule = rule or rule_from_settings()
    members = members if members is not None else breakdown_members()
    if wanted != ("all",) and wanted[1] not in members[wanted[0]]:
        members = {**members, wanted[0]: [*members[wanted[0]], wanted[1]]}
    reports = linked_reports(scope, members)
    status = suppress(linked_set(reports, crossed_reports(scope)), rule)
    report = BUILDERS[slug](scope)
    tables = []
    for table in report.tables:
        marks = {label: status[(table.key, wanted, label)] for label, _count in table.rows}
        tables.append(table.shown_with(marks, rule.hidden_label))
    marks = {mark for (_key, slice_, _label), mark in status.items() if slice_ == wanted}
    too_small = is_too_small(tables, marks)
    return Report(
        report.slug,
        report.title,
        scope,
        [] if too_small else tables,
        suppressed=True,
        rule=rule,
        too_small=too_small,
    )
