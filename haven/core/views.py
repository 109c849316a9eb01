import datetime

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Count, Sum
from django.http import Http404, HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from . import access, audit, audit_checks, audit_viewer
from .audit_viewer import AuditFilterForm
from .models import AuditEntry
from .permissions import AUDIT_ROLES, PARTICIPANT_ROLES, role_required


@require_GET
@never_cache
def healthz(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        database_ok = True
    except Exception:  # noqa: BLE001 - any failure means "not reachable"
        database_ok = False
    return JsonResponse(
        {
            "status": "ok" if database_ok else "error",
            "database": "reachable" if database_ok else "unreachable",
            "version": settings.VERSION,
        },
        status=200 if database_ok else 503,
    )


def week_summary():
    """Exact counts for the last seven days, for staff who work with participants.

    Analysts get small counts suppressed and admins no figures at all
    (docs/reports.md): a rolling week, asked for day after day, could be
    subtracted to work out one day's count, so it is not shown to them.
    """
    from haven.outreach.models import Encounter, EncounterSupply

    since = timezone.now() - datetime.timedelta(days=7)
    encounters = Encounter.objects.filter(occurred_at__gte=since)
    totals = encounters.aggregate(
        contacts=Count("id"), participants=Count("participant", distinct=True)
    )
    totals["supplies"] = (
        EncounterSupply.objects.filter(encounter__occurred_at__gte=since).aggregate(
            n=Sum("quantity")
        )["n"]
        or 0
    )
    totals["people_trained"] = _people_trained_this_week()
    return totals


def _people_trained_this_week():
    """People trained at group sessions held in the last seven days (issue 14)."""
    from haven.reports.metrics import Scope
    from haven.training.metrics import people_trained

    today = timezone.localdate()
    return people_trained(Scope(today - datetime.timedelta(days=6), today))["total"]


@login_required
def home(request):
    from haven.outreach.models import Encounter

    context = {}
    if request.user.role in PARTICIPANT_ROLES:
        context["summary"] = week_summary()
        today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
        contacts = list(
            Encounter.objects.filter(staff=request.user, occurred_at__gte=today)
            .select_related("participant", "site")
            .order_by("-occurred_at")[:20]
        )
        access.shown_each(request, [c.participant for c in contacts], page="my contacts today")
        context["my_contacts_today"] = contacts
    return render(request, "core/home.html", context)


# The log names participants by card code: no browser keeps its pages or files.
@role_required(*AUDIT_ROLES)
@never_cache
def audit_log(request):
    typed = _typed_card_code(request)
    if typed is not None:
        return typed
    form = AuditFilterForm.from_address(request.GET)
    valid = form.is_valid()
    context = {"form": form, "page": None, "last_check": audit_checks.last_check()}
    # The log filtered by a participant is their history (when and where they were
    # served), and even a refused filter names them: a read of them, as an export is.
    person = form.chosen_participant()
    if person is not None:
        access.shown_unscoped(
            request, person, page="audit log", filters=form.described() if valid else {}
        )
    if valid:
        page = Paginator(form.entries(), 50).get_page(request.GET.get("page"))
        page.object_list = audit_viewer.label(list(page.object_list))
        # Whatever the filters, each entry shown names its participant by card code,
        # with when, where and by whom they were served or read: a read of each one.
        for entry in page.object_list:
            if entry.participant is not None:
                access.shown_unscoped(request, entry.participant, page="audit log")
        context.update(
            {"page": page, "query": form.address_query(), "formats": audit_viewer.FORMATS}
        )
    return render(request, "core/audit_log.html", context, status=200 if valid else 400)


def _typed_card_code(request):
    """Filters with a card code typed in (posted, or in an old link): the same filters
    again at an address that names the participant by database id, or the form's errors.

    None when the request names no card code.
    """
    typed = request.POST if request.method == "POST" else request.GET
    if "participant" not in typed:
        return None
    form = AuditFilterForm(typed)
    if not form.is_valid():
        context = {"form": form, "page": None, "last_check": audit_checks.last_check()}
        return render(request, "core/audit_log.html", context, status=400)
    query = form.address_query()
    return redirect(f"{request.path}?{query}" if query else request.path)


@role_required(*AUDIT_ROLES)
@never_cache
def audit_log_export(request, file_format):
    """The entries the audit log's filters select, as a file for an auditor."""
    if file_format not in audit_viewer.FORMATS:
        raise Http404
    typed = _typed_card_code(request)
    if typed is not None:
        return typed
    form = AuditFilterForm.from_address(request.GET)
    if not form.is_valid():
        return render(request, "core/audit_log.html", {"form": form, "page": None}, status=400)
    content_type, render_file = audit_viewer.FORMATS[file_format]
    entries = form.entries()
    # The export is written first, so the file holds its own entry when it covers now.
    audit.record(
        request.user,
        AuditEntry.Action.EXPORT,
        None,
        participant=form.chosen_participant(),
        page=f"audit log {file_format}",
        filters=form.described(),
    )
    response = HttpResponse(render_file(entries), content_type=content_type)
    # The file names each participant of its entries by card code: a read of each one.
    for person in audit_viewer.participants_of(entries):
        access.shown_unscoped(request, person, page=f"audit log {file_format}")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = (
        f'attachment; filename="haven-audit-log-{stamp}.{file_format}"'
    )
    return response


def bad_request(request, message, back_url):
    """A 400 page that says what was wrong, for links and downloads with a bad query."""
    context = {"message": message, "back_url": back_url}
    return render(request, "core/bad_request.html", context, status=400)


@require_GET
def favicon(request):
    """Browsers ask for /favicon.ico whatever the page says; send them to the icon."""
    return HttpResponsePermanentRedirect(static("core/icons/favicon.ico"))
