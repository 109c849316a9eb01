from django.core.management.base import BaseCommand

from haven.reports.summaries import rebuild_all


class Command(BaseCommand):
    help = "Recompute the daily report summaries from the raw records (after a bulk load)."

    def handle(self, *args, **options):
        rows = rebuild_all()
        self.stdout.write(self.style.SUCCESS(f"Rebuilt {rows} daily activity rows."))
