from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from haven.core.backups import (
    BackupError,
    check_keys,
    check_restored,
    read_manifest,
    restore_backup,
)


class Command(BaseCommand):
    help = (
        "Replace the whole database with a backup made by `backup`, then check it: every "
        "table's row count against the manifest and a sample of notes decrypted with "
        "HAVEN_ENCRYPTION_KEYS. With --check, only check the database as it is."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", help="A backup directory made by `manage.py backup`.")
        parser.add_argument(
            "--check",
            action="store_true",
            help="Do not restore: compare the database with the backup's manifest.",
        )
        parser.add_argument(
            "--no-input",
            "--noinput",
            action="store_false",
            dest="interactive",
            help="Do not ask for confirmation before replacing the database.",
        )

    def handle(self, *args, directory, check, interactive, **options):
        try:
            manifest = read_manifest(directory)
            if check:
                check_keys(manifest)
                problems = check_restored(manifest)
            else:
                if interactive and not self.confirmed(manifest):
                    raise CommandError("Restore cancelled; nothing was changed.")
                problems = restore_backup(directory)
        except BackupError as error:
            raise CommandError(str(error)) from error
        if problems:
            raise CommandError("The database does not match the backup:\n" + "\n".join(problems))
        rows = sum(manifest["tables"].values())
        self.stdout.write(
            self.style.SUCCESS(
                f"{'Checked' if check else 'Restored'}: {len(manifest['tables'])} tables "
                f"({rows} rows) match the backup made at {manifest['made_at']}, and its "
                f"sample of {len(manifest['samples'])} notes decrypts with the configured keys."
            )
        )

    def confirmed(self, manifest):
        answer = input(
            f"This replaces everything in the database {connection.settings_dict['NAME']} "
            f"with the backup made at {manifest['made_at']}.\nType 'yes' to continue: "
        )
        return answer.strip() == "yes"
