from django.core.management.base import BaseCommand, CommandError

from haven.core import audit_checks


class Command(BaseCommand):
    help = (
        "Recompute the audit log's hash chain and hold it against the signed checkpoints the "
        "scheduler keeps (HAVEN_AUDIT_CHECKPOINT_FILE) and any given here. Prints OK with the "
        "number of entries and a checkpoint to keep somewhere else, or names the first "
        "problem and exits non-zero. Writes nothing."
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
        result = audit_checks.check(checkpoints)
        if not result.intact:
            raise CommandError(
                f"The audit log is broken at {result.problems[0]}. "
                f"{len(result.problems)} problem(s) found in {result.count} entries."
            )
        self.stdout.write(self.style.SUCCESS(f"OK: {result.count} audit entries, chain intact."))
        if result.count:
            self.stdout.write(
                f"Checkpoint (keep it off this server): {result.count}:{result.last_hash}"
            )

    @staticmethod
    def parse_checkpoint(text):
        sequence, _, entry_hash = text.partition(":")
        if not sequence.isdigit() or len(entry_hash) != 64:
            raise CommandError(
                f"“{text}” is not a checkpoint: give it as SEQUENCE:HASH, as printed by an "
                "earlier run of this command."
            )
        return int(sequence), entry_hash.lower()
