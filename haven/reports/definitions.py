"""What each table of the standard reports counts, in words, for the PDF's appendix.

Keyed by Table.key (the same figures have the same key in every report); the
rules themselves are the docstrings in metrics.py and docs/reports.md.
"""

from django.utils.translation import gettext_lazy as _

DEFINITIONS = {
    "people_served": _(
        "Unique participants served: people with a card who had at least one contact; a "
        "duplicate merged into a kept record counts as that record. New participants: "
        "enrolled in the period, not counting records later merged. Anonymous: the head "
        "counts of anonymous contacts (the same person twice counts twice). Secondary "
        "distribution: the sum of “also for N other people” recorded at contacts."
    ),
    "contacts_by_type": _("Contacts in the period, with a participant or anonymous, by type."),
    "supplies": _(
        "Units handed out at contacts, by the item's reporting group; kits count as their "
        "components."
    ),
    "syringes": _(
        "Syringes distributed: units in the syringes reporting group handed out at contacts. "
        "Collected: used syringes brought back, counted or estimated from weight."
    ),
    "naloxone": _(
        "First kits: handed out at a participant's first naloxone contact ever (merged records "
        "included). Refills: to someone who had naloxone before. Anonymous: no participant "
        "known. Doses: units × doses per unit."
    ),
    "services": _(
        "Contacts with a service in the HIV test or HCV test group; people trained: "
        "participant contacts (one each) and anonymous head counts given overdose response "
        "training."
    ),
    "overdose": _(
        "The program's own overdose reports (imported EMS records left out); a reversal is a "
        "report where naloxone was given and the person survived. Drug checks: checks done; "
        "the share positive leaves inconclusive checks out."
    ),
    "referrals_by_need": _("Referrals made in the period, by the need referred for."),
    "referrals_linked": _(
        "Linked: the status became “linked to care” within 30 days of the referral, among "
        "the period's referrals whose 30 days have passed."
    ),
    "demographics": _(
        "The unique participants served, by age group (age in the year the period ends), "
        "gender, race or ethnicity and ZIP code; blanks are “not recorded”."
    ),
}


def definition_of(key):
    """The definition for a table key ("naloxone_nasal" reads "naloxone"), or ""."""
    for prefix in (key, key.split("_")[0], "demographics" if key.startswith("served_by") else ""):
        if prefix in DEFINITIONS:
            return DEFINITIONS[prefix]
    return ""
