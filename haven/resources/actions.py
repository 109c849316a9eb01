"""Writes to the directory, referrals and guides. Views and the API call these."""

import datetime
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from haven.consents import actions as consent_actions
from haven.consents.models import Disclosure
from haven.core import access, audit
from haven.core.already_saved import AlreadySaved
from haven.core.models import AuditEntry

from . import hours, importing
from .models import (
    PAYMENT_FIELDS,
    GuideProgress,
    GuideStep,
    HoursException,
    ImportBatch,
    Language,
    Need,
    OpeningHours,
    Referral,
    ReferralUpdate,
    Resource,
    ResourceLanguage,
    ResourceNeed,
)

# What a referral that shares details gives the provider (kept on the disclosure).
SHARED_WITH_A_REFERRAL = "Card code, alias, year of birth and the need"

# When a referral is made without a follow-up date, follow up after this long.
DEFAULT_FOLLOW_UP = datetime.timedelta(days=7)


# Directory -----------------------------------------------------------------


def do_save_resource(resource, *, by, needs, languages, spans, exceptions=None):
    """Create or change a resource with its needs, languages and hours.

    `spans` are weekly hours.Span values; `exceptions` maps a date to a list
    of at most one Span (special hours) or [] (closed). Impossible hours
    raise ValidationError on "hours".
    """
    problems = [hours.validate_span(span.opens, span.closes) for span in spans]
    problems = [problem for problem in problems if problem] + hours.find_overlaps(spans)
    if problems:
        raise ValidationError({"hours": problems})
    creating = resource.pk is None
    with transaction.atomic():
        resource.full_clean(exclude=["match_key"])
        resource.save()
        _replace_children(resource, needs, languages, spans)
        if exceptions is not None:
            resource.hours_exceptions.all().delete()
            HoursException.objects.bulk_create(
                HoursException(
                    resource=resource,
                    date=date,
                    closed=not day_spans,
                    opens=day_spans[0].opens if day_spans else None,
                    closes=day_spans[0].closes if day_spans else None,
                    reason=reason,
                )
                for date, (day_spans, reason) in exceptions.items()
            )
        audit.record(
            by, AuditEntry.Action.CREATE if creating else AuditEntry.Action.UPDATE, resource
        )
    return resource


def _replace_children(resource, needs, languages, spans):
    resource.offerings.all().delete()
    ResourceNeed.objects.bulk_create(ResourceNeed(resource=resource, need=n) for n in set(needs))
    resource.languages.all().delete()
    ResourceLanguage.objects.bulk_create(
        ResourceLanguage(resource=resource, language=code) for code in set(languages)
    )
    resource.opening_hours.all().delete()
    OpeningHours.objects.bulk_create(
        OpeningHours(resource=resource, weekday=s.weekday, opens=s.opens, closes=s.closes)
        for s in spans
    )


def do_verify_resource(resource, *, by, on=None):
    """Record that someone checked the entry is still right (phone, hours, services)."""
    with transaction.atomic():
        resource.last_verified_on = on or timezone.localdate()
        resource.save(update_fields=["last_verified_on", "updated_at"])
        audit.record(by, AuditEntry.Action.UPDATE, resource, fields=["last_verified_on"])
    return resource


def do_import_resources(batch, plan, *, by, update_existing=True):
    """Apply a checked import Plan: all of it, or nothing.

    Rows that repeat an earlier row of the file are skipped. Rows matching an
    existing entry fill in what that entry does not know yet (blank fields,
    needs, languages, hours: a second file adds what it knows, e.g. an opioid
    treatment program list adds methadone), or are skipped when
    update_existing is False; known values are never overwritten by an import.
    """
    if plan.error_rows:
        raise ValidationError(
            _("%(n)s rows have errors; correct the file and upload it again.")
            % {"n": len(plan.error_rows)}
        )
    if batch.imported_at is not None:
        raise ValidationError(_("This file was already imported."))
    source = batch.source or batch.filename
    today = timezone.localdate()
    with transaction.atomic():
        new_rows = plan.new_rows
        resources = [_resource_from_row(row, source) for row in new_rows]
        created = Resource.objects.bulk_create(resources, batch_size=500)
        needs, languages, spans = [], [], []
        for resource, row in zip(created, new_rows, strict=True):
            needs += [ResourceNeed(resource_id=resource.pk, need=n) for n in row.needs]
            languages += [
                ResourceLanguage(resource_id=resource.pk, language=c) for c in row.languages
            ]
            spans += [
                OpeningHours(
                    resource_id=resource.pk, weekday=s.weekday, opens=s.opens, closes=s.closes
                )
                for s in row.spans
            ]
        ResourceNeed.objects.bulk_create(needs, batch_size=2000)
        ResourceLanguage.objects.bulk_create(languages, batch_size=2000)
        OpeningHours.objects.bulk_create(spans, batch_size=2000)
        updated = 0
        if update_existing:
            for added in planned_additions(plan):
                _fill_in(added)
                updated += 1
        batch.imported_at = timezone.now()
        batch.created_count = len(created)
        batch.updated_count = updated
        batch.skipped_count = len(plan.rows) - len(created) - updated
        batch.save()
        audit.record(
            by,
            AuditEntry.Action.CREATE,
            batch,
            created=batch.created_count,
            updated=updated,
            skipped=batch.skipped_count,
            on=today.isoformat(),
        )
    return batch


def _resource_from_row(row, source):
    values = row.values
    resource = Resource(source=source[:100], match_key=row.key)
    for name in (
        "name",
        "organisation",
        "address_line1",
        "address_line2",
        "city",
        "state",
        "zip_code",
        "county",
        "latitude",
        "longitude",
        "phone",
        "website",
        "walk_in",
        "requirements",
        "notes",
        "last_verified_on",
    ):
        setattr(resource, name, values.get(name, getattr(resource, name)))
    for payment, field in PAYMENT_FIELDS.items():
        if values.get(f"payment:{payment}"):
            setattr(resource, field, True)
    return resource


@dataclass
class Additions:
    """What a row would add to an existing entry: only what the entry does not know."""

    resource: Resource
    fields: dict  # attname -> value
    needs: list
    languages: list
    spans: list

    def __bool__(self):
        return bool(self.fields or self.needs or self.languages or self.spans)

    def labels(self):
        """What is added, in words, for the preview."""
        labels = [str(Resource._meta.get_field(name).verbose_name) for name in self.fields]
        needs = dict(Need.choices)
        labels += [str(needs[need]) for need in self.needs]
        languages = dict(Language.choices)
        labels += [str(languages[code]) for code in self.languages]
        if self.spans:
            labels.append(_("opening hours"))
        return labels


# Bookkeeping fields an import never fills in.
NOT_FROM_IMPORTS = {"id", "match_key", "source", "created_at", "updated_at", "public", "active"}


def additions(resource, row):
    """What importing `row` adds to `resource` (which it matched). Writes nothing."""
    incoming = _resource_from_row(row, resource.source)
    fields = {}
    for field in Resource._meta.concrete_fields:
        name = field.attname
        if name in NOT_FROM_IMPORTS:
            continue
        if getattr(resource, name) in (None, "") and getattr(incoming, name) not in (None, ""):
            fields[name] = getattr(incoming, name)
    have, spoken = set(resource.need_codes()), set(resource.language_codes())
    return Additions(
        resource=resource,
        fields=fields,
        needs=[need for need in row.needs if need not in have],
        languages=[code for code in row.languages if code not in spoken],
        spans=row.spans if row.spans and not resource.opening_hours.all() else [],
    )


def planned_additions(plan):
    """Additions for every row of a plan that matches an entry and would add something."""
    rows = plan.existing_rows
    resources = Resource.objects.prefetch_related("offerings", "languages", "opening_hours")
    by_id = resources.in_bulk([row.existing_id for row in rows])
    found = (additions(by_id[row.existing_id], row) for row in rows if row.existing_id in by_id)
    return [added for added in found if added]


def _fill_in(added):
    resource = added.resource
    for name, value in added.fields.items():
        setattr(resource, name, value)
    ResourceNeed.objects.bulk_create(ResourceNeed(resource=resource, need=n) for n in added.needs)
    ResourceLanguage.objects.bulk_create(
        ResourceLanguage(resource=resource, language=c) for c in added.languages
    )
    OpeningHours.objects.bulk_create(
        OpeningHours(resource=resource, weekday=s.weekday, opens=s.opens, closes=s.closes)
        for s in added.spans
    )
    resource.save()


def do_queue_import(batch, plan, *, by, update_existing=True):
    """Check a plan and hand its import to the background worker (tasks.import_directory)."""
    from .tasks import import_directory

    if plan.error_rows:
        raise ValidationError(
            _("%(n)s rows have errors; correct the file and upload it again.")
            % {"n": len(plan.error_rows)}
        )
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if batch.imported_at is not None or batch.running:
            raise ValidationError(_("This file is already being imported, or was imported."))
        batch.status = ImportBatch.Status.QUEUED
        batch.columns, batch.fixed_needs = plan.mapping, plan.fixed_needs
        batch.update_existing = update_existing
        batch.rows_total, batch.rows_done, batch.error = len(plan.rows), 0, ""
        batch.save()
        import_directory.enqueue(batch.pk)
    return batch


def run_queued_import(batch_id):
    """The background side of an import: check the rows again, then write them, recording
    progress on the batch (outside the import's own transaction, so pages can see it)."""
    claimed = ImportBatch.objects.filter(pk=batch_id, status=ImportBatch.Status.QUEUED).update(
        status=ImportBatch.Status.CHECKING
    )
    batch = ImportBatch.objects.get(pk=batch_id)
    if not claimed:
        return batch  # already taken by another worker (a task delivered twice)

    def progress(done):
        ImportBatch.objects.filter(pk=batch_id).update(rows_done=done)

    try:
        plan = importing.prepare(
            bytes(batch.content), batch.encoding, batch.columns, batch.fixed_needs, progress
        )
        ImportBatch.objects.filter(pk=batch_id).update(
            status=ImportBatch.Status.WRITING, rows_done=len(plan.rows)
        )
        batch.refresh_from_db()
        do_import_resources(
            batch, plan, by=batch.uploaded_by, update_existing=batch.update_existing
        )
    except (importing.ImportRejected, ValidationError) as error:
        message = " ".join(getattr(error, "messages", [str(error)]))
        ImportBatch.objects.filter(pk=batch_id).update(
            status=ImportBatch.Status.FAILED, error=message
        )
    except Exception:
        ImportBatch.objects.filter(pk=batch_id).update(
            status=ImportBatch.Status.FAILED,
            error=_("The import stopped with an unexpected error; nothing was imported."),
        )
        raise
    else:
        ImportBatch.objects.filter(pk=batch_id).update(status=ImportBatch.Status.DONE)
    batch.refresh_from_db()
    return batch


def do_stage_import(*, by, filename, content, encoding, source):
    return ImportBatch.objects.create(
        uploaded_by=by, filename=filename[:200], content=content, encoding=encoding, source=source
    )


# Referrals -------------------------------------------------------------------


def do_make_referral(
    *,
    participant,
    resource,
    need,
    by,
    site,
    note="",
    follow_up_on=None,
    encounter=None,
    client_uuid=None,
    share_details=False,
):
    """Refer a participant to a resource for a need. Replays return the first referral.

    With `share_details`, the participant's identifying details go to the
    provider: that needs their sharing consent in force for this provider,
    and is logged as a disclosure (haven/consents).
    """
    if client_uuid is not None:
        existing = Referral.objects.filter(client_uuid=client_uuid).first()
        if existing is not None:
            return existing
    errors = {}
    if need not in Need.values:
        errors["need"] = _("Choose what the person needs.")
    if resource is not None and not resource.active:
        errors["resource"] = _("%(resource)s is no longer in the directory.") % {
            "resource": resource
        }
    if site is None:
        errors["site"] = _("Choose a site.")
    elif by.role != "manager" and site.pk not in by.allowed_site_ids():
        errors["site"] = _("You are not assigned to %(site)s.") % {"site": site}
    today = timezone.localdate()
    if follow_up_on is not None and follow_up_on < today:
        errors["follow_up_on"] = _("A follow-up date cannot be in the past.")
    if not access.may_open_participant(by, participant):
        # As for an id nobody has: the answer must not confirm that it is someone's.
        errors["participant"] = _("No participant has this id.")
    if errors:
        raise ValidationError(errors)
    participant = participant.canonical()
    consent = (
        consent_actions.require_sharing_consent(participant, resource) if share_details else None
    )
    now = timezone.now()
    with transaction.atomic():
        referral = Referral.objects.create(
            participant=participant,
            resource=resource,
            need=need,
            note=note,
            site=site,
            made_by=by,
            made_at=now,
            status_changed_at=now,
            follow_up_on=follow_up_on or today + DEFAULT_FOLLOW_UP,
            encounter=encounter,
            **({"client_uuid": client_uuid} if client_uuid is not None else {}),
        )
        ReferralUpdate.objects.create(referral=referral, status=referral.status, at=now, by=by)
        audit.record(by, AuditEntry.Action.CREATE, referral, participant=participant)
        if consent is not None:
            consent_actions.do_record_disclosure(
                participant,
                channel=Disclosure.Channel.REFERRAL,
                recipient=resource.name,
                information=SHARED_WITH_A_REFERRAL,
                purpose=referral.need,
                consent=consent,
                referral=referral,
                by=by,
            )
    return referral


# Who made it, and staff of the site it was made at (managers: every site).
can_follow_up = access.may_follow_up


class ReferralUpdateConflict(AlreadySaved):
    """The client UUID was already used for a different change."""


def do_update_referral_status(
    referral, *, status, by, note="", follow_up_on=None, at=None, client_uuid=None
):
    """Move a referral on: contacted, linked to care, declined or lost to follow-up.

    With a `client_uuid` (the field app's), a change sent again is recorded
    once: the referral is returned as it is; the same UUID for another
    change is refused with ReferralUpdateConflict.
    """
    if not can_follow_up(by, referral):
        raise PermissionDenied
    if client_uuid is not None:
        earlier = ReferralUpdate.objects.filter(client_uuid=client_uuid).first()
        if earlier is not None:
            if (earlier.referral_id, earlier.status, earlier.by_id) != (referral.pk, status, by.pk):
                raise ReferralUpdateConflict(client_uuid)
            return Referral.objects.get(pk=referral.pk)
    errors = {}
    if status not in Referral.Status.values:
        errors["status"] = _("Choose a status.")
    at = at or timezone.now()
    if at < referral.made_at:
        errors["at"] = _("A change cannot be before the referral was made.")
    if at > timezone.now() + datetime.timedelta(minutes=10):
        errors["at"] = _("A change cannot be in the future.")
    if follow_up_on is not None and follow_up_on < timezone.localdate():
        errors["follow_up_on"] = _("A follow-up date cannot be in the past.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        referral = Referral.objects.select_for_update().get(pk=referral.pk)
        changed = ["status"] if status != referral.status else []
        referral.status = status
        referral.status_changed_at = at
        referral.linked_at = at if status == Referral.Status.LINKED else None
        if status in Referral.OPEN_STATUSES:
            if follow_up_on is not None:
                referral.follow_up_on = follow_up_on
                changed.append("follow_up_on")
        else:
            referral.follow_up_on = None
        referral.save()
        ReferralUpdate.objects.create(
            referral=referral, status=status, at=at, by=by, note=note, client_uuid=client_uuid
        )
        audit.record(
            by, AuditEntry.Action.UPDATE, referral, participant=referral.participant, fields=changed
        )
    return referral


# Paperwork guides --------------------------------------------------------------


def do_save_guide(guide, *, by, title, language, summary, steps):
    """Create or change a guide; `steps` is the list of step texts, in order.

    Steps keep their identity when their text is unchanged, so participants'
    progress on them survives an edit.
    """
    steps = [step.strip() for step in steps if step.strip()]
    if not steps:
        raise ValidationError({"steps": _("A guide needs at least one step.")})
    creating = guide.pk is None
    with transaction.atomic():
        guide.title, guide.language, guide.summary, guide.updated_by = title, language, summary, by
        guide.full_clean()
        guide.save()
        old = {step.text: step for step in guide.steps.all()}
        kept = []
        for position, text in enumerate(steps, start=1):
            step = old.pop(text, None) or GuideStep(guide=guide, text=text)
            step.position = position
            step.save()
            kept.append(step)
        GuideStep.objects.filter(pk__in=[step.pk for step in old.values()]).delete()
        audit.record(by, AuditEntry.Action.CREATE if creating else AuditEntry.Action.UPDATE, guide)
    return guide


def do_record_guide_progress(participant, guide, *, by, done_step_ids):
    """Start a guide for a participant, or record which steps are done."""
    participant = participant.canonical()
    with transaction.atomic():
        progress, created = GuideProgress.objects.get_or_create(
            participant=participant, guide=guide, defaults={"started_by": by}
        )
        steps = guide.steps.filter(pk__in=done_step_ids)
        progress.done_steps.set(steps)
        progress.save()
        audit.record(
            by,
            AuditEntry.Action.CREATE if created else AuditEntry.Action.UPDATE,
            progress,
            participant=participant,
            fields=["done_steps"],
        )
    return progress
