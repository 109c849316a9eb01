from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from haven.core.forms import add_action_errors
from haven.core.permissions import PARTICIPANT_ROLES, SUPERVISOR, role_required
from haven.participants.models import Participant
from haven.participants.views import get_participant_for_user

from .actions import EncounterConflict, do_edit_encounter, do_record_encounter
from .forms import QuickLogForm, initial_from_encounter
from .models import Encounter

RECENT_PARTICIPANTS = 8


def recent_participants(user):
    """The participants this user logged most recently, newest first."""
    ids = []
    for participant_id in (
        Encounter.objects.filter(staff=user, participant__isnull=False)
        .order_by("-occurred_at")
        .values_list("participant_id", flat=True)[:50]
    ):
        if participant_id not in ids:
            ids.append(participant_id)
        if len(ids) == RECENT_PARTICIPANTS:
            break
    by_id = Participant.objects.in_bulk(ids)
    return [by_id[pk].canonical() for pk in ids if pk in by_id]


@role_required(*PARTICIPANT_ROLES)
def quick_log(request, participant_id=None):
    participant = None
    if participant_id is not None:
        participant = get_participant_for_user(request, participant_id)
    recent = recent_participants(request.user)
    if participant is not None and participant not in recent:
        recent = [participant, *recent]
    if request.method == "POST":
        form = QuickLogForm(request.POST, user=request.user, recent=recent)
        if form.is_valid():
            try:
                encounter, created = do_record_encounter(form.encounter_data(), staff=request.user)
            except ValidationError as error:
                add_action_errors(form, error)
            except EncounterConflict as error:
                form.add_error(None, str(error))
            else:
                if created:
                    messages.success(request, _("Contact saved."))
                else:
                    messages.info(request, _("This contact was already saved."))
                return redirect("outreach:saved", encounter_id=encounter.pk)
        status = 400
    else:
        initial = {"participant": participant.pk} if participant else {}
        form = QuickLogForm(user=request.user, recent=recent, initial=initial)
        status = 200
    return render(
        request,
        "outreach/quick_log.html",
        {"form": form, "participant": participant},
        status=status,
    )


def get_encounter_for_user(request, encounter_id):
    """The only way views load a contact: refuses other sites' contacts."""
    encounter = get_object_or_404(
        Encounter.objects.select_related("participant", "site", "staff"), pk=encounter_id
    )
    user = request.user
    if encounter.staff_id != user.pk and encounter.site_id not in user.allowed_site_ids():
        raise PermissionDenied
    return encounter


@role_required(*PARTICIPANT_ROLES)
def saved(request, encounter_id):
    encounter = get_encounter_for_user(request, encounter_id)
    return render(request, "outreach/saved.html", {"encounter": encounter})


def can_edit(user, encounter):
    if encounter.staff_id == user.pk:
        return True
    return user.role in (SUPERVISOR, "manager") and encounter.site_id in user.allowed_site_ids()


@role_required(*PARTICIPANT_ROLES)
def edit_encounter(request, encounter_id):
    encounter = get_encounter_for_user(request, encounter_id)
    if not can_edit(request.user, encounter):
        raise PermissionDenied
    recent = [encounter.participant] if encounter.participant else []
    if request.method == "POST":
        form = QuickLogForm(request.POST, user=request.user, recent=recent, encounter=encounter)
        if form.is_valid():
            data = form.encounter_data()
            try:
                do_edit_encounter(encounter, data, editor=request.user)
            except ValidationError as error:
                add_action_errors(form, error)
            else:
                messages.success(request, _("Contact updated."))
                return redirect("outreach:saved", encounter_id=encounter.pk)
        status = 400
    else:
        form = QuickLogForm(
            user=request.user,
            recent=recent,
            encounter=encounter,
            initial=initial_from_encounter(encounter),
        )
        status = 200
    return render(
        request, "outreach/edit.html", {"form": form, "encounter": encounter}, status=status
    )
