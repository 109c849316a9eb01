import io

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from haven.accounts.models import Site
from haven.consents.actions import ConsentMissing
from haven.core import access, audit
from haven.core.forms import add_action_errors
from haven.core.models import AuditEntry
from haven.core.permissions import (
    ADMIN,
    ANALYST,
    MANAGER,
    PARTICIPANT_ROLES,
    SUPERVISOR,
    role_required,
)
from haven.participants import codes
from haven.reports.metrics import linkage_within_30_days

from . import actions, brochure, importing, search
from .forms import (
    BrochureForm,
    GuideForm,
    MappingForm,
    ReferralForm,
    ReferralStatusForm,
    ResourceForm,
    SearchForm,
    UploadForm,
)
from .models import Guide, GuideProgress, ImportBatch, ImportMapping, Need, Referral, Resource

# Everyone with an account may look things up in the directory.
DIRECTORY_ROLES = (*PARTICIPANT_ROLES, ANALYST, ADMIN)
# The directory is kept by managers and admins (like the supply catalog).
DIRECTORY_EDITORS = (MANAGER, ADMIN)
GUIDE_EDITORS = (MANAGER,)
PREVIEW_ROWS = 10
ERRORS_SHOWN = 100


def _search_context(request, form, *, participant=None):
    results, origin_label = None, ""
    if form.is_bound and form.is_valid():
        origin, origin_label = form.origin_for(request.user)
        try:
            results = search.search(form.query(origin))
        except ValueError as error:
            form.add_error("needs", str(error))
    return {
        "form": form,
        "results": results,
        "origin_label": origin_label,
        "participant": participant,
        "offline_search": offline_search_setup(request.user),
    }


def offline_search_setup(user):
    """What resources/offline_search.js needs: its words and the sites' centres.

    The words are the ones Haven's own search answers with, translated here
    since the page has no JavaScript catalog.
    """
    centres = {}
    default = user.default_site()
    for site in Site.objects.filter(Q(active=True) | Q(pk=getattr(default, "pk", None))):
        centre = search.area_centre(site.area) if site.area else None
        if centre is not None:
            centres[site.pk] = {"point": centre, "label": str(site)}
    messages_ = {
        "your_location": _("your location"),
        "unknown_place": _(
            'We do not know where "%(place)s" is. Try a ZIP code or a city that '
            "has entries in the directory."
        ),
        "tomorrow": _("tomorrow %(time)s"),
        "hours_unknown": _("Hours unknown: call first"),
        "open_24_hours": _("Open 24 hours"),
        "open_until": _("Open now, until %(time)s"),
        "closed_opens": _("Closed; opens %(time)s"),
        "closed": _("Closed"),
        "offers": _("Offers %(need)s"),
        "miles_away": _("%(miles)s mi away"),
        "miles": _("%(d)s mi"),
        "speaks": _("Speaks %(language)s"),
        "takes": _("Takes %(payment)s"),
        "walk_in": _("Walk-in"),
        "same_day": _("Same-day appointments"),
        "why": _("Why:"),
        "one_result": ngettext("%(n)s result", "%(n)s results", 1),
        "results": ngettext("%(n)s result", "%(n)s results", 2),
        "near": _("near %(place)s"),
        "nothing": _("Nothing matches. Try fewer filters or a wider distance."),
        "not_on_phone": _(
            "No signal, and the directory is not on this phone yet: open it once with signal."
        ),
        "from_phone": _(
            "No signal: these results come from the directory saved on this phone "
            "(%(date)s). Holiday hours are not checked: call first."
        ),
        "from_phone_undated": _(
            "No signal: these results come from the directory saved on this phone. "
            "Holiday hours are not checked: call first."
        ),
        # The phone shows signal but Haven does not answer (it is down, or a
        # captive portal holds the connection): the search for a participant,
        # a POST the service worker cannot answer, is answered from the phone.
        "unreachable": _(
            "Haven cannot be reached: these results come from the directory saved on this "
            "phone (%(date)s). Holiday hours are not checked: call first."
        ),
        "unreachable_undated": _(
            "Haven cannot be reached: these results come from the directory saved on this "
            "phone. Holiday hours are not checked: call first."
        ),
        "unreachable_not_on_phone": _(
            "Haven cannot be reached, and the directory is not on this phone yet: try again "
            "in a moment."
        ),
        # A result's Refer, when the search for a participant was answered on the phone.
        "refer": _("Refer"),
        "refer_to": _("to %(name)s"),
    }
    return {
        "messages": messages_,
        "centres": centres,
        "default_centre": centres.get(default.pk) if default else None,
    }


@role_required(*DIRECTORY_ROLES)
def directory(request):
    form = SearchForm(request.GET or None)
    context = _search_context(request, form)
    context["can_edit"] = request.user.role in DIRECTORY_EDITORS
    return render(request, "resources/search.html", context)


@role_required(*PARTICIPANT_ROLES)
def search_for_participant(request, participant_id):
    """The directory, with a Refer button on each result for this participant.

    The search is sent by POST: a participant's needs and the phone's location
    must not go into an address beside their record id, where the browser's
    history on a shared computer would keep them. A GET shows the empty form
    whatever its query string says, so that an old bookmark runs no search and
    its values are not written back into the page. The answer, like every page
    that shows a participant, is sent with Cache-Control: no-store (the
    participant loader marks it; see haven.core.access).
    """
    participant = access.get_participant_for_user(
        request, participant_id, page="resource search for a participant"
    )
    form = SearchForm(request.POST if request.method == "POST" else None)
    return render(
        request, "resources/search.html", _search_context(request, form, participant=participant)
    )


def get_resource(resource_id):
    return get_object_or_404(
        Resource.objects.prefetch_related(
            "offerings", "languages", "opening_hours", "hours_exceptions"
        ),
        pk=resource_id,
    )


@role_required(*DIRECTORY_ROLES)
def detail(request, resource_id):
    resource = get_resource(resource_id)
    today = timezone.localdate()
    context = {
        "resource": resource,
        "status": search.describe_status(resource.status_at(timezone.now())),
        "upcoming_exceptions": [e for e in resource.hours_exceptions.all() if e.date >= today],
        "can_edit": request.user.role in DIRECTORY_EDITORS,
    }
    return render(request, "resources/detail.html", context)


@role_required(*DIRECTORY_EDITORS)
def edit(request, resource_id=None):
    resource = get_resource(resource_id) if resource_id else Resource()
    form = ResourceForm(request.POST or None, instance=resource)
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_save_resource(
                form.instance,
                by=request.user,
                needs=form.cleaned_data["needs"],
                languages=form.cleaned_data["languages"],
                spans=form.cleaned_data["hours"],
                exceptions=form.cleaned_data["exceptions"],
            )
        except ValidationError as error:
            add_action_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("resources:detail", resource_id=form.instance.pk)
    return render(
        request,
        "resources/edit.html",
        {"form": form, "resource": resource},
        status=400 if form.errors else 200,
    )


@require_POST
@role_required(*DIRECTORY_EDITORS)
def verify(request, resource_id):
    resource = get_object_or_404(Resource, pk=resource_id)
    actions.do_verify_resource(resource, by=request.user)
    messages.success(request, _("Marked as verified today."))
    if request.POST.get("next_page") == "stale":
        return redirect("resources:stale")
    return redirect("resources:detail", resource_id=resource.pk)


@role_required(*DIRECTORY_EDITORS)
def stale(request):
    """Entries not verified recently, oldest first, to re-check by phone."""
    import datetime

    from django.conf import settings
    from django.db.models import F, Q

    cutoff = timezone.localdate() - datetime.timedelta(days=settings.RESOURCE_STALE_DAYS)
    entries = Resource.objects.filter(active=True).filter(
        Q(last_verified_on__isnull=True) | Q(last_verified_on__lt=cutoff)
    )
    total = entries.count()
    shown = list(entries.order_by(F("last_verified_on").asc(nulls_first=True), "name")[:200])
    return render(
        request,
        "resources/stale.html",
        {"entries": shown, "total": total, "days": settings.RESOURCE_STALE_DAYS},
    )


# Import and export ---------------------------------------------------------------


@role_required(*DIRECTORY_EDITORS)
def import_upload(request):
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        content = upload.read(importing.MAX_BYTES + 1)
        try:
            text = importing.decode(content, form.cleaned_data["encoding"])
            importing.read_header(text)
        except importing.ImportRejected as error:
            form.add_error("file", str(error))
        else:
            batch = actions.do_stage_import(
                by=request.user,
                filename=upload.name,
                content=content,
                encoding=form.cleaned_data["encoding"],
                source=form.cleaned_data["source"],
            )
            url = reverse("resources:import_preview", args=[batch.pk])
            mapping = form.cleaned_data["mapping"]
            if mapping is not None:
                url += f"?mapping={mapping.pk}"
            return redirect(url)
    return render(
        request,
        "resources/import_upload.html",
        {"form": form, "recent": ImportBatch.objects.defer("content")[:10]},
        status=400 if form.errors else 200,
    )


@role_required(*DIRECTORY_EDITORS)
def import_progress(request, batch_id):
    """How far a background import has got, for the preview page to poll."""
    batch = get_object_or_404(
        ImportBatch.objects.defer("content"), pk=batch_id, uploaded_by=request.user
    )
    text = _("%(status)s: %(done)s of %(total)s rows.") % {
        "status": batch.get_status_display(),
        "done": batch.rows_done,
        "total": batch.rows_total,
    }
    return JsonResponse(
        {
            "status": batch.status,
            "text": text,
            "rows_done": batch.rows_done,
            "rows_total": batch.rows_total,
            "running": batch.running,
        }
    )


@role_required(*DIRECTORY_EDITORS)
def import_preview(request, batch_id):
    batch = get_object_or_404(ImportBatch, pk=batch_id, uploaded_by=request.user)
    if batch.running or batch.status == ImportBatch.Status.DONE:
        # The file is being imported, or was: what happened, not the mapping form again.
        return render(request, "resources/import_progress.html", {"batch": batch})
    content = bytes(batch.content)
    header = importing.read_header(importing.decode(content, batch.encoding))
    if request.method == "POST":
        form = MappingForm(request.POST, header=header)
    else:
        mapping_id = request.GET.get("mapping", "")
        saved = (
            ImportMapping.objects.filter(pk=mapping_id).first() if mapping_id.isdigit() else None
        )
        columns = saved.columns if saved else importing.guess_mapping(header)
        initial = {f"column_{name}": column for name, column in columns.items()}
        initial["fixed_needs"] = saved.fixed_needs if saved else []
        form = MappingForm(header=header, initial=initial)
    plan, rejected = None, ""
    if form.is_bound and form.is_valid() or not form.is_bound:
        mapping = form.mapping() if form.is_bound else _initial_mapping(form)
        needs = form.cleaned_data["fixed_needs"] if form.is_bound else form.initial["fixed_needs"]
        try:
            plan = importing.prepare(content, batch.encoding, mapping, needs)
        except importing.ImportRejected as error:
            rejected = str(error)
    if request.method == "POST" and plan is not None and batch.imported_at is None:
        if form.cleaned_data["save_as"]:
            ImportMapping.objects.create(
                name=form.cleaned_data["save_as"],
                columns=plan.mapping,
                fixed_needs=plan.fixed_needs,
                created_by=request.user,
            )
            messages.success(request, _("Mapping saved."))
        if "import" in request.POST:
            try:
                actions.do_queue_import(
                    batch,
                    plan,
                    by=request.user,
                    update_existing=form.cleaned_data["update_existing"],
                )
            except ValidationError as error:
                rejected = " ".join(error.messages)
            else:
                return redirect("resources:import_preview", batch.pk)
    context = {
        "batch": batch,
        "form": form,
        "plan": plan,
        "rejected": rejected,
        "preview_rows": plan.rows[:PREVIEW_ROWS] if plan else [],
        "additions": actions.planned_additions(plan) if plan and not plan.error_rows else [],
        "error_rows": plan.error_rows[:ERRORS_SHOWN] if plan else [],
    }
    return render(
        request,
        "resources/import_preview.html",
        context,
        status=400 if rejected or (plan and plan.error_rows) else 200,
    )


def _initial_mapping(form):
    return {
        name: form.initial.get(f"column_{name}")
        for name in importing.FIELD_NAMES
        if form.initial.get(f"column_{name}")
    }


@role_required(*DIRECTORY_EDITORS)
def export(request):
    resources = Resource.objects.filter(active=True).prefetch_related(
        "offerings", "languages", "opening_hours"
    )
    out = io.StringIO()
    importing.write_csv(resources.iterator(chunk_size=1000), out)
    audit.record(request.user, AuditEntry.Action.EXPORT, request=request, page="directory export")
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="haven-directory.csv"'
    return response


# Referrals -------------------------------------------------------------------------


@role_required(*PARTICIPANT_ROLES)
def refer(request, participant_id, resource_id):
    """The referral form for a participant and a resource; posting it makes the referral.

    A result of the resource search for the participant opens this page by a
    POST marked `prefill`, with the need the result matched: the form is shown
    with that need chosen, nothing is checked and nothing is saved. The need
    thus never goes into the address beside the participant's record id, where
    a shared computer's history and the server's logs would keep it. A GET
    opens the form with no need chosen, whatever its query says, so that an
    old address that named one neither chooses it nor is worth keeping.
    """
    participant = access.get_participant_for_user(request, participant_id, page="new referral")
    resource = get_resource(resource_id)
    prefill = request.method == "POST" and "prefill" in request.POST
    form = ReferralForm(
        request.POST if request.method == "POST" and not prefill else None,
        user=request.user,
        resource=resource,
        initial={"need": request.POST.get("need")} if prefill else {},
    )
    consent_missing = False
    if form.is_bound and form.is_valid():
        try:
            referral = actions.do_make_referral(
                participant=participant,
                resource=resource,
                need=form.cleaned_data["need"],
                by=request.user,
                site=form.cleaned_data["site"],
                note=form.cleaned_data["note"],
                follow_up_on=form.cleaned_data["follow_up_on"],
                share_details=form.cleaned_data["share_details"],
            )
        except ConsentMissing as error:
            add_action_errors(form, error)
            consent_missing = True
        except ValidationError as error:
            add_action_errors(form, error)
        else:
            messages.success(request, _("Referral made. It is on your follow-up list."))
            if form.cleaned_data["share_details"]:
                return redirect("resources:referral", referral_id=referral.pk)
            return redirect("participants:detail", participant_id=participant.pk)
    return render(
        request,
        "resources/refer.html",
        {
            "form": form,
            "participant": participant,
            "resource": resource,
            "consent_missing": consent_missing,
        },
        status=400 if form.errors else 200,
    )


@role_required(*PARTICIPANT_ROLES)
def refer_offline(request):
    """Make a referral from the phone, with or without signal (resources/offline_refer.js).

    The person is given by card code and the resource chosen from the directory
    the phone keeps; the referral is sent to /api/v1/referrals at once, or
    waits in the outbox with no signal. Shows no participant: nothing to audit.
    """
    sites = Site.objects.filter(active=True, pk__in=request.user.allowed_site_ids())
    offline = {
        "saved": _("Referral made. It is on your follow-up list."),
        "kept": _("Referral saved on this phone. It will be sent when there is signal."),
        "label": _("Referral, %(resource)s"),
        "choose_resource": _("Choose a resource that offers this need."),
        "none_kept": _("No resource kept on this phone offers this need."),
        **codes.messages_for_the_phone(),
    }
    context = {
        "needs": Need.choices,
        "sites": sites,
        "default_site": request.user.default_site(),
        "offline_messages": offline,
    }
    return render(request, "resources/refer_offline.html", context)


@role_required(*PARTICIPANT_ROLES)
def referral_detail(request, referral_id):
    referral = access.get_referral_for_user(request, referral_id, page="referral")
    form = ReferralStatusForm(
        request.POST or None,
        initial={"status": referral.status, "follow_up_on": referral.follow_up_on},
    )
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_update_referral_status(
                referral,
                status=form.cleaned_data["status"],
                by=request.user,
                note=form.cleaned_data["note"],
                follow_up_on=form.cleaned_data["follow_up_on"],
            )
        except ValidationError as error:
            add_action_errors(form, error)
        else:
            messages.success(request, _("Referral updated."))
            return redirect("resources:follow_ups")
    return render(
        request,
        "resources/referral.html",
        {"referral": referral, "form": form, "updates": referral.updates.select_related("by")},
        status=400 if form.errors else 200,
    )


# The follow-up list shows at most this many open referrals.
FOLLOW_UPS_SHOWN = 300


def follow_up_scope(user):
    """Referrals on a user's follow-up list: mine, or my sites' for supervisors and managers."""
    referrals = Referral.objects.select_related("participant", "resource", "site", "made_by")
    if user.role in (SUPERVISOR, MANAGER):
        return referrals.filter(site_id__in=user.allowed_site_ids())
    return referrals.filter(made_by=user)


def open_follow_ups(scope):
    """The open referrals of a scope, the soonest follow-up first (the API lists these too)."""
    return scope.filter(status__in=Referral.OPEN_STATUSES).order_by("follow_up_on", "made_at")


@role_required(*PARTICIPANT_ROLES)
def follow_ups(request):
    """Open referrals to follow up: mine, or my sites' for supervisors and managers."""
    user = request.user
    scope = follow_up_scope(user)
    open_referrals = open_follow_ups(scope)
    linked, eligible, share = linkage_within_30_days(
        scope.select_related(None).only("made_at", "linked_at")
    )
    today = timezone.localdate()
    shown = list(open_referrals[:FOLLOW_UPS_SHOWN])
    access.shown_each(request, [r.participant for r in shown], page="referral follow-ups")
    return render(
        request,
        "resources/follow_ups.html",
        {
            "referrals": shown,
            "today": today,
            "linked": linked,
            "eligible": eligible,
            "share": share,
            "scope_is_sites": user.role in (SUPERVISOR, MANAGER),
        },
    )


# Paperwork guides ----------------------------------------------------------------------


@role_required(*DIRECTORY_ROLES)
def guides(request):
    return render(
        request,
        "resources/guides.html",
        {
            "guides": Guide.objects.filter(active=True).prefetch_related("steps"),
            "can_edit": request.user.role in GUIDE_EDITORS,
        },
    )


@role_required(*DIRECTORY_ROLES)
def guide_detail(request, guide_id):
    guide = get_object_or_404(Guide.objects.prefetch_related("steps"), pk=guide_id)
    return render(
        request,
        "resources/guide.html",
        {"guide": guide, "can_edit": request.user.role in GUIDE_EDITORS},
    )


@role_required(*GUIDE_EDITORS)
def guide_edit(request, guide_id=None):
    guide = get_object_or_404(Guide, pk=guide_id) if guide_id else Guide()
    form = GuideForm(request.POST or None, instance=guide)
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_save_guide(
                guide,
                by=request.user,
                title=form.cleaned_data["title"],
                language=form.cleaned_data["language"],
                summary=form.cleaned_data["summary"],
                steps=form.cleaned_data["steps"].splitlines(),
            )
        except ValidationError as error:
            add_action_errors(form, error)
        else:
            messages.success(request, _("Guide saved."))
            return redirect("resources:guide", guide_id=guide.pk)
    return render(
        request,
        "resources/guide_edit.html",
        {"form": form, "guide": guide},
        status=400 if form.errors else 200,
    )


@role_required(*PARTICIPANT_ROLES)
def guide_progress(request, participant_id, guide_id):
    participant = access.get_participant_for_user(request, participant_id, page="guide progress")
    guide = get_object_or_404(Guide.objects.prefetch_related("steps"), pk=guide_id)
    progress = (
        GuideProgress.objects.filter(participant=participant.canonical(), guide=guide)
        .prefetch_related("done_steps")
        .first()
    )
    if request.method == "POST":
        valid_ids = {str(step.pk) for step in guide.steps.all()}
        done = [pk for pk in request.POST.getlist("done") if pk in valid_ids]
        actions.do_record_guide_progress(participant, guide, by=request.user, done_step_ids=done)
        messages.success(request, _("Progress saved."))
        return redirect("participants:detail", participant_id=participant.pk)
    done_ids = {step.pk for step in progress.done_steps.all()} if progress else set()
    return render(
        request,
        "resources/guide_progress.html",
        {"participant": participant, "guide": guide, "progress": progress, "done_ids": done_ids},
    )


# Brochures -----------------------------------------------------------------------------


@role_required(*PARTICIPANT_ROLES)
def brochure_form(request):
    """Choose a site, language and services; then tick the resources to print."""
    form = BrochureForm(request.GET or None, initial={"site": request.user.default_site()})
    results = []
    if request.GET and form.is_valid():
        data = form.cleaned_data
        centre = search.area_centre(data["site"].area)
        query = search.Query(
            needs=data["needs"],
            origin=centre,
            radius_km=data["miles"] * 1.609344,
            public_only=True,
            limit=brochure.MOST_RESOURCES,
        )
        results = search.search(query)
        chosen_ids = set(request.GET.getlist("resources"))
        chosen = [r.resource for r in results if str(r.resource.pk) in chosen_ids]
        if not results:
            form.add_error(None, _("No public resources offer these services near this site."))
        elif "make" in request.GET and not chosen:
            form.add_error(None, _("Tick at least one resource to print."))
        elif "make" in request.GET:
            with translation.override(data["language"]):
                finder_url = request.build_absolute_uri(brochure.finder_path())
                pdf = brochure.render(data["site"], chosen, finder_url)
            response = HttpResponse(pdf, content_type="application/pdf")
            response["Content-Disposition"] = 'inline; filename="haven-brochure.pdf"'
            return response
        chosen_ids = chosen_ids or {str(r.resource.pk) for r in results}
        results = [(r, str(r.resource.pk) in chosen_ids) for r in results]
    return render(
        request,
        "resources/brochure.html",
        {"form": form, "results": results},
        status=400 if form.errors else 200,
    )


def participant_summary(participant):
    """Referrals and guide progress for a participant's page (used by participants:detail)."""
    referrals = list(
        Referral.objects.filter(participant_id__in=participant.linked_ids())
        .select_related("resource")
        .order_by("-made_at")[:50]
    )
    progress = list(
        GuideProgress.objects.filter(participant=participant)
        .select_related("guide")
        .prefetch_related(Prefetch("guide__steps"), "done_steps")
    )
    return referrals, progress
