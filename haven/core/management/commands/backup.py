from django.core.management.base import BaseCommand, CommandError

from haven.core.backups import BackupError, make_backup


class Command(BaseCommand):
    help = (
        "Back up the whole database into a new directory: the copy (SQLite online backup, "
        "or pg_dump on PostgreSQL) and a manifest of row counts for `restore` to check. "
        "Notes stay encrypted; keep HAVEN_ENCRYPTION_KEYS somewhere else."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", help="A new or empty directory for this backup.")

    def handle(self, *args, directory, **options):
        try:
            manifest = make_backup(directory)
        except BackupError as error:
            raise CommandError(str(error)) from error
        rows = sum(manifest["tables"].values())
        self.stdout.write(
            self.style.SUCCESS(
                f"Backed up {len(manifest['tables'])} tables ({rows} rows) to {directory}."
            )
        )
