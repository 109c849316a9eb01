"""Loading participant records for display: the one way, so that every read is audited.

Every view and API endpoint that shows a participant (card code, alias,
profile), or a record that carries one or a note (a contact, an overdose
report, a referral), loads it with a function of this module. Each one
checks the role and the site, and notes on the request what the response
will show; AuditReadsMiddleware then writes one VIEW entry per participant
(or record) shown, in one insert, once the page is made, and marks the
response Cache-Control: no-store. A redirect or a refusal shows nothing and
writes nothing.

Pages that list several participants (search results, recent participants,
contacts of the day, follow-ups) call shown_each(): one entry per
participant, so that "who saw participant X" is a query on
AuditEntry.participant. A record of no participant that names someone (a
mail request) is noted the same way (shown_records). The pages that show
someone to people outside record scope, the public certificate check, the
audit log, and a training session's attendance list to its trainers, note
their reads with shown_unscoped().
haven/core/tests/test_audit_sweep.py walks every URL as every role and
fails on a page that shows a participant without an entry.

Record scope (HAVEN_RECORD_SCOPE, docs/privacy.md) is the program's choice:
"program", where staff may open any participant, or "site", where staff open
only participants enrolled, seen or referred at one of their sites (managers:
every site). It is enforced here twice: the loader does not find a participant
out of scope (404, as an id nobody has), and shown() refuses to show one, so
that a list page that forgot to filter fails closed instead of leaking
(haven/core/tests/test_site_scope.py walks every URL to prove it).

The models of the apps above core are reached by name (apps.get_model), so
that this module, like the rest of core, imports nothing from them.
"""

from django.apps import apps
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils.cache import add_never_cache_headers

from . import audit
from .models import AuditEntry
from .permissions import MANAGER, PARTICIPANT_ROLES, SUPERVISOR

_READS = "_haven_participant_reads"


def site_scoped(user):
    """Whether this user's reach is limited to the participants of their sites."""
    return settings.HAVEN_RECORD_SCOPE == "site" and user.role != MANAGER


def _of_sites(site_ids):
    """Participants enrolled, seen or referred at these sites (subqueries, not joins)."""
    seen = apps.get_model("outreach", "Encounter").objects.filter(site_id__in=site_ids)
    referred = apps.get_model("resources", "Referral").objects.filter(site_id__in=site_ids)
    return (
        Q(enrolled_site_id__in=site_ids)
        | Q(pk__in=seen.values("participant_id"))
        | Q(pk__in=referred.values("participant_id"))
    )


def openable(user, participants):
    """Filter a queryset of participants to those this user may open, in one statement.

    In site scope: those whose person is known at one of the user's sites,
    through any of their records (the record itself, the record it is linked
    to as a duplicate, or another duplicate linked to that one). Links are
    one step deep (do_merge_participants moves the records linked to a
    duplicate on to its keeper), so a person's records are those with the
    same kept record: merged_into, or else their own id.

    A lookup by card code or id filters its one statement with this, so that
    a code of someone out of scope and a code nobody has are asked the same
    query and answered by the same empty result. Every list of participants
    (the search by alias or UIC, the expiring certificates) is filtered with
    it too, so that a person is found the same way whatever they are found by.
    """
    if not site_scoped(user):
        return participants
    participant_model = apps.get_model("participants", "Participant")
    known_here = participant_model.objects.filter(
        Q(pk=OuterRef("kept_record")) | Q(merged_into_id=OuterRef("kept_record")),
        _of_sites(user.allowed_site_ids()),
    )
    return participants.alias(kept_record=Coalesce("merged_into_id", "pk")).filter(
        Exists(known_here)
    )


def may_open_participant(user, participant):
    """In site scope: the person (any record linked to theirs) is known at one of my sites."""
    if not site_scoped(user):
        return True
    participant_model = apps.get_model("participants", "Participant")
    return openable(user, participant_model.objects.filter(pk=participant.pk)).exists()


def openable_ids(user, participants):
    """The ids of those of `participants` (records) that this user may open, in one query."""
    ids = {participant.pk for participant in participants if participant is not None}
    if not site_scoped(user) or not ids:
        return ids
    participant_model = apps.get_model("participants", "Participant")
    return set(
        openable(user, participant_model.objects.filter(pk__in=ids)).values_list("pk", flat=True)
    )


def require_in_scope(user, participant):
    if participant is not None and not may_open_participant(user, participant):
        raise PermissionDenied


def shown(request, participant=None, record=None, *, page, **detail):
    """Note that this response shows `participant`, or `record` of theirs (or of no one).

    Returns the entry that will be written, so that a view can add to its
    detail (e.g. how many notes it showed). Refuses (PermissionDenied) a
    participant out of the user's record scope.
    """
    if participant is None and record is None:
        return None
    require_in_scope(request.user, participant)
    return _noted(request, participant, record, page=page, **detail)


def shown_unscoped(request, participant=None, record=None, *, page, **detail):
    """Note a read on a page whose reach is not record scope, the same way as shown().

    Two kinds of page show someone to people who are not field staff: the
    public certificate check (anyone with the code: the holder's name) and
    the audit log (admins: card codes). A third shows an attendee of a
    training session to its trainers, whatever their sites (the name given
    for the certificate, never the card code: the session's page and the
    certificates expiring soon, haven/training/views.py).
    Record scope does not decide who may see them, but each one is still a
    read of that person, written like any other: by whom (nobody signed in,
    for a visitor), of whom, on which page.
    """
    if participant is None and record is None:
        return None
    return _noted(request, participant, record, page=page, **detail)


def _noted(request, participant, record, *, page, **detail):
    """The entry for this read, noted once per request, to be written with the response."""
    reads = request.__dict__.setdefault(_READS, {})
    target = record if record is not None else participant
    key = (participant.pk if participant else None, target._meta.label_lower, target.pk)
    if key not in reads:
        reads[key] = audit.unsaved_entry(
            request.user,
            AuditEntry.Action.VIEW,
            target,
            participant=participant,
            request=request,
            page=page,
            **detail,
        )
    return reads[key]


def shown_each(request, participants, *, page):
    """Note each participant a list page shows: one entry each, however often listed."""
    for participant in participants:
        if participant is not None:
            shown(request, participant, page=page)


def shown_records(request, records, *, page):
    """Note each record a list page shows that belongs to no participant (a mail order)."""
    for record in records:
        shown(request, record=record, page=page)


def require_participant_role(user):
    """Analysts and admins never read a participant record."""
    if not user.is_authenticated or user.role not in PARTICIPANT_ROLES:
        raise PermissionDenied


def get_participant_for_user(request, participant_id, *, page, **detail):
    """A participant record, for people who work with participants.

    In program scope participants are the program's, not one site's: a
    person known Downtown who turns up at the Eastside van is found there
    too. In site scope one out of the user's record scope is answered as an
    id nobody has (404). Either way, what belongs to a site (contacts and
    their notes, overdose reports, referrals) is refused to the staff of
    other sites by the loaders below.
    """
    require_participant_role(request.user)
    participant_model = apps.get_model("participants", "Participant")
    # One statement, the record scope in it: in site scope the id of someone
    # out of scope is not found (404), as an id nobody has, where a 403
    # confirmed that the id was someone's at another site. Both ids are asked
    # the same query, so the time of the answer does not tell them apart
    # either. A refusal shows nothing, so it writes no audit entry, as before.
    participant = get_object_or_404(
        openable(request.user, participant_model.objects.all()), pk=participant_id
    )
    # Read through openable(): shown() would only ask its scope again.
    _noted(request, participant, None, page=page, **detail)
    return participant


def may_read_contact(user, encounter):
    """Its maker, and the staff of its site (managers: every site)."""
    return encounter.staff_id == user.pk or encounter.site_id in user.allowed_site_ids()


def may_edit_contact(user, encounter):
    """Its maker, and supervisors and managers of its site."""
    if encounter.staff_id == user.pk:
        return True
    return user.role in (SUPERVISOR, MANAGER) and encounter.site_id in user.allowed_site_ids()


def get_encounter_for_user(request, encounter_id, *, page):
    """A contact (with its participant and note): refuses other sites' contacts."""
    require_participant_role(request.user)
    encounter_model = apps.get_model("outreach", "Encounter")
    encounter = get_object_or_404(
        encounter_model.objects.select_related("participant", "site", "staff"), pk=encounter_id
    )
    if not may_read_contact(request.user, encounter):
        raise PermissionDenied
    shown(request, encounter.participant, encounter, page=page)
    return encounter


def get_overdose_report_for_user(request, report_id, *, page):
    """An overdose report. One made at a contact belongs to the contact's site."""
    require_participant_role(request.user)
    report_model = apps.get_model("overdose", "OverdoseReport")
    report = get_object_or_404(
        report_model.objects.select_related(
            "area", "encounter", "encounter__participant", "recorded_by"
        ),
        pk=report_id,
    )
    encounter = report.encounter
    if encounter is not None and not may_read_contact(request.user, encounter):
        raise PermissionDenied
    shown(request, encounter.participant if encounter else None, report, page=page)
    return report


def may_follow_up(user, referral):
    """Who made it, and staff of the site it was made at (managers: every site)."""
    return referral.made_by_id == user.pk or referral.site_id in user.allowed_site_ids()


def get_referral_for_user(request, referral_id, *, page):
    """A referral (with its participant and notes): its maker and its site's staff."""
    require_participant_role(request.user)
    referral_model = apps.get_model("resources", "Referral")
    referral = get_object_or_404(
        referral_model.objects.select_related("participant", "resource", "site", "made_by"),
        pk=referral_id,
    )
    if not may_follow_up(request.user, referral):
        raise PermissionDenied
    shown(request, referral.participant, referral, page=page)
    return referral


def _showed_something(response):
    """A redirect (htmx's too), a refusal or an error page shows no record."""
    status = response.status_code
    if response.has_header("HX-Redirect"):
        return False
    return not (300 <= status < 400) and status not in (401, 403, 404, 405) and status < 500


class AuditReadsMiddleware:
    """Write the reads a response shows, and keep it out of every cache."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        reads = request.__dict__.pop(_READS, None)
        if reads:
            # A shared computer's back button, a proxy or the browser's disk
            # must not keep a page with a participant on it.
            add_never_cache_headers(response)
            if _showed_something(response):
                AuditEntry.objects.bulk_create(reads.values())
        return response
