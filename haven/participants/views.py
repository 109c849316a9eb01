from collections import defaultdict

import segno
from django.apps import apps
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Sum
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from haven.consents.actions import do_record_enrolment_consents
from haven.consents.forms import EnrolmentConsentForm
from haven.core import access
from haven.core.forms import add_action_errors
from haven.core.permissions import MERGE_ROLES, PARTICIPANT_ROLES, can_read_notes_at, role_required
from haven.supplies.models import Item

from . import codes, lookup
from .actions import do_enroll_participant, do_merge_participants, do_update_participant
from .forms import MergeForm, ParticipantForm, SearchForm, UICForm
from .models import Participant


@role_required(*PARTICIPANT_ROLES)
def find(request):
    """One search box. POST, so that codes and aliases never sit in a URL."""
    form = SearchForm(request.POST if request.method == "POST" else None)
    matches, searched = [], False
    if request.method == "POST" and form.is_valid():
        searched = True
        participant, matches, card_error = lookup.find(form.cleaned_data["q"], user=request.user)
        if participant is not None:
            return redirect("participants:detail", participant_id=participant.pk)
        if card_error:
            form.add_error("q", card_error)
    # The page the phone keeps (GET) names nobody: the recent participants are
    # listed on the phone, from what it keeps sealed (offline_find.js).
    access.shown_each(request, matches, page="participant search results")
    context = {
        "form": form,
        "matches": matches,
        "searched": searched,
        "offline_messages": offline_find_messages(),
    }
    return render(request, "participants/find.html", context)


def offline_find_messages():
    """What the search says with no signal (participants/offline_find.js)."""
    return {
        "matches": _("Matches"),
        "from_phone": _(
            "No signal: searched among the participants kept on this phone "
            "(your recent ones and your sites' active ones)."
        ),
        "no_match": _(
            "Nobody kept on this phone matches. You can still log the contact by "
            "card code: Haven checks it when there is signal."
        ),
        "nothing_kept": _(
            "No participants are kept on this phone yet: open Haven once with signal."
        ),
        "log_for": _("Log a contact"),
        "log_for_named": _("Log a contact for %(who)s"),
        "timeline": _("Timeline"),
        "not_sent": _("enrolled on this phone, not sent yet"),
        "timeline_named": _("Timeline of %(who)s"),
        **codes.messages_for_the_phone(),
    }


@role_required(*PARTICIPANT_ROLES)
def enroll(request):
    form = ParticipantForm(request.POST if request.method == "POST" else None)
    uic_form = UICForm(request.POST if request.method == "POST" else None, prefix="uic")
    consent_form = EnrolmentConsentForm(request.POST if request.method == "POST" else None)
    forms_valid = all([form.is_valid(), uic_form.is_valid(), consent_form.is_valid()])
    if request.method == "POST" and forms_valid:
        profile = {name: form.cleaned_data[name] for name in form.Meta.fields}
        site = request.user.default_site()
        try:
            # The person and their answers are saved together, or neither is.
            with transaction.atomic():
                participant = do_enroll_participant(
                    by=request.user, site=site, uic=uic_form.cleaned_data["uic"], **profile
                )
                do_record_enrolment_consents(
                    participant,
                    consent_form.answers(),
                    how=consent_form.cleaned_data["how"],
                    language=consent_form.cleaned_data["language"],
                    by=request.user,
                    site=site,
                )
        except ValidationError as error:
            add_action_errors(consent_form, error)
        else:
            messages.success(request, _("Participant enrolled. Give them their card."))
            return redirect("participants:card", participant_id=participant.pk)
    offline = {
        "no_codes": _(
            "No card codes are kept on this phone, so nobody can be enrolled without "
            "signal. Open Haven with signal to get some, or log the contact as anonymous."
        ),
        "label": _("New participant %(code)s"),
    }
    return render(
        request,
        "participants/enroll.html",
        {
            "form": form,
            "uic_form": uic_form,
            "consent_form": consent_form,
            "offline_messages": offline,
        },
        status=400 if form.errors or uic_form.errors or consent_form.errors else 200,
    )


@role_required(*PARTICIPANT_ROLES)
def edit(request, participant_id):
    participant = access.get_participant_for_user(request, participant_id, page="profile form")
    form = ParticipantForm(request.POST if request.method == "POST" else None, instance=participant)
    uic_form = UICForm(request.POST if request.method == "POST" else None, prefix="uic")
    if request.method == "POST" and form.is_valid() and uic_form.is_valid():
        profile = {name: form.cleaned_data[name] for name in form.Meta.fields}
        if uic_form.cleaned_data["uic"]:
            profile["uic"] = uic_form.cleaned_data["uic"]
        participant.refresh_from_db()
        do_update_participant(participant, by=request.user, **profile)
        messages.success(request, _("Profile saved."))
        return redirect("participants:detail", participant_id=participant.pk)
    return render(
        request,
        "participants/edit.html",
        {"form": form, "uic_form": uic_form, "participant": participant},
        status=400 if form.errors or uic_form.errors else 200,
    )


TIMELINE_PAGE_SIZE = 50


@role_required(*PARTICIPANT_ROLES)
def detail(request, participant_id):
    from haven.outreach.models import Encounter, EncounterSupply

    participant = access.get_participant_for_user(
        request, participant_id, page="participant timeline"
    )
    if participant.merged_into_id:
        # Messages wait in a cookie (signed, not encrypted): they name no one.
        messages.info(request, _("The record you opened was linked to this one as a duplicate."))
        return redirect("participants:detail", participant_id=participant.canonical().pk)
    linked_ids = participant.linked_ids()
    # The latest contacts, a page at a time: a regular's years of visits made a
    # long page for a phone, and its rendering most of a busy server's work.
    contacts = Paginator(
        Encounter.objects.filter(participant_id__in=linked_ids)
        .select_related("site", "staff", "participant")
        .prefetch_related("services", "supplies__item")
        .order_by("-occurred_at", "-pk"),
        TIMELINE_PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    encounters = list(contacts)
    notes_shown = 0
    for encounter in encounters:
        encounter.note_visible = bool(encounter.note) and can_read_notes_at(
            request.user, encounter.site_id
        )
        notes_shown += encounter.note_visible
    totals = dict(
        EncounterSupply.objects.filter(encounter__participant_id__in=linked_ids)
        .values_list("item")
        .annotate(total=Sum("quantity"))
        .values_list("item", "total")
    )
    supply_totals = [
        (item, totals[item.pk]) for item in Item.objects.filter(pk__in=totals).order_by("name")
    ]
    access.shown(request, participant, page="participant timeline").detail["notes_shown"] = (
        notes_shown
    )
    duplicates = list(Participant.objects.filter(pk__in=linked_ids - {participant.pk}))
    # A linked duplicate's card code and contacts are on this page too.
    access.shown_each(request, duplicates, page="participant timeline (linked record)")
    context = {
        "participant": participant,
        "encounters": encounters,
        "contacts": contacts,
        # The timeline counts down from the newest contact, across pages.
        "first_number": contacts.paginator.count - contacts.start_index() + 1,
        "supply_totals": supply_totals,
        "duplicates": duplicates,
        "can_merge": request.user.role in MERGE_ROLES,
    }
    return render(request, "participants/detail.html", context)


@role_required(*PARTICIPANT_ROLES)
def kept_timeline(request):
    """A participant's timeline with no signal (participants/offline_timeline.js).

    The service worker keeps this page, which holds no participant data, and
    opens it for a participant's page (/participants/<id>/) asked for with no
    signal; the script shows what the phone keeps of them: their last few
    contacts (/participants/kept) and what waits for them in the outbox.
    """
    contact_types = apps.get_model("outreach", "Encounter").ContactType.choices
    messages_for_the_phone = {
        "contact_types": dict(contact_types),
        "not_sent": _("Not sent yet"),
        "problem": _("Needs your attention"),
        "also_for": _("Also for %(n)s other people"),
    }
    return render(
        request,
        "participants/timeline_offline.html",
        {"offline_messages": messages_for_the_phone},
    )


@role_required(*PARTICIPANT_ROLES)
def card(request, participant_id):
    participant = access.get_participant_for_user(request, participant_id, page="printable card")
    qr = segno.make(participant.card_code, error="m")
    context = {
        "participant": participant,
        "qr_svg": qr.svg_inline(scale=6, title=participant.display_code),
    }
    return render(request, "participants/card.html", context)


@role_required(*MERGE_ROLES)
def merge(request):
    form = MergeForm(request.POST if request.method == "POST" else None, user=request.user)
    if request.method == "POST" and form.is_valid():
        duplicate = form.cleaned_data["duplicate_code"]
        keeper = form.cleaned_data["keeper_code"]
        access.require_in_scope(request.user, duplicate)
        access.require_in_scope(request.user, keeper)
        if "confirm" in request.POST:
            try:
                with transaction.atomic():
                    keeper = do_merge_participants(
                        duplicate=duplicate, keeper=keeper, by=request.user
                    )
            except ValidationError as error:
                add_action_errors(form, error)
            else:
                messages.success(
                    request, _("The two records are now linked; both histories are kept.")
                )
                return redirect("participants:detail", participant_id=keeper.pk)
        else:
            access.shown_each(request, (duplicate, keeper), page="merge preview")
            return render(
                request,
                "participants/merge.html",
                {
                    "form": form,
                    "preview": True,
                    "duplicate": duplicate,
                    "keeper": keeper,
                    "summaries": _merge_summaries(duplicate, keeper),
                },
            )
    return render(
        request, "participants/merge.html", {"form": form}, status=400 if form.errors else 200
    )


def _merge_summaries(*participants):
    from haven.outreach.models import Encounter

    counts = defaultdict(int)
    for participant_id in Encounter.objects.filter(participant__in=participants).values_list(
        "participant_id", flat=True
    ):
        counts[participant_id] += 1
    return [(p, counts[p.pk]) for p in participants]
