"""Run the overdose spike detector: now (drafting alerts), or over past days (a report only)."""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from haven.overdose.actions import detector_settings, do_detect_spikes, scan_history


class Command(BaseCommand):
    help = (
        "Flag areas whose overdose reports in the last 24 hours are a spike, draft an alert "
        "for each and email supervisors. With --since, list what would have been flagged on "
        "each past day instead, changing nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--since", type=datetime.date.fromisoformat, help="YYYY-MM-DD")
        parser.add_argument("--until", type=datetime.date.fromisoformat, help="YYYY-MM-DD")
        parser.add_argument("--threshold", type=int)
        parser.add_argument("--z-limit", type=float)

    def handle(self, *args, since, until, threshold, z_limit, **options):
        detector = detector_settings(threshold=threshold, z_limit=z_limit)
        if since is None:
            flags = do_detect_spikes(detector=detector)
            for flag in flags:
                self.stdout.write(
                    f"{flag.scale} {flag.place()}: {flag.count} reports in {flag.window_days} "
                    f"day(s), {flag.expected:.1f} expected ({flag.method})"
                )
            self.stdout.write(self.style.SUCCESS(f"{len(flags)} new spike flag(s)."))
            return
        until = until or timezone.localdate()
        if until < since:
            raise CommandError("--until is before --since.")
        for day, area, flag in scan_history(since, until, detector):
            self.stdout.write(
                f"{day} {area.code} {area.name}: {flag.count} reports, "
                f"baseline {flag.baseline_mean:.2f}/day, {flag.method} {flag.statistic:.1f}"
            )
