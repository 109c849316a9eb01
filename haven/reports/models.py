"""Daily summaries, kept exact on every write, so reports never scan the raw records.

One row per (day, site, staff member, contact type): additive counts only.
Counts that are not additive across days (unique participants) are taken
from the raw records, which an index makes cheap.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy


class DailyActivity(models.Model):
    day = models.DateField()
    # Not indexed alone: every query leads with the day (see Meta), and SQLite, with
    # no statistics, would scan a site's every day through such an index.
    site = models.ForeignKey(
        "accounts.Site", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    contact_type = models.CharField(max_length=20)
    encounters = models.PositiveIntegerField(default=0)
    participant_encounters = models.PositiveIntegerField(default=0)
    anonymous_people = models.PositiveIntegerField(default=0)
    secondary_people = models.PositiveIntegerField(default=0)
    # Writes that touched the bucket (a contact added, edited in or out, or its
    # first naloxone kit moved): only grows, so the sum over a period is the data
    # version of the figures cached for it (CachedFigures), bumped by the upsert
    # that every save already makes, not by a statement of its own.
    changes = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "site", "staff", "contact_type"], name="one_activity_row_per_bucket"
            )
        ]
        indexes = [models.Index(fields=["day", "site"]), models.Index(fields=["day", "changes"])]


class DailySupply(models.Model):
    day = models.DateField()
    # Not indexed alone: every query leads with the day (see Meta), and SQLite, with
    # no statistics, would scan a site's every day through such an index.
    site = models.ForeignKey(
        "accounts.Site", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    contact_type = models.CharField(max_length=20)
    item = models.ForeignKey("supplies.Item", on_delete=models.CASCADE, related_name="+")
    quantity = models.PositiveIntegerField(default=0)
    # The part of `quantity` handed out at anonymous contacts.
    anonymous_quantity = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "site", "staff", "contact_type", "item"],
                name="one_supply_row_per_bucket",
            )
        ]
        indexes = [models.Index(fields=["day", "site"])]


class DailyService(models.Model):
    day = models.DateField()
    # Not indexed alone: every query leads with the day (see Meta), and SQLite, with
    # no statistics, would scan a site's every day through such an index.
    site = models.ForeignKey(
        "accounts.Site", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    contact_type = models.CharField(max_length=20)
    service = models.ForeignKey("outreach.Service", on_delete=models.CASCADE, related_name="+")
    encounters = models.PositiveIntegerField(default=0)
    people = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "site", "staff", "contact_type", "service"],
                name="one_service_row_per_bucket",
            )
        ]
        indexes = [models.Index(fields=["day", "site"])]


class FirstNaloxoneLine(models.Model):
    """A naloxone line of a participant's first naloxone contact, kept exact on every write.

    One row per naloxone item (category "naloxone", the items that set the
    date) of the contact (or contacts: two at the very same moment both
    count) at the kept record's `first_naloxone_at`, whichever linked
    record it was logged under, with the contact's day, site, staff member and
    type copied so that first kits are summed from a few thousand rows a year
    instead of found among the raw contacts. summaries.refresh_first_naloxone
    keeps it; a test checks it against the raw records after random writes.
    """

    participant = models.ForeignKey(
        "participants.Participant", on_delete=models.CASCADE, related_name="+"
    )  # the kept record
    encounter = models.ForeignKey("outreach.Encounter", on_delete=models.CASCADE, related_name="+")
    item = models.ForeignKey("supplies.Item", on_delete=models.CASCADE, related_name="+")
    quantity = models.PositiveIntegerField()
    day = models.DateField()
    # Not indexed alone: every query leads with the day (see Meta), and SQLite, with
    # no statistics, would scan a site's every day through such an index.
    site = models.ForeignKey(
        "accounts.Site", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    contact_type = models.CharField(max_length=20)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["encounter", "item"], name="one_first_naloxone_line")
        ]
        indexes = [models.Index(fields=["day"]), models.Index(fields=["participant"])]


class MonthlySupply(models.Model):
    """Units handed out in a calendar month: for everyone, and for each site, staff
    member and contact type, by item. Kept exact on every write with the daily rows.

    A year's supply figures read a few thousand of these instead of the
    hundreds of thousands of daily rows; a report for one site (or staff
    member, or type) reads that member's rows, and the suppressed reports
    read each breakdown's. Days at either end of a period that do not cover
    a whole month come from DailySupply.
    """

    EVERYONE = "all"

    month = models.DateField()  # the first day of the month
    dimension = models.CharField(max_length=5)  # "all", "site", "staff" or "type"
    member = models.CharField(max_length=20)  # the site or staff id, or the type; "" for all
    item = models.ForeignKey("supplies.Item", on_delete=models.CASCADE, related_name="+")
    quantity = models.PositiveIntegerField(default=0)
    anonymous_quantity = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["dimension", "member", "month", "item"], name="one_monthly_supply_row"
            )
        ]


class CachedFigures(models.Model):
    """The costly contact figures of a finished period, with the data version they were
    counted at: `changes` summed over the period's DailyActivity rows, and the generation
    (FiguresGeneration) that participant edits, merges and rebuilds move on.

    A cached value is used only while both still hold, so a write commits its own
    invalidation; see metrics.cached_contact_figures.
    """

    scope = models.CharField(max_length=200, unique=True)
    changes = models.BigIntegerField()
    generation = models.BigIntegerField()
    figures = models.JSONField()
    counted_at = models.DateTimeField(auto_now=True)


class FiguresGeneration(models.Model):
    """One row: moved on by every write that changes cached figures of any period
    (a participant's answers edited, a merge, a rebuild)."""

    generation = models.BigIntegerField(default=0)


class ServedMonth(models.Model):
    """The participant records with a contact in a finished calendar month (local days),
    as a compressed bitmap of their ids (pyroaring), with the month's data version.

    `changes` is the sum of DailyActivity.changes over the month's days when the
    bitmap was made: every contact written, edited in or out of the month moves it
    on, so a bitmap is used only while it still holds (see served.py). The ids are
    the records the contacts were logged under; merges are applied when read.
    """

    month = models.DateField(unique=True)  # the first day of the month
    changes = models.BigIntegerField()
    participants = models.BinaryField()


class AnswerSets(models.Model):
    """One row: for each answer counted in the demographics, the ids of the participant
    records giving each value, as compressed bitmaps, at a generation of the figures
    (FiguresGeneration, which every edit of an answer moves on). Records enrolled
    since are read live. JSON: {answer: {value: base64 bitmap}}, value "" for none."""

    generation = models.BigIntegerField()
    sets = models.BinaryField()


class Release(models.Model):
    """The suppressed figures of a finished period as first published, served ever after.

    Made by the first suppressed download of the period (any report, format or
    slice): every slice of the audited linked set (the whole program, each site,
    staff member and contact type), each figure as published (a count, or the mark
    that hid it), so that every later suppressed download of the period is built
    from it and two downloads made before and after a late edit cannot be
    subtracted; see releases.py.

    A manager may ask once for a revised release (version 2), which is published
    only if it passes the audit together with the first and the changes between
    them; the latest version is served. So that it can be, a release keeps the
    linked set it was audited from (`audited`), exact figures included: internal
    data, like the records they are counted from, never shown.
    """

    start = models.DateField()
    end = models.DateField()
    version = models.PositiveSmallIntegerField(default=1)
    released_at = models.DateTimeField(default=timezone.now)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    # The suppression rule the figures were audited under.
    threshold = models.PositiveSmallIntegerField()
    width = models.PositiveSmallIntegerField()
    # {slice: {table key: {"total": label, "rows": [[label, count or mark]],
    #  "notes": [[label, text or null]]}}}, labels in the program's language.
    slices = models.JSONField()
    # {report slug: [{"key", "title", "rows" (only when a subset), "notes"}]}
    layout = models.JSONField()
    # {language: {label in the program's language: label in that language}}
    labels = models.JSONField(default=dict)
    # {breakdown: [member]}: who the linked set was counted for.
    members = models.JSONField()
    # A digest of the exact figures the release was made from, to tell cheaply
    # whether any has changed since (a late edit).
    figures_digest = models.CharField(max_length=64)
    # {"cells": [[cell, exact value, group, derived, mark]], "constraints": [[[[cell
    # index, coefficient]], sense, right-hand side]]}: the audited linked set.
    audited = models.JSONField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["start", "end", "version"], name="one_release_per_period_and_version"
            )
        ]
        # As the audit log names it.
        verbose_name = gettext_lazy("figures release")
        verbose_name_plural = gettext_lazy("figures releases")
