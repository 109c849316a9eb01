import datetime
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Count, Sum
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from . import access
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
    """Counts for the last seven days, for every role: aggregate figures only."""
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
    return totals


@login_required
def home(request):
    from haven.outreach.models import Encounter

    context = {"summary": week_summary()}
    if request.user.role in PARTICIPANT_ROLES:
        today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
        contacts = list(
            Encounter.objects.filter(staff=request.user, occurred_at__gte=today)
            .select_related("participant", "site")
            .order_by("-occurred_at")[:20]
        )
        access.shown_each(request, [c.participant for c in contacts], page="my contacts today")
        context["my_contacts_today"] = contacts
    return render(request, "core/home.html", context)


@role_required(*AUDIT_ROLES)
def audit_log(request):
    entries = AuditEntry.objects.select_related("user").order_by("-at", "-id")
    filters = {
        "user": request.GET.get("user", ""),
        "action": request.GET.get("action", ""),
        "object_type": request.GET.get("object_type", ""),
        "since": request.GET.get("since", ""),
        "until": request.GET.get("until", ""),
    }
    errors = []
    if filters["user"]:
        entries = entries.filter(user__username=filters["user"])
    if filters["action"]:
        entries = entries.filter(action=filters["action"])
    if filters["object_type"]:
        entries = entries.filter(object_type=filters["object_type"])
    for name, lookup in (("since", "at__date__gte"), ("until", "at__date__lte")):
        if filters[name]:
            try:
                entries = entries.filter(**{lookup: datetime.date.fromisoformat(filters[name])})
            except ValueError:
                errors.append(name)
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    query = urlencode({key: value for key, value in filters.items() if value})
    context = {
        "page": page,
        "filters": filters,
        "errors": errors,
        "actions": AuditEntry.Action.choices,
        "object_types": AuditEntry.objects.order_by()
        .values_list("object_type", flat=True)
        .distinct(),
        "usernames": get_user_model()
        .objects.order_by("username")
        .values_list("username", flat=True),
        "query": query,
    }
    return render(request, "core/audit_log.html", context)
