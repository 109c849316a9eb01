"""Chain the entries written before the log was chained, in the order they were written."""

from django.db import migrations

from haven.core import chain

BATCH = 2000


def chain_existing_entries(apps, schema_editor):
    AuditEntry = apps.get_model("core", "AuditEntry")
    entries = AuditEntry.objects.using(schema_editor.connection.alias).order_by("id")
    sequence, previous_hash, last_id = 0, chain.GENESIS, 0
    while True:
        batch = list(entries.filter(id__gt=last_id)[:BATCH])
        if not batch:
            return
        for entry in batch:
            sequence += 1
            entry.sequence = sequence
            entry.entry_hash = previous_hash = chain.entry_digest(previous_hash, entry)
        AuditEntry.objects.using(schema_editor.connection.alias).bulk_update(
            batch, ["sequence", "entry_hash"]
        )
        last_id = batch[-1].id


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0003_audit_chain_fields'),
    ]

    operations = [
        migrations.RunPython(chain_existing_entries, migrations.RunPython.noop),
    ]
