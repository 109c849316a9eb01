"""Import overdose incident records from a CSV file (see haven/overdose/importing.py)."""

import io
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from haven.overdose.actions import do_import_overdose_reports
from haven.overdose.importing import ImportFailed, decode

MAX_PROBLEMS_SHOWN = 20


class Command(BaseCommand):
    help = "Import overdose incident records (e.g. EMS calls) from CSV, marked with their source."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--source", required=True, help="who the records come from")

    def handle(self, *args, path, source, **options):
        try:
            text = decode(path.read_bytes())
            result = do_import_overdose_reports(
                io.StringIO(text, newline=""), source=source, by=None, filename=path.name
            )
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error}") from error
        except ImportFailed as failure:
            shown = failure.problems[:MAX_PROBLEMS_SHOWN]
            more = len(failure.problems) - len(shown)
            if more:
                shown.append(f"... and {more} more.")
            raise CommandError("Nothing was imported.\n" + "\n".join(shown)) from failure
        self.stdout.write(
            self.style.SUCCESS(
                f"{result.created} reports imported from {source} "
                f"({result.already_there} already there, {result.areas_created} new grid areas)."
            )
        )
