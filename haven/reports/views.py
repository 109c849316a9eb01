import datetime

from django.contrib import messages
from django.db.models import Min
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from haven.core import audit, crypto
from haven.core.charts import SIZES, line_chart
from haven.core.models import AuditEntry
from haven.core.permissions import ANALYST, MANAGER, SUPERVISOR, role_required

from . import exports, metrics, releases, standard
from .forms import ReportForm
from .models import DailyActivity

REPORT_ROLES = (SUPERVISOR, MANAGER, ANALYST)


@role_required(*REPORT_ROLES)
def index(request):
    form = ReportForm(request.GET, user=request.user)
    return render(request, "reports/index.html", {"form": form, "reports": standard.REPORTS})


@role_required(*REPORT_ROLES)
def report(request, slug):
    if slug not in standard.BUILDERS:
        raise Http404
    form = ReportForm(request.GET, user=request.user)
    context = {"form": form, "slug": slug, "title": standard.REPORTS[slug]}
    if not form.is_valid():
        return render(request, "reports/report.html", context, status=400)
    scope = form.cleaned_data["scope"]
    release = None
    if form.cleaned_data["suppress"]:
        # A finished period's suppressed figures are released once and served from
        # that release ever after (releases.py), whatever was edited since.
        try:
            built, release, _stored = releases.released_report(slug, scope, request.user)
        except releases.NotReleased as refusal:
            context["refusal"] = str(refusal)
            return render(request, "reports/report.html", context, status=400)
    else:
        built = standard.build(slug, scope, suppressed=False)
    served_from = {"release": release.pk} if release else {}
    wanted = request.GET.get("format", "")
    if wanted in exports.FORMATS:
        content_type, render_file = exports.FORMATS[wanted]
        audit.record(
            request.user,
            AuditEntry.Action.EXPORT,
            request=request,
            page=f"report {slug} {wanted}",
            suppressed=built.suppressed,
            **served_from,
        )
        response = HttpResponse(render_file(built), content_type=content_type)
        scope = built.scope
        response["Content-Disposition"] = (
            f'attachment; filename="haven-{slug}-{scope.start}-{scope.end}.{wanted}"'
        )
        return response
    if release:
        # Released figures leave the program from the page too: recorded like a download.
        audit.record(
            request.user,
            AuditEntry.Action.VIEW,
            request=request,
            page=f"report {slug}",
            suppressed=True,
            **served_from,
        )
    query = request.GET.copy()
    query.pop("format", None)
    context.update(
        {
            "report": built,
            "status_lines": standard.status_lines(built),
            "query": query.urlencode(),
            "period_fields": [(name, query[name]) for name in PERIOD_FIELDS if name in query],
            "coverage": coverage_notes(built.scope),
            # Offered where it can be made: a manager, a first release, figures changed.
            "can_revise": bool(
                release
                and request.user.role == MANAGER
                and release.version == 1
                and built.late_changes
            ),
        }
    )
    return render(request, "reports/report.html", context)


# What the revision form sends back: the period, and the page's filters to return to.
PERIOD_FIELDS = ("period", "year", "number", "start", "end", "site", "staff", "contact_type")


@role_required(MANAGER)
@require_POST
def revise(request, slug):
    """Ask for a revised release of a finished period: made only if it is safe beside the
    first (releases.do_revise_release); analysts, who share figures, may not."""
    if slug not in standard.BUILDERS:
        raise Http404
    fields = QueryDict(mutable=True)
    for name in PERIOD_FIELDS:
        if request.POST.get(name):
            fields[name] = request.POST[name]
    form = ReportForm({**fields.dict(), "suppress": "on"}, user=request.user)
    if not form.is_valid():
        messages.error(request, " ".join(form.non_field_errors()) or _("Choose a period."))
    else:
        scope = form.cleaned_data["scope"]
        try:
            releases.do_revise_release(scope.start, scope.end, request.user)
        except releases.RevisionRefused as refusal:
            messages.error(request, str(refusal))
        else:
            messages.success(
                request,
                _(
                    "A revised release of this period is made: every suppressed report of it now "
                    "comes from the revision."
                ),
            )
    fields["suppress"] = "on"
    return redirect(f"{reverse('reports:report', args=[slug])}?{fields.urlencode()}")


def coverage_notes(scope):
    """Say plainly when a period reaches past the records, so an empty figure is not misread."""
    notes = []
    first = DailyActivity.objects.aggregate(first=Min("day"))["first"]
    if first is None:
        notes.append(_("There are no contacts recorded yet."))
    elif scope.start < first:
        notes.append(
            _("Records start on %(date)s; the period begins before that.")
            % {"date": first.isoformat()}
        )
    today = timezone.localdate()
    if scope.end > today:
        notes.append(
            _("The period runs past today (%(date)s); later days have no records yet.")
            % {"date": today.isoformat()}
        )
    return notes


def _buckets(kind, count, today):
    """The last `count` weeks (Monday first) or months, oldest first, today's included:
    the current one ends today and is labelled as partial ("2026-11 (so far)")."""
    buckets = []
    if kind == "week":
        monday = today - datetime.timedelta(days=today.weekday())
        for weeks_back in range(count - 1, -1, -1):
            start = monday - datetime.timedelta(weeks=weeks_back)
            buckets.append((start.strftime("%Y-%m-%d"), start, start + datetime.timedelta(days=6)))
    else:
        first = today.replace(day=1)
        for months_back in range(count - 1, -1, -1):
            month_index = first.year * 12 + first.month - 1 - months_back
            start = datetime.date(month_index // 12, month_index % 12 + 1, 1)
            following = datetime.date((month_index + 1) // 12, (month_index + 1) % 12 + 1, 1)
            buckets.append((start.strftime("%Y-%m"), start, following - datetime.timedelta(days=1)))
    label, start, _end = buckets[-1]
    buckets[-1] = (_("%(period)s (so far)") % {"period": label}, start, today)
    return buckets


def _a_year_before(day):
    """The same date a year earlier (28 February for 29 February)."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def trend_series(buckets, site_ids=()):
    """{name: [value per bucket]} for the dashboard's trends, from the metric definitions."""
    names = {
        "contacts": _("Contacts"),
        "participants": _("Unique participants"),
        "naloxone": _("Naloxone doses out"),
        "reversals": _("Reversals reported"),
        "syringes_out": _("Syringes out"),
        "syringes_in": _("Syringes in"),
        "linked": _("Referrals linked within 30 days"),
    }
    values = {key: [] for key in names}
    scopes = [metrics.Scope(start, end, site_ids=site_ids) for _label, start, end in buckets]
    for scope, from_contacts in zip(scopes, metrics.contact_trends(scopes), strict=True):
        for key, value in from_contacts.items():
            values[key].append(value)
        values["reversals"].append(metrics.overdose_reports(scope)["reversals"])
        values["syringes_in"].append(metrics.syringes_collected(scope))
        values["linked"].append(metrics.referrals(scope)["linked_within_30_days"])
    return names, values


@role_required(SUPERVISOR, MANAGER)
def dashboard(request):
    kind = "week" if request.GET.get("by") == "week" else "month"
    buckets = _buckets(kind, 26 if kind == "week" else 12, timezone.localdate())
    site_ids = ()
    if request.user.role == SUPERVISOR:
        site_ids = tuple(request.user.sites.values_list("pk", flat=True))
    names, values = trend_series(buckets, site_ids)
    labels = [label for label, _start, _end in buckets]
    # The current period so far, against the same days a year before.
    _label, start, end = buckets[-1]
    _names, last_year = trend_series([("", _a_year_before(start), _a_year_before(end))], site_ids)
    charts = [
        (_("Contacts and people"), ["contacts", "participants"]),
        (_("Naloxone and reversals"), ["naloxone", "reversals"]),
        (_("Syringes out and in"), ["syringes_out", "syringes_in"]),
        (_("Referrals linked to care"), ["linked"]),
    ]
    chart_labels = _chart_labels(kind, buckets)
    panels = []
    for title, keys in charts:
        series = [(names[k], values[k]) for k in keys]
        panels.append(
            {
                "title": title,
                "src": _chart_address(request, chart_labels, series, "desk"),
                "phone_src": _chart_address(request, chart_labels, series, "phone"),
                "columns": [names[k] for k in keys],
                "rows": [(label, [values[k][i] for k in keys]) for i, label in enumerate(labels)],
                "now": [
                    {
                        "name": names[k],
                        "value": values[k][-1],
                        "last_year": last_year[k][0],
                        "change": _change(values[k][-1], last_year[k][0]),
                    }
                    for k in keys
                ],
            }
        )
    context = {
        "panels": panels,
        "sizes": SIZES,  # each drawing's shape, kept for it before it arrives
        "by": kind,
        "period": labels[-1],
        "since": start,
        "until": end,
        "year_before": (_a_year_before(start), _a_year_before(end)),
    }
    return render(request, "reports/dashboard.html", context)


# A dashboard chart's address carries what it shows, sealed (unreadable in logs
# and history): the browser fetches only the drawing its screen shows (desk or
# phone), and keeps it, the same numbers being the same picture and address.
# Drawing was most of a dashboard's time.
CHART_PURPOSE = "haven.reports.dashboard-chart"


def _chart_address(request, labels, series, size):
    chart = {
        "for": request.user.pk,
        "labels": labels,
        "series": series,
        "size": size,
        "language": translation.get_language(),
    }
    token = crypto.seal_for_address(chart, CHART_PURPOSE)
    return reverse("reports:dashboard_chart", args=[token])


@role_required(SUPERVISOR, MANAGER)
def dashboard_chart(request, token):
    """A chart of the dashboard, drawn from its address (made for this user by dashboard())."""
    try:
        chart = crypto.open_from_address(token, CHART_PURPOSE)
    except crypto.UnsealedAddress as error:
        raise Http404 from error
    if chart["for"] != request.user.pk:
        raise Http404
    with translation.override(chart["language"]):
        svg = line_chart(chart["labels"], chart["series"], size=chart["size"], partial_last=True)
    response = HttpResponse(svg, content_type="image/svg+xml")
    response["Cache-Control"] = "private, max-age=31536000, immutable"
    return response


def _chart_labels(kind, buckets):
    """Short axis labels ("Nov", "Jan 26"; weeks "30 Nov"), the last one marked partial."""
    labels = []
    for index, (_label, start, _end) in enumerate(buckets):
        if kind == "week":
            labels.append(date_format(start, "j M"))
        elif index == 0 or start.month == 1:
            labels.append(date_format(start, "M y"))
        else:
            labels.append(date_format(start, "M"))
    labels[-1] = _("%(period)s so far") % {"period": labels[-1]}
    return labels


def _change(now, before):
    """The change from a year before, as a signed percentage, or None from zero."""
    if not before:
        return None
    return round((now - before) * 100 / before)
