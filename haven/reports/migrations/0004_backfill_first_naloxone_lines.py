"""Fill FirstNaloxoneLine from the raw records (`rebuild_report_summaries` does the same)."""

from django.db import migrations
from django.db.models import F
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone


def backfill(apps, schema_editor):
    EncounterSupply = apps.get_model("outreach", "EncounterSupply")
    FirstNaloxoneLine = apps.get_model("reports", "FirstNaloxoneLine")
    # A kept record's first naloxone is one step from every linked contact:
    # merges point straight at the kept record.
    # Annotated, not filtered, so that the join to a kept record stays an outer join.
    lines = (
        EncounterSupply.objects.annotate(
            first=Coalesce(
                "encounter__participant__merged_into__first_naloxone_at",
                "encounter__participant__first_naloxone_at",
            )
        )
        .filter(encounter__occurred_at=F("first"), item__category="naloxone")
    ).values(
        "encounter_id",
        "item_id",
        "quantity",
        participant_id=Coalesce(
            "encounter__participant__merged_into_id", "encounter__participant_id"
        ),
        day=TruncDate("encounter__occurred_at", tzinfo=timezone.get_current_timezone()),
        site_id=F("encounter__site_id"),
        staff_id=F("encounter__staff_id"),
        contact_type=F("encounter__contact_type"),
    )
    FirstNaloxoneLine.objects.bulk_create(
        (FirstNaloxoneLine(**row) for row in lines.iterator()), batch_size=2000
    )


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0003_first_naloxone_lines"),
        ("outreach", "0005_encounter_encounter_time_participant_idx"),
        ("participants", "0002_participant_first_naloxone_at"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
