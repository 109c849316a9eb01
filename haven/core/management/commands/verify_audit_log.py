from django.core.management.base import BaseCommand, CommandError

from haven.core import chain
from haven.core.models import AuditEntry


class Command(BaseCommand):
    help = (
        "Recompute the audit log's hash chain. Prints OK with the number of entries and a "
        "checkpoint to keep somewhere else, or names the first broken entry and exits non-zero."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--checkpoint",
            action="append",
            default=[],
            metavar="SEQUENCE:HASH",
            help=(
                "A checkpoint printed by an earlier run: the entry with that sequence number "
                "must still be there with that hash. Detects entries removed from the end of "
                "the log, and a log rewritten from some entry on. May be given more than once."
            ),
        )

    def handle(self, *args, checkpoint, **options):
        checkpoints = [self.parse_checkpoint(text) for text in checkpoint]
        rows = AuditEntry.objects.order_by("sequence").values(*chain.FIELDS).iterator(2000)
        count, last_hash, breaks = chain.verify(rows)
        for sequence, expected_hash in checkpoints:
            stored = (
                AuditEntry.objects.filter(sequence=sequence)
                .values_list("entry_hash", flat=True)
                .first()
            )
            if stored is None:
                breaks.append(f"checkpoint {sequence}: there is no entry {sequence} any more")
            elif stored != expected_hash:
                breaks.append(f"checkpoint {sequence}: entry {sequence} has a different hash")
        if breaks:
            first = breaks[0]
            if isinstance(first, chain.Break):
                first = (
                    f"entry id {first.id} (sequence {first.sequence}, "
                    f"{first.at:%Y-%m-%d %H:%M:%S %Z}): {first.reason}"
                )
            raise CommandError(
                f"The audit log is broken at {first}. "
                f"{len(breaks)} problem(s) found in {count} entries."
            )
        self.stdout.write(self.style.SUCCESS(f"OK: {count} audit entries, chain intact."))
        if count:
            self.stdout.write(f"Checkpoint (keep it off this server): {count}:{last_hash}")

    @staticmethod
    def parse_checkpoint(text):
        sequence, _, entry_hash = text.partition(":")
        if not sequence.isdigit() or len(entry_hash) != 64:
            raise CommandError(
                f"“{text}” is not a checkpoint: give it as SEQUENCE:HASH, as printed by an "
                "earlier run of this command."
            )
        return int(sequence), entry_hash.lower()
