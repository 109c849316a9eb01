"""What Haven holds about a participant, gathered for the page printed for them."""

from django.apps import apps
from django.db.models import Sum

from . import rules


def summary_for(participant, *, include_notes, user):
    """Contacts, supplies, referrals, consents and disclosures of this person (and linked records).

    Staff notes are left out unless the program includes them
    (HAVEN_SUMMARY_INCLUDES_NOTES), and even then only notes the user may read.
    """
    from haven.core.permissions import can_read_notes_at

    encounter_model = apps.get_model("outreach", "Encounter")
    encounter_supply_model = apps.get_model("outreach", "EncounterSupply")
    referral_model = apps.get_model("resources", "Referral")
    linked_ids = participant.canonical().linked_ids()
    contacts = list(
        encounter_model.objects.filter(participant_id__in=linked_ids)
        .select_related("site")
        .prefetch_related("services")
        .order_by("-occurred_at")
    )
    for contact in contacts:
        contact.note_shown = (
            include_notes and bool(contact.note) and can_read_notes_at(user, contact.site_id)
        )
    totals = dict(
        encounter_supply_model.objects.filter(encounter__participant_id__in=linked_ids)
        .values_list("item")
        .annotate(total=Sum("quantity"))
        .values_list("item", "total")
    )
    items = apps.get_model("supplies", "Item").objects.filter(pk__in=totals).order_by("name")
    referrals = (
        referral_model.objects.filter(participant_id__in=linked_ids)
        .select_related("resource")
        .order_by("-made_at")
    )
    return {
        "contacts": contacts,
        "supplies": [(item, totals[item.pk]) for item in items],
        "referrals": list(referrals),
        "consents": list(rules.consents_of(participant).select_related("text", "provider")),
        "disclosures": list(rules.accounting_of_disclosures(participant)),
    }
