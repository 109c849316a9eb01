"""Re-audit the stored releases of suppressed figures with the audit Haven has now."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from haven.accounts.models import Site
from haven.core.permissions import MANAGER
from haven.reports import recheck, releases, standard

SOURCES = {
    recheck.FROM_RELEASE: "Re-audited from the figures the release kept.",
    recheck.FROM_UNCHANGED_RECORDS: (
        "Re-audited from the records: the release did not keep every figure the current "
        "audit needs (it was stored by an earlier Haven), but no figure of its period has "
        "changed since, so the records give the figures it was made from."
    ),
    recheck.FROM_RECORDS_NOW: (
        "Re-audited from the records as they are now: the release did not keep every "
        "figure the current audit needs, and figures of its period have changed since. "
        "Today's figures were audited and set against the release's marks; whether an "
        "attacker can narrow its hidden counts was not checked."
    ),
}

# Usage errors exit with 2, as argparse's do; a release failing the audit with 1.
USAGE = 2


class Command(BaseCommand):
    help = (
        "Re-audit every stored release of suppressed figures (the version served for each "
        "period; every version with --all) with the audit Haven has now, and say for each "
        "how many counts it publishes that the current audit would hide, by report and "
        "slice, and how many of its hidden small counts can now be narrowed. Prints no "
        "figure. Changes no release unless --revise-as is given. Writes one audit-log "
        "entry. Exits with 1 when any release fails."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--all",
            action="store_true",
            dest="every_version",
            help="check every version of each period, not only the one served",
        )
        parser.add_argument(
            "--revise-as",
            metavar="USERNAME",
            help=(
                "for each failing release that can be revised (the first release of a "
                "period whose figures have changed since), ask for a revised release as "
                "this program manager, as the report page's button does"
            ),
        )

    def handle(self, *args, every_version, revise_as, **options):
        manager = self.manager(revise_as) if revise_as else None
        checked = recheck.releases_to_check(every_version)
        if not checked:
            self.stdout.write("No release of suppressed figures is stored.")
            recheck.record_run([], [])
            return
        results, revised = [], []
        for release in checked:
            result = recheck.recheck(release)
            results.append(result)
            self.write_result(result)
            if result.fails:
                revision = self.revise(release, manager)
                if revision is not None:
                    revised.append(revision)
                    results.append(again := recheck.recheck(revision))
                    self.write_result(again)
        recheck.record_run(results, revised)
        failing = [result for result in results if result.fails]
        if failing:
            raise CommandError(
                f"{len(failing)} of {len(results)} release(s) fail the current audit.",
                returncode=1,
            )
        self.stdout.write(
            self.style.SUCCESS(f"All {len(results)} release(s) pass the current audit.")
        )

    def manager(self, username):
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None or user.role != MANAGER:
            raise CommandError(
                f"“{username}” is not an active program manager: only a manager may ask "
                "for a revised release.",
                returncode=USAGE,
            )
        return user

    def write_result(self, result):
        release = result.release
        released_on = timezone.localtime(release.released_at).date().isoformat()
        verdict = self.style.ERROR("FAILS") if result.fails else self.style.SUCCESS("passes")
        self.stdout.write(
            f"Release of {release.start} to {release.end}, version {release.version} "
            f"(released on {released_on}): {verdict} the current audit."
        )
        self.stdout.write(f"  {SOURCES[result.source]}")
        self.stdout.write(
            f"  Counts it shows that the current audit hides: {len(result.hidden_now)}."
        )
        self.write_by_report(release, result.hidden_now)
        if not result.attacked:
            self.stdout.write(
                "  Not checked: what an attacker can make of its marks. It fails if the "
                "current audit hides any count it shows."
            )
        else:
            if result.shown_small:
                self.stdout.write(f"  Small counts it shows: {len(result.shown_small)}.")
                self.write_by_report(release, result.shown_small)
            self.stdout.write(
                "  Small counts it hides, and small figures published nowhere, that an "
                f"attacker can now narrow below the protection width: {len(result.narrowed)}."
            )
            self.write_by_report(release, result.narrowed)
            if result.hidden_now and not result.fails:
                self.stdout.write(
                    "  The current audit would hide other counts than it does, but none of "
                    "its small counts can be worked back: it passes."
                )
        if result.unchecked:
            self.stdout.write(
                f"  Counts it publishes that are not in today's figures, not checked: "
                f"{result.unchecked}."
            )

    def write_by_report(self, release, cells):
        counts = recheck.by_report(release, cells)
        names = slice_names({slice_ for by_slice in counts.values() for slice_ in by_slice})
        for slug, by_slice in counts.items():
            named = {}  # the combinations of one kind are named, and counted, together
            for slice_, n in by_slice.items():
                named[names[slice_]] = named.get(names[slice_], 0) + n
            where = ", ".join(f"{name}: {n}" for name, n in named.items())
            title = str(standard.REPORTS[slug]) if slug in standard.REPORTS else slug
            self.stdout.write(f"    {title if slug else 'Published nowhere'}: {where}.")

    def revise(self, release, manager):
        """Ask for a revised release where asked to and the revision path can make one;
        say otherwise who can, or why nobody can. The revised release, or None."""
        self.stdout.write(
            "  What it published is out already: a revised release changes only what is "
            "served from now on."
        )
        refused = recheck.revision_refused(release)
        if refused is not None:
            self.stdout.write(f"  It cannot be revised: {refused}.")
            return None
        if manager is None:
            self.stdout.write(
                "  A program manager must ask for a revised release (the report page's "
                "button, or this command with --revise-as USERNAME)."
            )
            return None
        try:
            revision = releases.do_revise_release(release.start, release.end, manager)
        except releases.RevisionRefused as refusal:
            self.stdout.write(f"  Not revised: {refusal}")
            return None
        self.stdout.write(f"  Revised: version {revision.version} is served from now on.")
        return revision


def slice_names(slices):
    """{slice: how the command names it}: sites by name, staff members by username (ids
    beside them), contact types by value; no participant is ever a slice."""
    sites = Site.objects.in_bulk([s[1] for s in slices if s[0] == "site"])
    staff = get_user_model().objects.in_bulk([s[1] for s in slices if s[0] == "staff"])
    names = {}
    for slice_ in slices:
        kind = slice_[0]
        if kind == "all":
            names[slice_] = "everyone"
        elif kind == "site":
            site = sites.get(slice_[1])
            names[slice_] = f"site {site.name if site else '?'} ({slice_[1]})"
        elif kind == "staff":
            user = staff.get(slice_[1])
            names[slice_] = f"staff member {user.username if user else '?'} ({slice_[1]})"
        elif kind == "type":
            names[slice_] = f"contact type {slice_[1]}"
        elif kind == recheck.REST:
            names[slice_] = f"no {slice_[1]}"
        elif kind == recheck.COMBINATION:
            names[slice_] = "a combination of " + ", ".join(slice_[1])
        else:
            names[slice_] = releases.slice_id(slice_)
    return names
