import re

from csp.utils import build_policy
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django_htmx.http import HttpResponseClientRedirect

from haven.core import access, already_saved
from haven.core.forms import add_action_errors
from haven.core.permissions import PARTICIPANT_ROLES, role_required
from haven.participants import codes

from .actions import EncounterConflict, do_edit_encounter, do_record_encounter
from .forms import QuickLogForm, initial_from_encounter


@role_required(*PARTICIPANT_ROLES)
def quick_log(request, participant_id=None):
    participant = None
    if participant_id is not None:
        participant = access.get_participant_for_user(
            request, participant_id, page="quick log for a participant"
        )
    if request.method == "POST":
        # The recent participants are offered only when the form is shown
        # again: a saved contact does not read them.
        form = QuickLogForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                encounter, created = do_record_encounter(
                    form.encounter_data(), staff=request.user, participants_current=True
                )
            except ValidationError as error:
                add_action_errors(form, error)
            except EncounterConflict as error:
                form.add_error(None, str(error))
            else:
                if created:
                    messages.success(request, _("Contact saved."))
                else:
                    messages.info(request, _("This contact was already saved."))
                saved = reverse("outreach:saved", kwargs={"encounter_id": encounter.pk})
                if request.htmx:
                    # The page's own post (outbox.js) opens the saved page
                    # itself, so that its message is shown there, not spent.
                    return HttpResponseClientRedirect(saved)
                return redirect(saved)
        status = 400
    else:
        initial = {"participant": participant.pk} if participant else {}
        form = QuickLogForm(user=request.user, initial=initial)
        status = 200
    # The screen the phone keeps (GET /outreach/log/) names nobody: the
    # recent participants are listed on the phone, from what it keeps sealed
    # (quick_log.js). Only a person this page is for is named in it: the one
    # in its address, or the one a refused form was posted for; neither
    # page is kept on the phone.
    chosen = [participant] if participant else []
    posted = getattr(form, "cleaned_data", {}).get("participant")
    if posted is not None and access.may_open_participant(request.user, posted):
        chosen = [posted]
    access.shown_each(request, chosen, page="quick log (chosen participant)")
    form.offer_recent(chosen)
    return render(
        request,
        "outreach/quick_log.html",
        {
            "form": form,
            "participant": participant,
            "offline_messages": offline_messages(),
            "chosen": chosen,
            # A contact with these waiting on the phone offers its naloxone details.
            "naloxone_items": ",".join(str(i.pk) for i in form.items if i.category == "naloxone"),
        },
        status=status,
    )


@role_required(*PARTICIPANT_ROLES)
def saved(request, encounter_id):
    encounter = access.get_encounter_for_user(request, encounter_id, page="contact")
    return render(request, "outreach/saved.html", {"encounter": encounter})


@role_required(*PARTICIPANT_ROLES)
def edit_encounter(request, encounter_id):
    encounter = access.get_encounter_for_user(request, encounter_id, page="contact edit form")
    if not access.may_edit_contact(request.user, encounter):
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
                saved = reverse("outreach:saved", kwargs={"encounter_id": encounter.pk})
                if request.htmx:
                    # The page's own post (outbox.js) opens the saved page
                    # itself, so that its message is shown there, not spent.
                    return HttpResponseClientRedirect(saved)
                return redirect(saved)
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


# The offline field app: pages the service worker keeps for use with no signal.
# Only these are cached; participant records and every other page never are.
# The resource directory page is kept as last seen, and with no signal its
# searches are answered from the kept directory (resources/offline_search.js).
KEPT_SCREENS = (
    ("outreach:quick_log", _lazy("Log a contact")),
    ("participants:find", _lazy("Find a participant")),
    ("participants:enroll", _lazy("Enroll someone new")),
    ("overdose:report_new", _lazy("Report an overdose")),
    ("resources:refer_offline", _lazy("Make a referral")),
    ("overdose:naloxone_offline", _lazy("Naloxone: first kit or refill")),
    ("supplies:my_bag", _lazy("My supplies")),
    ("resources:directory", _lazy("Resources")),
)
OFFLINE_PAGES = tuple(name for name, _label in KEPT_SCREENS)
# The page of one record (its id in the path), opened with no signal, opens
# instead a kept screen that shows what the phone keeps of it; the record's
# own page is never kept.
KEPT_RECORD_SCREENS = (
    ("participants:detail", "participants:kept_timeline"),
    ("training:session", "training:attendance_offline"),
)
# Shown by the service worker for any other page opened with no signal; kept
# in the user's language, and refreshed when they change it (field_app.js).
OFFLINE_FALLBACK = "outreach:offline"
# The resource directory and the areas are answered in full when asked with no
# query string, which is what the service worker keeps. Nothing here names a
# participant: the participants a phone keeps are sealed in IndexedDB instead
# (field_app.js, field_crypto.js), never in the worker's cache.
OFFLINE_API = (
    "sites",
    "items",
    "kits",
    "services",
    "resources",
    "areas",
)
OFFLINE_STATIC = (
    "core/haven.css",
    "outreach/quick_log.js",
    "outreach/outbox.js",
    "outreach/field_crypto.js",
    "outreach/field_app.js",
    "outreach/icon.svg",
    "participants/offline_find.js",
    "participants/offline_enroll.js",
    "participants/offline_timeline.js",
    "training/offline_attendance.js",
    "overdose/offline_report.js",
    "overdose/offline_naloxone.js",
    "resources/offline_refer.js",
    "resources/locate.js",
    "resources/offline_search.js",
    "resources/resources.css",
)


@role_required(*PARTICIPANT_ROLES)
def offline(request):
    """What the phone shows for a page it does not keep, opened with no signal."""
    pages = [(reverse(name), label) for name, label in KEPT_SCREENS]
    return render(request, "outreach/offline.html", {"kept_pages": pages})


def offline_messages():
    """What the outbox script says, translated here since the page has no JS catalog."""
    return {
        "pending": _("Waiting to send: %(n)s"),
        "nothing_pending": _("Everything is sent."),
        "stored": _("Saved on this phone. It will be sent when there is signal."),
        "offline_preparing": _("Getting this phone ready to work without signal…"),
        "offline_ready": _("This phone is ready to work without signal."),
        "offline_incomplete": _(
            "Not everything is kept on this phone yet: open this screen again with "
            "signal before you go where there is none."
        ),
        "offline_unavailable": _(
            "This browser cannot keep Haven's screens for use without signal "
            "(it needs an https address and a window that is not private)."
        ),
        "sent": _("Sent: %(n)s"),
        "offline": _("No signal: contacts wait on this phone and are sent later."),
        "log_in_again": _("Log in again to send the waiting contacts."),
        "server_error": _("Haven could not be reached; trying again shortly."),
        "problem": _("Needs your attention"),
        "locked": _("Locked on this phone: sign in again here to send it."),
        "edit": _("Edit and retry"),
        "naloxone_details": _("Naloxone details"),
        "discard": _("Discard"),
        "confirm_discard": _("Discard this record? It has not been saved in Haven."),
        "editing": _("Editing a contact that was not saved: fix it and save again."),
        "anonymous": _("Anonymous, %(n)s"),
        "other_user": _("%(n)s contacts on this phone belong to another user."),
        "choose_who": _(
            "Enter a card code, pick a recent participant, or tick “Anonymous contact”."
        ),
        "people_needed": _("Enter how many people (at least 1)."),
        # A record Haven holds already with other details (a 409 on its client
        # UUID): what it was, by kind, with when it was made, then what to do.
        "already_saved": str(already_saved.MESSAGE),
        "confirm_discard_copy": _("Discard this copy? The record saved in Haven stays as it is."),
        # Discarding an enrolment with records made for its person (outbox.js askAboutHeld).
        "discard_held": _(
            "Records made for this person, waiting on this phone: %(n)s. Discard them too, "
            "or keep them and choose who each is for? They are never sent under this card code."
        ),
        "discard_held_too": _("Discard them too"),
        "keep_held": _("Keep them to choose who they are for"),
        "cancel": _("Cancel"),
        "confirm_discard_details": _("Its naloxone details, waiting on this phone, go with it."),
        "details_orphaned": _(
            "The contact these naloxone details were for was discarded on this phone: "
            "discard them too."
        ),
        # What a record held back behind another waits for (outbox.js whatItWaitsFor).
        "waits_for": {
            "contact": _("Waits for its contact"),
            "enrolment": _("Waits for the enrolment of %(code)s"),
        },
        "made": {
            "contact": _("Contact logged %(time)s"),
            "enrolment": _("Enrolment made %(time)s"),
            "overdose_report": _("Overdose report made %(time)s"),
            "naloxone_details": _("Naloxone details added %(time)s"),
            "referral": _("Referral made %(time)s"),
            "referral_status": _("Referral follow-up recorded %(time)s"),
            "training_attendee": _("Attendee listed %(time)s"),
            "stock_receive": _("Stock receipt made %(time)s"),
            "stock_transfer": _("Stock transfer made %(time)s"),
            "other": _("Record made %(time)s"),
        },
        **codes.messages_for_the_phone(),
        # Where a refused record of each other kind is fixed (field_app.js, editInItsScreen).
        "edit_screens": {
            "enrolment": reverse("participants:enroll"),
            "overdose_report": reverse("overdose:report_new"),
            "referral": reverse("resources:refer_offline"),
            "naloxone_details": reverse("overdose:naloxone_offline"),
            "training_attendee": reverse("training:session", args=[0]),
        },
    }


def _path_pattern(url_name):
    """A JavaScript regular expression for the paths of a URL that takes one id."""
    return "^" + re.escape(reverse(url_name, args=[0])).replace("/0/", r"/\d+/") + "$"


def service_worker(request):
    """The service worker, served from the site root so that it may cover every page."""
    context = {
        "cache_name": f"haven-{settings.VERSION}",
        "pages": [
            reverse(name)
            for name in (*OFFLINE_PAGES, *(screen for _r, screen in KEPT_RECORD_SCREENS))
        ]
        + [reverse(OFFLINE_FALLBACK)],
        "record_screens": [
            (_path_pattern(record), reverse(screen)) for record, screen in KEPT_RECORD_SCREENS
        ],
        "offline_page": reverse(OFFLINE_FALLBACK),
        "api": [f"/api/v1/{path}" for path in OFFLINE_API],
        "static": [static(path) for path in OFFLINE_STATIC],
        "quick_log": reverse("outreach:quick_log"),
        "stylesheet": static("core/haven.css"),
        "policy": build_policy(),
        "language": get_language(),
        "no_signal": _("No signal"),
        "not_kept": _(
            "This page is not kept on the phone. Contacts can still be logged and are sent later."
        ),
        "log_a_contact": _("Log a contact"),
    }
    response = render(
        request, "outreach/sw.js", context, content_type="text/javascript; charset=utf-8"
    )
    response["Cache-Control"] = "no-cache"
    response["Service-Worker-Allowed"] = "/"
    return response


def manifest(request):
    """The web app manifest: Haven opens on the quick-log screen, like an app."""
    data = {
        "name": "Haven",
        "short_name": "Haven",
        "description": _("Log contacts in the field, with or without signal."),
        "start_url": reverse("outreach:quick_log"),
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#1b1f24",
        "icons": [
            {
                "src": static("outreach/icon.svg"),
                "sizes": "any",
                "type": "image/svg+xml",
                "purpose": "any",
            },
            *(
                {"src": static(f"core/icons/{name}.png"), "sizes": size, "type": "image/png"}
                for name, size in [("icon-192", "192x192"), ("icon-512", "512x512")]
            ),
            {
                "src": static("core/icons/icon-maskable-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
    }
    response = JsonResponse(data, content_type="application/manifest+json")
    response["Cache-Control"] = "no-cache"
    return response
