from django.core.management.base import BaseCommand
from django.db import models, transaction
from django.db.models.functions import Cast

from haven.core import audit, crypto
from haven.core.models import AuditEntry


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted value under the newest key in HAVEN_ENCRYPTION_KEYS. "
        "Put the new key first, keep the old ones until this has run, then remove them."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=1000)

    def handle(self, *args, batch_size, **options):
        total = 0
        for model, field in crypto.encrypted_fields():
            count = self.rotate_field(model, field, batch_size)
            self.stdout.write(f"{model._meta.label}.{field.name}: {count} re-encrypted")
            total += count
        audit.record(None, AuditEntry.Action.ROTATE, None, values=total)
        self.stdout.write(self.style.SUCCESS(f"Done: {total} values now use the newest key."))

    @staticmethod
    def rotate_field(model, field, batch_size):
        # Cast to plain text reads the stored token without decrypting it,
        # so plain text never leaves the database during rotation.
        stored = Cast(field.name, output_field=models.TextField())
        rows = model.objects.exclude(**{field.name: ""}).order_by("pk")
        count, last_pk = 0, 0
        while True:
            with transaction.atomic():
                batch = list(rows.filter(pk__gt=last_pk).values_list("pk", stored)[:batch_size])
                if not batch:
                    return count
                for pk, token in batch:
                    model.objects.filter(pk=pk).update(
                        **{field.name: crypto.Ciphertext(crypto.rotate(token))}
                    )
                count += len(batch)
                last_pk = batch[-1][0]
