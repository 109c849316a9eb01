"""Keeping the daily summaries and first-naloxone dates exact on every write.

Each write that changes a contact calls `contacts_changed` inside its own
transaction with the contacts' (day, site) buckets before and after. A bucket
is recomputed from the raw records of that day and site: small, and always
exactly right, whatever the change was. `rebuild_all` does the same for every
bucket at once, after bulk loads.
"""

import datetime

from django.db import transaction
from django.db.models import Count, F, Min, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from haven.outreach.models import Encounter, EncounterSupply
from haven.participants.models import Participant

from .models import DailyActivity, DailyService, DailySupply

SUMMARIES = (DailyActivity, DailySupply, DailyService)


def day_bounds(day):
    """The aware [start, end) of a local calendar day."""
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
    return start, start + datetime.timedelta(days=1)


def bucket_of(encounter):
    return (timezone.localdate(encounter.occurred_at), encounter.site_id)


def _local_day(path):
    return TruncDate(path, tzinfo=timezone.get_current_timezone())


def _write_summaries(encounters):
    """Insert the summary rows of a set of encounters (whose old rows are gone)."""
    DailyActivity.objects.bulk_create(
        (
            DailyActivity(**row)
            for row in encounters.values(
                "site_id", "staff_id", "contact_type", day=_local_day("occurred_at")
            )
            .annotate(
                encounters=Count("id"),
                participant_encounters=Count("id", filter=Q(participant__isnull=False)),
                anonymous_people=Sum("anonymous_people"),
                secondary_people=Sum("secondary_people"),
            )
            .order_by()
            .iterator()
        ),
        batch_size=2000,
    )
    by_encounter = {
        "day": _local_day("encounter__occurred_at"),
        "site_id": F("encounter__site_id"),
        "staff_id": F("encounter__staff_id"),
        "contact_type": F("encounter__contact_type"),
    }
    DailySupply.objects.bulk_create(
        (
            DailySupply(**row)
            for row in EncounterSupply.objects.filter(encounter__in=encounters)
            .values("item_id", **by_encounter)
            .annotate(quantity=Sum("quantity"))
            .order_by()
            .iterator()
        ),
        batch_size=2000,
    )
    Through = Encounter.services.through
    DailyService.objects.bulk_create(
        (
            DailyService(**row)
            for row in Through.objects.filter(encounter__in=encounters)
            .values("service_id", **by_encounter)
            .annotate(
                encounters=Count("encounter_id"),
                # One for a participant, the head count for an anonymous contact.
                people=Count("encounter__participant_id") + Sum("encounter__anonymous_people"),
            )
            .order_by()
            .iterator()
        ),
        batch_size=2000,
    )


def refresh_bucket(day, site_id):
    """Recompute the summary rows of one day at one site from the raw records."""
    start, end = day_bounds(day)
    for model in SUMMARIES:
        model.objects.filter(day=day, site_id=site_id).delete()
    _write_summaries(
        Encounter.objects.filter(site_id=site_id, occurred_at__gte=start, occurred_at__lt=end)
    )


def refresh_first_naloxone(participant):
    """Set first_naloxone_at on a kept record from all its linked records."""
    root = Participant.objects.get(pk=participant.pk).canonical()
    first = EncounterSupply.objects.filter(
        encounter__participant_id__in=root.linked_ids(), item__category="naloxone"
    ).aggregate(first=Min("encounter__occurred_at"))["first"]
    Participant.objects.filter(pk=root.pk).update(first_naloxone_at=first)
    # Duplicates carry no date of their own: the kept record speaks for them.
    Participant.objects.filter(merged_into=root).update(first_naloxone_at=None)


def contacts_changed(buckets, participants=()):
    """Call inside the write's transaction with every bucket and participant touched."""
    for day, site_id in set(buckets):
        refresh_bucket(day, site_id)
    for participant in {p.pk: p for p in participants if p is not None}.values():
        refresh_first_naloxone(participant)


@transaction.atomic
def rebuild_all():
    """Recompute every summary and first-naloxone date: after a bulk load or import."""
    for model in SUMMARIES:
        model.objects.all().delete()
    _write_summaries(Encounter.objects.all())
    Participant.objects.exclude(first_naloxone_at=None).update(first_naloxone_at=None)
    firsts = (
        EncounterSupply.objects.filter(
            item__category="naloxone", encounter__participant__isnull=False
        )
        .values("encounter__participant_id", "encounter__participant__merged_into_id")
        .annotate(first=Min("encounter__occurred_at"))
        .order_by()
    )
    by_root = {}
    for row in firsts.iterator():
        root = row["encounter__participant__merged_into_id"] or row["encounter__participant_id"]
        if root not in by_root or row["first"] < by_root[root]:
            by_root[root] = row["first"]
    for root, first in by_root.items():
        Participant.objects.filter(pk=root).update(first_naloxone_at=first)
    return DailyActivity.objects.count()
