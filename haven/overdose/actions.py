"""Overdose response rules. The web views, the commands and a future API call these.

Each do_<verb>_<noun>() runs in one transaction and writes the audit log, and
raises ValidationError naming the fields at fault, having saved nothing.
"""

import datetime
import logging
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Min, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from haven.core import audit
from haven.core.models import AuditEntry
from haven.core.permissions import MANAGER, SUPERVISOR
from haven.outreach.models import EncounterSupply
from haven.participants.models import Participant

from . import importing, multiscale, spikes
from .models import (
    MAX_DOSES_PER_OVERDOSE,
    Area,
    DrugAlert,
    DrugCheck,
    NaloxoneDistribution,
    OverdoseReport,
    Region,
    SpikeFlag,
    Substance,
)

logger = logging.getLogger(__name__)

# Clocks on phones drift; a few minutes "in the future" is not a mistake.
FUTURE_TOLERANCE = datetime.timedelta(minutes=10)
PUBLISH_ROLES = (SUPERVISOR, MANAGER)
# Incident records from other sources (e.g. a county's EMS calls) are imported
# by program managers, on the web page or with the command.
IMPORT_ROLES = (MANAGER,)
# How long a draft alert raised by the spike detector stays in force once published.
SPIKE_ALERT_DAYS = 3


def _check_area(errors, area, name="area"):
    if area is None:
        errors[name] = _("Choose an area.")
    elif not isinstance(area, Area) or not area.active:
        errors[name] = _("“%(area)s” is not one of the program's areas.") % {"area": area}


def _check_substances(errors, substances, name):
    unknown = [code for code in substances if code not in Substance.values]
    if unknown:
        errors[name] = _("Unknown substance: %(codes)s.") % {"codes": ", ".join(unknown)}


# Naloxone: first kit or refill ----------------------------------------------


def naloxone_lines(encounter):
    return list(
        EncounterSupply.objects.filter(encounter=encounter, item__category="naloxone")
        .select_related("item")
        .order_by("item__sort_order", "item__name")
    )


def is_refill(encounter):
    """Whether naloxone handed out at this contact is a refill.

    A refill is naloxone for a participant who was handed naloxone at an
    earlier contact, under this record or any record merged into it: the
    kept record's first naloxone date (kept on every write, see
    haven/reports/summaries.py) is before this contact. The funder reports
    count first kits by the same date. An anonymous contact's history is not
    known: None.
    """
    if encounter.participant_id is None:
        return None
    first = Participant.objects.get(pk=encounter.participant_id).canonical().first_naloxone_at
    return first is not None and first < encounter.occurred_at


def default_formulation(item):
    """A guess from the item's name, which staff can change on the form."""
    if "inject" in item.name.lower():
        return NaloxoneDistribution.Formulation.INJECTABLE
    return NaloxoneDistribution.Formulation.NASAL


def do_record_naloxone_details(encounter, *, by, reasons=None, formulations=None):
    """Store first-kit-or-refill, doses and refill reasons for a contact's naloxone.

    `reasons` and `formulations` map item ids to choices; lines not named get
    no reason and the formulation guessed from the item. Calling it again
    updates the details. The quick-log view may call this right after
    do_record_encounter with no reasons, so that every hand-out has details.
    """
    reasons = reasons or {}
    formulations = formulations or {}
    lines = naloxone_lines(encounter)
    refill = is_refill(encounter)
    errors = {}
    for line in lines:
        reason = reasons.get(line.item_id, "")
        if reason and reason not in NaloxoneDistribution.RefillReason.values:
            errors[f"reason_{line.item_id}"] = _("Choose a reason from the list.")
        elif reason and refill is False:
            errors[f"reason_{line.item_id}"] = _(
                "This is their first naloxone kit, so there is no refill reason."
            )
        formulation = formulations.get(line.item_id) or default_formulation(line.item)
        if formulation not in NaloxoneDistribution.Formulation.values:
            errors[f"formulation_{line.item_id}"] = _("Choose nasal spray or injectable.")
        if line.item.doses_per_unit < 1:
            errors[f"reason_{line.item_id}"] = _(
                "%(item)s has no doses per unit set; ask an administrator to set it."
            ) % {"item": line.item}
    if errors:
        raise ValidationError(errors)
    details = []
    with transaction.atomic():
        for line in lines:
            detail, _created = NaloxoneDistribution.objects.update_or_create(
                encounter=encounter,
                item=line.item,
                defaults={
                    "formulation": formulations.get(line.item_id) or default_formulation(line.item),
                    "kits": line.quantity,
                    "doses": line.quantity * line.item.doses_per_unit,
                    "is_refill": refill,
                    "refill_reason": reasons.get(line.item_id, ""),
                    "recorded_by": by,
                },
            )
            details.append(detail)
        if details:
            audit.record(
                by,
                AuditEntry.Action.UPDATE,
                encounter,
                participant=encounter.participant,
                fields=["naloxone details"],
            )
    return details


# Overdose reports -------------------------------------------------------------


@dataclass
class OverdoseReportData:
    client_uuid: object
    occurred_at: datetime.datetime
    area: object
    reported_by: str
    outcome: str = OverdoseReport.Outcome.UNKNOWN
    naloxone_doses: int | None = None
    naloxone_source: str = OverdoseReport.NaloxoneSource.UNKNOWN
    emergency_services_called: bool | None = None
    rescue_breathing: bool | None = None
    stayed_with_person: bool | None = None
    substances: list = field(default_factory=list)
    note: str = ""
    encounter: object = None


def validate_overdose_report(data):
    errors = {}
    if data.occurred_at is None:
        errors["occurred_at"] = _("Enter when it happened.")
    elif data.occurred_at > timezone.now() + FUTURE_TOLERANCE:
        errors["occurred_at"] = _("An overdose cannot be reported for a time in the future.")
    _check_area(errors, data.area)
    if data.reported_by not in OverdoseReport.Reporter.values:
        errors["reported_by"] = _("Choose who told us.")
    if data.outcome not in OverdoseReport.Outcome.values:
        errors["outcome"] = _("Choose an outcome.")
    if data.naloxone_source not in OverdoseReport.NaloxoneSource.values:
        errors["naloxone_source"] = _("Choose where the naloxone came from.")
    doses = data.naloxone_doses
    if doses is not None and not 0 <= doses <= MAX_DOSES_PER_OVERDOSE:
        errors["naloxone_doses"] = _("Enter between 0 and %(max)s doses.") % {
            "max": MAX_DOSES_PER_OVERDOSE
        }
    elif doses and data.naloxone_source == OverdoseReport.NaloxoneSource.NONE:
        errors["naloxone_source"] = _(
            "Doses were given, so say where the naloxone came from (or “Not known”)."
        )
    _check_substances(errors, data.substances, "substances")
    if len(data.note) > settings.NOTE_MAX_LENGTH:
        errors["note"] = _("A note can be at most %(max)s characters; this one has %(n)s.") % {
            "max": settings.NOTE_MAX_LENGTH,
            "n": len(data.note),
        }
    if errors:
        raise ValidationError(errors)


def do_record_overdose_report(data, *, by):
    """Store an overdose report once (by its client UUID). Returns (report, created)."""
    existing = OverdoseReport.objects.filter(client_uuid=data.client_uuid).first()
    if existing is not None:
        return existing, False
    validate_overdose_report(data)
    participant = data.encounter.participant if data.encounter is not None else None
    try:
        with transaction.atomic():
            report = OverdoseReport.objects.create(
                client_uuid=data.client_uuid,
                occurred_at=data.occurred_at,
                area=data.area,
                reported_by=data.reported_by,
                encounter=data.encounter,
                naloxone_doses=data.naloxone_doses,
                naloxone_source=data.naloxone_source,
                outcome=data.outcome,
                emergency_services_called=data.emergency_services_called,
                rescue_breathing=data.rescue_breathing,
                stayed_with_person=data.stayed_with_person,
                substances=list(data.substances),
                note=data.note,
                recorded_by=by,
            )
            audit.record(by, AuditEntry.Action.CREATE, report, participant=participant)
    except IntegrityError:
        existing = OverdoseReport.objects.filter(client_uuid=data.client_uuid).first()
        if existing is None:
            raise
        return existing, False
    return report, True


def leads_to_refill(report):
    """A participant who used naloxone they got from us needs a refill, now."""
    return (
        report.encounter_id is not None
        and report.encounter.participant_id is not None
        and bool(report.naloxone_doses)
        and report.naloxone_source == OverdoseReport.NaloxoneSource.PROGRAM
    )


# Drug checking ----------------------------------------------------------------


@dataclass
class DrugCheckData:
    client_uuid: object
    checked_on: datetime.date
    area: object
    site: object
    sold_as: str
    sample_form: str
    method: str
    result: str
    substances_found: list = field(default_factory=list)


def do_record_drug_check(data, *, by):
    """Store a drug checking result once (by its client UUID). Returns (check, created)."""
    existing = DrugCheck.objects.filter(client_uuid=data.client_uuid).first()
    if existing is not None:
        return existing, False
    errors = {}
    if data.checked_on is None:
        errors["checked_on"] = _("Enter the date of the check.")
    elif data.checked_on > timezone.localdate():
        errors["checked_on"] = _("A drug check cannot be dated in the future.")
    _check_area(errors, data.area)
    if data.site is None:
        errors["site"] = _("Choose a site.")
    elif by.role != MANAGER and data.site.pk not in by.allowed_site_ids():
        errors["site"] = _("You are not assigned to %(site)s.") % {"site": data.site}
    for name, choices in (
        ("sold_as", Substance.values),
        ("sample_form", DrugCheck.SampleForm.values),
        ("method", DrugCheck.Method.values),
        ("result", DrugCheck.Result.values),
    ):
        if getattr(data, name) not in choices:
            errors[name] = _("Choose one from the list.")
    _check_substances(errors, data.substances_found, "substances_found")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        check = DrugCheck.objects.create(
            client_uuid=data.client_uuid,
            checked_on=data.checked_on,
            area=data.area,
            site=data.site,
            sold_as=data.sold_as,
            sample_form=data.sample_form,
            method=data.method,
            result=data.result,
            substances_found=list(data.substances_found),
            recorded_by=by,
        )
        audit.record(by, AuditEntry.Action.CREATE, check)
    return check, True


# Drug alerts ------------------------------------------------------------------

ALERT_FIELDS = (
    "title",
    "title_es",
    "body",
    "body_es",
    "substances",
    "area",
    "severity",
    "audience",
    "starts_at",
    "expires_at",
)


@dataclass
class AlertData:
    title: str
    body: str
    severity: str
    audience: str
    starts_at: datetime.datetime
    expires_at: datetime.datetime
    title_es: str = ""
    body_es: str = ""
    substances: list = field(default_factory=list)
    area: object = None


def validate_alert(data):
    errors = {}
    if not data.title.strip():
        errors["title"] = _("Give the alert a title.")
    if not data.body.strip():
        errors["body"] = _("Say what to look out for.")
    if bool(data.title_es.strip()) != bool(data.body_es.strip()):
        name = "body_es" if data.title_es.strip() else "title_es"
        errors[name] = _("A Spanish version needs both a title and the text.")
    if data.severity not in DrugAlert.Severity.values:
        errors["severity"] = _("Choose a severity.")
    if data.audience not in DrugAlert.Audience.values:
        errors["audience"] = _("Choose who may see it.")
    if data.area is not None:
        _check_area(errors, data.area)
    _check_substances(errors, data.substances, "substances")
    if data.starts_at is None:
        errors["starts_at"] = _("Enter when the alert starts.")
    if data.expires_at is None:
        errors["expires_at"] = _("Enter when the alert expires.")
    elif data.starts_at is not None and data.expires_at <= data.starts_at:
        errors["expires_at"] = _("An alert must expire after it starts.")
    if errors:
        raise ValidationError(errors)


def do_create_alert(data, *, by, from_spike_detector=False):
    """A new alert, always a draft: a supervisor publishes it."""
    validate_alert(data)
    with transaction.atomic():
        alert = DrugAlert.objects.create(
            **{name: getattr(data, name) for name in ALERT_FIELDS},
            status=DrugAlert.Status.DRAFT,
            from_spike_detector=from_spike_detector,
            created_by=by,
        )
        audit.record(by, AuditEntry.Action.CREATE, alert)
    return alert


def do_update_alert(alert, data, *, by):
    validate_alert(data)
    with transaction.atomic():
        alert = DrugAlert.objects.select_for_update().get(pk=alert.pk)
        changed = [name for name in ALERT_FIELDS if getattr(alert, name) != getattr(data, name)]
        for name in ALERT_FIELDS:
            setattr(alert, name, getattr(data, name))
        alert.save()
        audit.record(by, AuditEntry.Action.UPDATE, alert, fields=changed)
    return alert


def do_publish_alert(alert, *, by):
    """Make an alert visible to its audience. Supervisors and managers only."""
    if by.role not in PUBLISH_ROLES:
        raise PermissionDenied
    if alert.expires_at <= timezone.now():
        raise ValidationError(
            {"expires_at": _("This alert has already expired; change its expiry to publish it.")}
        )
    with transaction.atomic():
        alert = DrugAlert.objects.select_for_update().get(pk=alert.pk)
        alert.status = DrugAlert.Status.PUBLISHED
        alert.published_by = by
        alert.published_at = timezone.now()
        alert.save(update_fields=["status", "published_by", "published_at"])
        audit.record(by, AuditEntry.Action.UPDATE, alert, fields=["status"])
    return alert


def do_withdraw_alert(alert, *, by):
    if by.role not in PUBLISH_ROLES:
        raise PermissionDenied
    with transaction.atomic():
        alert = DrugAlert.objects.select_for_update().get(pk=alert.pk)
        alert.status = DrugAlert.Status.WITHDRAWN
        alert.save(update_fields=["status"])
        audit.record(by, AuditEntry.Action.UPDATE, alert, fields=["status"])
    return alert


# Import of incident records ------------------------------------------------------


def do_import_overdose_reports(lines, *, source, by, filename=""):
    """Import a CSV file's lines as overdose reports from `source`, all or nothing.

    `by` is the manager importing on the web page, or None for the command.
    Raises importing.ImportFailed listing the bad lines, having saved nothing.
    """
    if by is not None and by.role not in IMPORT_ROLES:
        raise PermissionDenied
    with transaction.atomic():
        result = importing.import_reports(lines, source=source)
        audit.record(
            by,
            AuditEntry.Action.CREATE,
            page="overdose import",
            source=source.strip(),
            filename=filename,
            created=result.created,
            already_there=result.already_there,
            areas_created=result.areas_created,
        )
    return result


# Spike detection --------------------------------------------------------------


def detector_settings(**overrides):
    """The detector's parameters: the defaults, then settings.OVERDOSE_SPIKE_DETECTOR."""
    values = dict(getattr(settings, "OVERDOSE_SPIKE_DETECTOR", {}))
    values.update({key: value for key, value in overrides.items() if value is not None})
    return spikes.DetectorSettings(**values)


def daily_counts(end, days, area_ids=None):
    """{area id: [count per 24 hours, oldest first]} for the `days` days ending at `end`.

    Day i covers (end - (days - i) days, end - (days - i - 1) days]: the last
    one is the 24 hours up to `end`. One query, binned here.
    """
    start = end - datetime.timedelta(days=days)
    reports = OverdoseReport.objects.filter(occurred_at__gt=start, occurred_at__lte=end)
    if area_ids is not None:
        reports = reports.filter(area_id__in=area_ids)
    counts = {}
    day = datetime.timedelta(days=1)
    for area_id, occurred_at in reports.values_list("area_id", "occurred_at").order_by():
        series = counts.setdefault(area_id, [0] * days)
        days_before_end = int((end - occurred_at) / day)
        series[days - 1 - days_before_end] += 1
    return counts


def detection_settings(detector=None):
    """The multi-scale detector, with the per-series parameters of `detector` or the settings."""
    return multiscale.MultiscaleSettings(per_series=detector or detector_settings())


def program_counts(as_of, days):
    """(active areas, counts[area, day]) for the `days` 24-hour days up to `as_of`; zeros kept."""
    areas = list(Area.objects.filter(active=True).order_by("code"))
    matrix = np.zeros((len(areas), days), dtype=np.int64)
    row_of = {area.pk: row for row, area in enumerate(areas)}
    for area_id, series in daily_counts(as_of, days, area_ids=list(row_of)).items():
        matrix[row_of[area_id]] = series
    return areas, matrix


def history_days(as_of):
    """Whole days of reports before the 24 hours up to `as_of` (0 without reports)."""
    first = OverdoseReport.objects.aggregate(first=Min("occurred_at"))["first"]
    if first is None or first > as_of:
        return 0
    return int((as_of - first) / datetime.timedelta(days=1))


def region_rows(areas):
    """(code, name, row indices) of each region; the whole-program region covers every area."""
    row_of = {area.pk: row for row, area in enumerate(areas)}
    return [
        (
            region.code,
            region.name,
            list(range(len(areas)))
            if region.whole_program
            else sorted(row_of[area.pk] for area in region.areas.all() if area.pk in row_of),
        )
        for region in Region.objects.prefetch_related("areas")
    ]


def run_detection(as_of, settings_=None):
    """The multi-scale detector's Result for the 24 hours up to `as_of`; changes nothing."""
    settings_ = settings_ or detection_settings()
    areas, counts = program_counts(as_of, settings_.days_needed)
    described = [(area.code, area.name, area.latitude, area.longitude) for area in areas]
    return multiscale.detect(counts, described, region_rows(areas), settings_, history_days(as_of))


def do_detect_spikes(as_of=None, *, detector=None, notify=True):
    """Flag what is unusual on every scale in the last 24 hours; one draft alert per spike.

    Run every hour or so by the scheduled task. Flags whose areas overlap (an
    area, the region around it, the cluster the scan found) are one spike: one
    draft alert and one email with every reason. Something flagged in the last
    24 hours is not flagged again, and a new flag of a spike already alerted
    joins its alert. Returns the new SpikeFlags.
    """
    as_of = as_of or timezone.now()
    result = run_detection(as_of, detection_settings(detector))
    for note in result.notes:
        logger.info("Spike detection: %s", note)
    day = timezone.localdate(as_of)
    recent = {
        flag.key: flag
        for flag in SpikeFlag.objects.filter(
            Q(day=day) | Q(window_end__gt=as_of - datetime.timedelta(hours=24))
        )
    }
    areas = Area.objects.in_bulk(field_name="code")
    regions = Region.objects.in_bulk(field_name="code")
    new_flags = []
    for spike in multiscale.group_into_spikes(result.signals):
        fresh = [signal for signal in spike if signal.key not in recent]
        if not fresh:
            continue
        known_alert_ids = [
            recent[signal.key].alert_id
            for signal in spike
            if signal.key in recent and recent[signal.key].alert_id
        ]
        try:
            with transaction.atomic():
                if known_alert_ids:
                    alert = DrugAlert.objects.get(pk=known_alert_ids[0])
                else:
                    alert = do_create_alert(
                        spike_alert_data(spike, areas, as_of), by=None, from_spike_detector=True
                    )
                flags = [
                    SpikeFlag.objects.create(
                        scale=signal.scale,
                        key=signal.key,
                        area=areas[signal.area_codes[0]] if signal.scale == "area" else None,
                        region=regions.get(signal.region_code),
                        area_codes=list(signal.area_codes),
                        window_end=as_of,
                        window_days=signal.window_days,
                        day=day,
                        count=signal.observed,
                        expected=signal.expected,
                        baseline_mean=signal.expected / signal.window_days,
                        statistic=signal.statistic,
                        recurrence_days=_finite(signal.recurrence_days),
                        method=signal.method,
                        alert=alert,
                    )
                    for signal in fresh
                ]
                if notify and not known_alert_ids:
                    transaction.on_commit(lambda flags=flags: notify_supervisors(flags))
        except IntegrityError:
            # Another run (two workers, or the command beside the task) flagged
            # this between our check and our insert: its draft and email stand.
            continue
        new_flags.extend(flags)
    return new_flags


def _finite(value):
    return None if value is None or value == float("inf") else value


def scan_history(since, until, detector):
    """(day, area, Flag) for every area and local calendar day from since to until."""
    end = timezone.make_aware(datetime.datetime.combine(until, datetime.time()))
    end += datetime.timedelta(days=1)
    days = (until - since).days + 1 + detector.history_days
    counts = daily_counts(end, days)
    areas = Area.objects.in_bulk(list(counts))
    results = []
    for area_id, series in counts.items():
        for flag in spikes.scan(series, detector, start=detector.history_days):
            day = since + datetime.timedelta(days=flag.index - detector.history_days)
            results.append((day, areas[area_id], flag))
    results.sort(key=lambda result: (result[0], result[1].code))
    return results


SCALE_ORDER = {"region": 0, "cluster": 1, "area": 2}


def spike_place(spike):
    """The widest place a spike covers: its region, else its cluster, else its area."""
    return min(spike, key=lambda signal: SCALE_ORDER[signal.scale]).name


def spike_alert_data(spike, areas, as_of):
    """A draft for staff to review: no counts in the text, so it can go public as it is."""
    place = spike_place(spike)
    codes = {code for signal in spike for code in signal.area_codes}
    texts = {}
    for language in ("en", "es"):
        with translation.override(language):
            texts[language] = (
                _("More overdoses than usual in %(area)s") % {"area": place},
                _(
                    "More overdoses than usual were reported in %(area)s in the last 24 hours. "
                    "Carry naloxone, don't use alone, start low and go slow, and test your drugs."
                )
                % {"area": place},
            )
    return AlertData(
        title=texts["en"][0],
        body=texts["en"][1],
        title_es=texts["es"][0],
        body_es=texts["es"][1],
        severity=DrugAlert.Severity.WARNING,
        audience=DrugAlert.Audience.STAFF,
        # One area: that area; more: the whole program area, named in the text.
        area=areas[codes.pop()] if len(codes) == 1 else None,
        starts_at=as_of,
        expires_at=as_of + datetime.timedelta(days=SPIKE_ALERT_DAYS),
    )


def flag_reason(flag):
    """One line saying why: scale and place, window, observed against expected, method, rarity."""
    reason = _(
        "%(scale)s %(place)s: %(count)s reports in %(days)s day(s) against %(expected).1f "
        "expected (%(method)s)"
    ) % {
        "scale": flag.get_scale_display(),
        "place": flag.place(),
        "count": flag.count,
        "days": flag.window_days,
        "expected": flag.expected,
        "method": flag.get_method_display(),
    }
    if flag.recurrence_days:
        reason += " " + _("; by chance about once in %(days)s days") % {
            "days": f"{flag.recurrence_days:,.0f}"
        }
    return reason


def notify_supervisors(flags):
    """Email every active supervisor and manager who has an address: one email per spike."""
    recipients = list(
        get_user_model()
        .objects.filter(is_active=True, role__in=PUBLISH_ROLES)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    alert = flags[0].alert
    if not recipients:
        logger.warning("Spike flagged (alert %s) but no supervisor has an email address.", alert.pk)
        return
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Possible overdose spike: %(title)s") % {"title": alert.title}
        body = "\n".join(
            [
                _("Why the detector flagged it, in the 24 hours up to %(when)s:")
                % {"when": timezone.localtime(flags[0].window_end).strftime("%Y-%m-%d %H:%M")}
            ]
            + [f"- {flag_reason(flag)}" for flag in flags]
            + [
                _("A draft alert is waiting for review: %(path)s")
                % {"path": reverse("overdose:alert_edit", args=[alert.pk])}
            ]
        )
    send_mail(subject, body, None, recipients)
