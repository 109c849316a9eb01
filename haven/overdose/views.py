import datetime
import io

from django.contrib import messages
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from haven.core import access, audit
from haven.core.forms import add_action_errors
from haven.core.models import AuditEntry
from haven.core.permissions import PARTICIPANT_ROLES, can_read_notes_at, role_required

from . import charts, figures, odmap
from . import spike_map as spike_map_module
from .actions import (
    IMPORT_ROLES,
    PUBLISH_ROLES,
    do_create_alert,
    do_import_overdose_reports,
    do_publish_alert,
    do_record_drug_check,
    do_record_naloxone_details,
    do_record_overdose_report,
    do_update_alert,
    do_withdraw_alert,
    is_refill,
    leads_to_refill,
    naloxone_lines,
)
from .forms import (
    AlertForm,
    DrugCheckForm,
    ImportUploadForm,
    NaloxoneDetailsForm,
    OverdoseReportForm,
)
from .importing import ImportFailed, decode, plan_import
from .models import DrugAlert, DrugCheck, NaloxoneDistribution, OverdoseReport, Substance

# Aggregate pages: analysts see figures, never a participant's record.
# Exact counts by area, week and method: staff only. Analysts get figures
# only through the reports, where small counts are hidden and the hiding is
# audited against every other figure they can download (docs/reports.md);
# these pages are outside that audit, so they would undo it.
FIGURE_ROLES = PARTICIPANT_ROLES
RECENT_REPORTS = 50


# Overdose reports -------------------------------------------------------------


@role_required(*PARTICIPANT_ROLES)
def report_new(request):
    return _report_form(request, encounter=None)


@role_required(*PARTICIPANT_ROLES)
def report_for_contact(request, encounter_id):
    encounter = access.get_encounter_for_user(
        request, encounter_id, page="overdose report form for a contact"
    )
    return _report_form(request, encounter=encounter)


def _report_form(request, encounter):
    if request.method == "POST":
        form = OverdoseReportForm(request.POST, encounter=encounter)
        if form.is_valid():
            try:
                report, created = do_record_overdose_report(form.report_data(), by=request.user)
            except ValidationError as error:
                add_action_errors(form, error)
            else:
                if created:
                    messages.success(request, _("Overdose report saved."))
                else:
                    messages.info(request, _("This report was already saved."))
                if leads_to_refill(report):
                    messages.info(request, _("They used their naloxone: hand out a refill."))
                    url = redirect("overdose:naloxone", encounter_id=report.encounter_id).url
                    return redirect(f"{url}?reason=used")
                if encounter is not None:
                    return redirect("outreach:saved", encounter_id=encounter.pk)
                return redirect("overdose:reports")
        status = 400
    else:
        form = OverdoseReportForm(encounter=encounter)
        status = 200
    # What the form says when it keeps a report on the phone (offline_report.js).
    offline = {
        "label": _("Overdose report, %(area)s"),
        "when_needed": _("Enter when it happened."),
        "area_needed": _("Choose one of the program's areas."),
        "reporter_needed": _("Say who told us."),
    }
    return render(
        request,
        "overdose/report_form.html",
        {"form": form, "encounter": encounter, "offline_messages": offline},
        status=status,
    )


@role_required(*PARTICIPANT_ROLES)
def reports(request):
    recent = OverdoseReport.objects.select_related("area")[:RECENT_REPORTS]
    return render(
        request,
        "overdose/reports.html",
        {"reports": recent, "can_import": request.user.role in IMPORT_ROLES},
    )


@role_required(*PARTICIPANT_ROLES)
def report_detail(request, report_id):
    report = access.get_overdose_report_for_user(request, report_id, page="overdose report")
    user = request.user
    if report.encounter_id is not None:
        note_visible = can_read_notes_at(user, report.encounter.site_id)
    else:
        note_visible = report.recorded_by_id == user.pk or user.role in PUBLISH_ROLES
    context = {
        "report": report,
        "note_visible": note_visible,
        "substance_labels": [
            Substance(code).label for code in report.substances if code in Substance.values
        ],
    }
    return render(request, "overdose/report_detail.html", context)


# Import of incident records ---------------------------------------------------

IMPORT_PREVIEW_ROWS = 10
IMPORT_PROBLEMS_SHOWN = 50
IMPORT_SALT = "haven.overdose.import"
# How long a preview can be confirmed.
IMPORT_PREVIEW_SECONDS = 60 * 60


@role_required(*IMPORT_ROLES)
def odmap_export(request):
    """The last `days` days of overdose reports as an ODMAP-style CSV (no participant data)."""
    try:
        days = min(max(int(request.GET.get("days", 90)), 1), 3660)
    except ValueError:
        days = 90
    until = timezone.localdate()
    since = until - datetime.timedelta(days=days - 1)
    text = odmap.export_csv(since, until)
    audit.record(
        request.user,
        AuditEntry.Action.EXPORT,
        request=request,
        page="overdose odmap export",
        since=since.isoformat(),
        until=until.isoformat(),
        rows=text.count("\n") - 1,
    )
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="overdoses-{since}-{until}.csv"'
    return response


@role_required(*IMPORT_ROLES)
def import_records(request):
    """Upload a CSV of incident records, see what would be imported, then confirm.

    The checked file travels in the confirmation form, signed so that what is
    imported is exactly what was previewed, by the same person, within the
    hour: nothing of it is stored before the import, so the points of a file
    that is never confirmed never reach the database.
    """
    if request.method == "POST" and "preview" in request.POST:
        return _import_confirm(request)
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    context = {"form": form}
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            text = decode(upload.read())
            plan = plan_import(io.StringIO(text, newline=""), source=form.cleaned_data["source"])
        except ImportFailed as failure:
            _add_import_problems(context, failure)
        else:
            preview = {
                "user": request.user.pk,
                "source": plan.source,
                "filename": upload.name,
                "text": text,
            }
            context.update(
                plan=plan,
                preview_rows=plan.preview(IMPORT_PREVIEW_ROWS),
                filename=upload.name,
                preview=signing.dumps(preview, salt=IMPORT_SALT, compress=True),
            )
    status = 400 if form.errors or context.get("problems") else 200
    return render(request, "overdose/import.html", context, status=status)


def _add_import_problems(context, failure):
    context["problems"] = failure.problems[:IMPORT_PROBLEMS_SHOWN]
    context["more_problems"] = len(failure.problems) - len(context["problems"])


def _import_confirm(request):
    try:
        preview = signing.loads(
            request.POST["preview"], salt=IMPORT_SALT, max_age=IMPORT_PREVIEW_SECONDS
        )
    except signing.BadSignature:
        preview = None
    if preview is None or preview["user"] != request.user.pk:
        messages.error(request, _("This preview has expired. Upload the file again."))
        return redirect("overdose:import")
    try:
        result = do_import_overdose_reports(
            io.StringIO(preview["text"], newline=""),
            source=preview["source"],
            by=request.user,
            filename=preview["filename"],
        )
    except ImportFailed as failure:
        # Something changed since the preview (an area was retired, say).
        context = {"form": ImportUploadForm()}
        _add_import_problems(context, failure)
        return render(request, "overdose/import.html", context, status=400)
    messages.success(
        request,
        ngettext(
            "%(count)s report imported from %(source)s (%(already)s already there).",
            "%(count)s reports imported from %(source)s (%(already)s already there).",
            result.created,
        )
        % {"count": result.created, "source": preview["source"], "already": result.already_there},
    )
    return redirect("overdose:reports")


# Naloxone ---------------------------------------------------------------------


@role_required(*PARTICIPANT_ROLES)
def naloxone(request, encounter_id):
    """First kit or refill for the naloxone of a contact, and why a refill."""
    encounter = access.get_encounter_for_user(request, encounter_id, page="naloxone details")
    lines = naloxone_lines(encounter)
    refill = is_refill(encounter)
    details = list(NaloxoneDistribution.objects.filter(encounter=encounter))
    reason = request.GET.get("reason")
    if reason not in NaloxoneDistribution.RefillReason.values:
        reason = None
    form = NaloxoneDetailsForm(
        request.POST if request.method == "POST" else None,
        lines=lines,
        refill=refill,
        reason=reason,
        details=details,
        initial={
            f"formulation_{line.item_id}": _formulation_guess(line, details) for line in lines
        },
    )
    if request.method == "POST" and lines and form.is_valid():
        reasons, formulations = form.choices()
        try:
            do_record_naloxone_details(
                encounter, by=request.user, reasons=reasons, formulations=formulations
            )
        except ValidationError as error:
            add_action_errors(form, error)
        else:
            messages.success(request, _("Naloxone details saved."))
            return redirect("outreach:saved", encounter_id=encounter.pk)
    return render(
        request,
        "overdose/naloxone.html",
        {"encounter": encounter, "form": form, "lines": lines, "refill": refill},
        status=400 if form.errors else 200,
    )


@role_required(*PARTICIPANT_ROLES)
def naloxone_offline(request):
    """The naloxone details of a contact still waiting on the phone (offline_naloxone.js).

    Kept on the phone by the service worker: the page holds no participant
    data; the contact and its naloxone come from the phone's outbox, and the
    details wait there behind it (the sync kind naloxone_details).
    """
    context = {
        "formulations": NaloxoneDistribution.Formulation.choices,
        "reasons": NaloxoneDistribution.RefillReason.choices,
        "offline_messages": {
            "label": _("Naloxone details, contact of %(when)s"),
            "contact": _("Contact of %(when)s · %(who)s"),
            "anonymous": _("anonymous"),
        },
    }
    return render(request, "overdose/naloxone_offline.html", context)


def _formulation_guess(line, details):
    from .actions import default_formulation

    for detail in details:
        if detail.item_id == line.item_id:
            return detail.formulation
    return default_formulation(line.item)


# Drug checking ----------------------------------------------------------------


@role_required(*PARTICIPANT_ROLES)
def drug_check_new(request):
    if request.method == "POST":
        form = DrugCheckForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                _check, created = do_record_drug_check(form.check_data(), by=request.user)
            except ValidationError as error:
                add_action_errors(form, error)
            else:
                messages.success(request, _("Drug check saved."))
                return redirect("overdose:drug_checks")
        status = 400
    else:
        form = DrugCheckForm(user=request.user)
        status = 200
    return render(request, "overdose/drug_check_form.html", {"form": form}, status=status)


@role_required(*FIGURE_ROLES)
def drug_checks(request):
    period = request.GET.get("period")
    if period not in figures.PERIODS:
        period = "quarter"
    context = {
        "period": period,
        "periods": figures.PERIODS,
        "rows": figures.share_positive(period),
        "recent": DrugCheck.objects.select_related("area", "site")[:20],
    }
    return render(request, "overdose/drug_checks.html", context)


# Drug alerts ------------------------------------------------------------------


def get_alert(alert_id):
    """Alerts are not participant records: every staff role that may see them may load any."""
    return get_object_or_404(DrugAlert.objects.select_related("area"), pk=alert_id)


@role_required(*PARTICIPANT_ROLES)
def alerts(request):
    now = timezone.now()
    everything = DrugAlert.objects.select_related("area").order_by("-created_at", "-id")
    context = {
        "drafts": everything.filter(status=DrugAlert.Status.DRAFT),
        "current": everything.current(now),
        "past": everything.exclude(status=DrugAlert.Status.DRAFT).exclude(
            pk__in=everything.current(now).values("pk")
        )[:20],
        "can_publish": request.user.role in PUBLISH_ROLES,
    }
    return render(request, "overdose/alerts.html", context)


@role_required(*PARTICIPANT_ROLES)
def alert_new(request):
    if request.method == "POST":
        form = AlertForm(request.POST)
        if form.is_valid():
            try:
                alert = do_create_alert(form.alert_data(), by=request.user)
            except ValidationError as error:
                add_action_errors(form, error)
            else:
                messages.success(request, _("Draft alert saved. A supervisor publishes it."))
                return redirect("overdose:alert_edit", alert_id=alert.pk)
        status = 400
    else:
        form = AlertForm()
        status = 200
    return render(request, "overdose/alert_form.html", {"form": form, "alert": None}, status=status)


@role_required(*PARTICIPANT_ROLES)
def alert_edit(request, alert_id):
    alert = get_alert(alert_id)
    if request.method == "POST":
        form = AlertForm(request.POST)
        if form.is_valid():
            try:
                alert = do_update_alert(alert, form.alert_data(), by=request.user)
            except ValidationError as error:
                add_action_errors(form, error)
            else:
                messages.success(request, _("Alert saved."))
                return redirect("overdose:alert_edit", alert_id=alert.pk)
        status = 400
    else:
        form = AlertForm(initial=AlertForm.initial_from(alert))
        status = 200
    context = {
        "form": form,
        "alert": alert,
        "can_publish": request.user.role in PUBLISH_ROLES,
        "flags": alert.spike_flags.select_related("area", "region"),
    }
    return render(request, "overdose/alert_form.html", context, status=status)


@require_POST
@role_required(*PUBLISH_ROLES)
def alert_publish(request, alert_id):
    alert = get_alert(alert_id)
    try:
        do_publish_alert(alert, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("overdose:alert_edit", alert_id=alert.pk)
    messages.success(request, _("Alert published."))
    return redirect("overdose:alerts")


@require_POST
@role_required(*PUBLISH_ROLES)
def alert_withdraw(request, alert_id):
    alert = get_alert(alert_id)
    if alert.status != DrugAlert.Status.PUBLISHED:
        raise PermissionDenied
    do_withdraw_alert(alert, by=request.user)
    messages.success(request, _("Alert withdrawn."))
    return redirect("overdose:alerts")


# Areas ------------------------------------------------------------------------


def _weeks(request):
    try:
        weeks = int(request.GET.get("weeks", figures.DEFAULT_WEEKS))
    except ValueError:
        weeks = figures.DEFAULT_WEEKS
    return min(max(weeks, 1), figures.MAX_WEEKS)


@role_required(*FIGURE_ROLES)
def areas(request):
    weeks = _weeks(request)
    table = figures.by_area_and_week(weeks)
    return render(
        request,
        "overdose/areas.html",
        {
            "weeks": weeks,
            "table": table,
            "multiples": charts.reports_by_area(table),
            "week_choices": (4, 12, 26, 52),
        },
    )


@role_required(*FIGURE_ROLES)
def spike_map(request):
    """Areas coloured by the last 7 days against expected; flagged clusters outlined."""
    response = HttpResponse(spike_map_module.svg(), content_type="image/svg+xml")
    response["Cache-Control"] = "private, max-age=300"
    return response
