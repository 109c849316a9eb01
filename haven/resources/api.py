"""Resource directory and referral endpoints.

The directory answers in full (for the phone's offline copy) or in pages, and
`updated_since` returns only what changed, including entries taken out of the
directory (`"active": false`), so that a phone can keep its copy current.

A referral carries a client UUID made on the phone, like a contact: sending it
again returns the stored referral with the same status (201), and the same
UUID with different details is refused with 409. The rules are those of the
referral screens: the same form checks and the same actions.
"""

from datetime import date, datetime
from urllib.parse import urlencode
from uuid import UUID

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import IntegrityError
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from haven.api.schemas import (
    EARLIEST,
    LATEST,
    ApiError,
    ErrorOut,
    Id,
    Moment,
    PathId,
    StrictSchema,
    Text,
    YesNo,
)
from haven.consents.actions import ConsentMissing
from haven.consents.models import Disclosure
from haven.consents.rules import PART2_NOTICE
from haven.core import access
from haven.participants.api import (
    ENROLMENT_MADE_FOR,
    ParticipantOut,
    participant_by_card_code,
    participant_out,
)
from haven.participants.models import Participant

from . import hours
from .actions import ReferralUpdateConflict, do_make_referral, do_update_referral_status
from .forms import ReferralForm
from .models import Language, Need, Payment, Referral, Resource
from .views import FOLLOW_UPS_SHOWN, follow_up_scope, open_follow_ups

router = Router(tags=["resources"])

MAX_PAGE = 1000


class Choice(Schema):
    code: str
    name: str


class SpanOut(Schema):
    weekday: int = Field(description="0 is Monday")
    opens: str
    closes: str = Field(description="At or before `opens`: closes the next day")


class ResourceOut(Schema):
    id: int
    name: str
    organisation: str
    needs: list[Choice]
    address: str
    city: str
    zip_code: str
    latitude: float | None
    longitude: float | None
    phone: str
    website: str
    hours_summary: str
    hours: list[SpanOut]
    languages: list[Choice]
    payments: list[Choice] = Field(description="Ways to pay the entry is known to accept")
    walk_in: bool | None
    same_day: bool | None
    requirements: str
    public: bool = Field(description="false: a staff-only entry, not in the public finder")
    active: bool = Field(description="false: taken out of the directory; drop it")
    last_verified_on: date | None
    updated_at: str


class ResourcePage(Schema):
    resources: list[ResourceOut]
    next: str | None = Field(description="The next page, or null on the last one")


def _choices(codes, labels):
    return [{"code": code, "name": str(labels[code])} for code in codes if code in labels]


def resource_out(resource, labels):
    spans = sorted(resource.weekly_spans(), key=lambda span: (span.weekday, span.opens))
    needs = sorted(resource.need_codes(), key=Need.values.index)
    return {
        "id": resource.pk,
        "name": resource.name,
        "organisation": resource.organisation,
        "needs": _choices(needs, labels["needs"]),
        "address": resource.address,
        "city": resource.city,
        "zip_code": resource.zip_code,
        "latitude": resource.latitude,
        "longitude": resource.longitude,
        "phone": resource.phone,
        "website": resource.website,
        "hours_summary": "; ".join(hours.describe_span(span) for span in spans),
        "hours": [
            {"weekday": s.weekday, "opens": f"{s.opens:%H:%M}", "closes": f"{s.closes:%H:%M}"}
            for s in spans
        ],
        "languages": _choices(
            sorted(resource.language_codes(), key=Language.values.index), labels["languages"]
        ),
        "payments": _choices(
            [payment.value for payment, known in resource.payments().items() if known],
            labels["payments"],
        ),
        "walk_in": resource.walk_in,
        "same_day": resource.same_day,
        "requirements": resource.requirements,
        "public": resource.public,
        "active": resource.active,
        "last_verified_on": resource.last_verified_on,
        "updated_at": resource.updated_at.isoformat(),
    }


def _cursor(resource):
    return f"{resource.updated_at.isoformat()}_{resource.pk}"


def _after_cursor(text):
    """The (updated_at, id) a cursor names, or ApiError if it is not one we gave."""
    moment_text, _sep, pk_text = text.rpartition("_")
    try:
        moment, pk = datetime.fromisoformat(moment_text), int(pk_text)
    except ValueError:
        moment = pk = None
    if moment is None or moment.tzinfo is None or not EARLIEST <= moment <= LATEST or pk < 1:
        raise ApiError.one(
            400, _("This cursor is not one Haven gave; start again without it."), "cursor"
        )
    return moment, pk


@router.get("/resources", response={200: ResourcePage, 400: ErrorOut})
def resources(
    request,
    updated_since: Moment | None = None,
    cursor: Text(80) | None = None,
    limit: int | None = Query(None, ge=1, le=MAX_PAGE),
):
    """The resource directory for offline use: public and staff-only entries.

    With no parameters, every active entry (what the phone keeps). With
    `updated_since`, only entries changed since then, removed ones too (active
    false). With `limit`, pages: follow `next` until it is null.
    """
    entries = Resource.objects.prefetch_related("offerings", "languages", "opening_hours")
    if updated_since is None:
        entries = entries.filter(active=True)
    else:
        entries = entries.filter(updated_at__gte=updated_since)
    if cursor:
        moment, pk = _after_cursor(cursor)
        entries = entries.filter(Q(updated_at__gt=moment) | Q(updated_at=moment, pk__gt=pk))
    entries = entries.order_by("updated_at", "pk")
    page = list(entries[: limit + 1] if limit else entries)
    next_url = None
    if limit and len(page) > limit:
        page = page[:limit]
        query = {"limit": limit, "cursor": _cursor(page[-1])}
        if updated_since is not None:
            query["updated_since"] = updated_since.isoformat()
        next_url = f"{request.path}?{urlencode(query)}"
    labels = {
        "needs": dict(Need.choices),
        "languages": dict(Language.choices),
        "payments": dict(Payment.choices),
    }
    return Status(200, {"resources": [resource_out(r, labels) for r in page], "next": next_url})


# Referrals ---------------------------------------------------------------------


class ReferralIn(StrictSchema):
    """A referral. Give `participant` (an id) or `card_code`, never both."""

    client_uuid: UUID
    participant: Id | None = None
    card_code: Text(40) | None = None
    enrolment: UUID | None = Field(None, description=ENROLMENT_MADE_FOR)
    resource: Id
    need: Text(30)
    site: Id
    follow_up_on: date | None = Field(None, description="Empty: a week from today")
    note: Text(100_000) = ""
    share_details: YesNo = Field(
        False,
        description="Share the participant's details with the provider: needs their "
        "sharing consent in force, and is logged as a disclosure",
    )


class ReferralStatusIn(StrictSchema):
    client_uuid: UUID | None = Field(
        None, description="Made on the phone: the same change sent again is recorded once"
    )
    status: Text(20) = Field(description="made, contacted, linked, declined or lost")
    follow_up_on: date | None = Field(None, description="The next follow-up, if still open")
    at: Moment | None = Field(None, description="When it changed; empty: now")
    note: Text(100_000) = ""


class ResourceRef(Schema):
    id: int
    name: str


class ReferralOut(Schema):
    id: int
    client_uuid: UUID
    participant: ParticipantOut
    resource: ResourceRef
    need: str
    site: int
    status: str
    made_at: str
    follow_up_on: date | None
    overdue: bool
    # Set when the participant sent had been linked to another record.
    notice: str | None = None
    # In Part 2 mode, the notice of 42 CFR 2.32 to give with shared details.
    part2_notice: str | None = None


def referral_out(referral, notice=None):
    return {
        "id": referral.pk,
        "client_uuid": referral.client_uuid,
        "participant": participant_out(referral.participant),
        "resource": {"id": referral.resource_id, "name": referral.resource.name},
        "need": referral.need,
        "site": referral.site_id,
        "status": referral.status,
        "made_at": referral.made_at.isoformat(),
        "follow_up_on": referral.follow_up_on,
        "overdue": referral.is_overdue(),
        "notice": notice,
    }


def _participant(user, body):
    if body.participant is not None and body.card_code:
        raise ApiError.one(400, _("Give a participant or a card code, not both."), "card_code")
    if body.card_code:
        return participant_by_card_code(body.card_code, user=user, made_for=body.enrolment)[0]
    if body.participant is None:
        raise ApiError.one(400, _("Give a participant or a card code."), "participant")
    # One out of the user's record scope is answered as an id nobody has.
    participant = access.openable(user, Participant.objects.filter(pk=body.participant)).first()
    if participant is None:
        raise ApiError.one(400, _("No participant has this id."), "participant")
    return participant


def _form_errors(form):
    return ApiError(
        400,
        [
            (None if name == NON_FIELD_ERRORS else name, message)
            for name, messages in form.errors.items()
            for message in messages
        ],
    )


def _same_referral(stored, body, participant, user):
    """Whether `stored` is what `body` describes. The follow-up date is left out:
    it moves on as the referral is followed up."""
    return (
        stored.made_by_id == user.pk
        and stored.participant_id == participant.canonical().pk
        and (stored.resource_id, stored.need, stored.site_id, stored.note)
        == (body.resource, body.need, body.site, body.note)
    )


def store_referral(user, body, lookups=None):
    """Make a referral; returns (201, referral, notice). Raises ApiError."""
    participant = _participant(user, body)
    stored = Referral.objects.filter(client_uuid=body.client_uuid).first()
    if stored is None:
        resource = Resource.objects.filter(pk=body.resource).first()
        if resource is None:
            raise ApiError.one(400, _("No resource has this id."), "resource")
        form = ReferralForm(
            {
                "need": body.need,
                "site": body.site,
                "follow_up_on": body.follow_up_on.isoformat() if body.follow_up_on else "",
                "note": body.note,
            },
            user=user,
            resource=resource,
        )
        if not form.is_valid():
            raise _form_errors(form)
        try:
            stored = do_make_referral(
                participant=participant,
                resource=resource,
                need=form.cleaned_data["need"],
                by=user,
                site=form.cleaned_data["site"],
                note=body.note,
                follow_up_on=form.cleaned_data["follow_up_on"],
                client_uuid=body.client_uuid,
                share_details=body.share_details,
            )
        except ConsentMissing as error:
            person = participant.canonical().pk
            where = {
                "endpoint": reverse("api:consents", kwargs={"participant_id": person}),
                "page": reverse("consents:participant", args=[person]),
            }
            raise ApiError.one(
                400,
                " ".join(error.messages)
                + " "
                + _("Record it with POST %(endpoint)s, or on %(page)s.") % where,
                "share_details",
            ) from error
        except ValidationError as error:
            raise ApiError.from_validation(error) from error
        except IntegrityError:
            # The same referral sent twice at once; the other copy was stored.
            stored = Referral.objects.filter(client_uuid=body.client_uuid).first()
            if stored is None:
                raise
    if not _same_referral(stored, body, participant, user):
        raise ApiError.already_saved(body.client_uuid)
    notice = None
    if participant.pk != stored.participant_id:
        notice = _(
            "%(sent)s is linked to %(kept)s; the referral was saved with the kept record."
        ) % {"sent": participant.display_code, "kept": stored.participant.display_code}
    return 201, stored, notice


def _loaded(referral):
    return Referral.objects.select_related("participant", "resource").get(pk=referral.pk)


@router.post("/referrals", response={201: ReferralOut, 400: ErrorOut, 409: ErrorOut})
def create_referral(request, body: ReferralIn):
    """Refer a participant to a resource for a need. Idempotent by client_uuid."""
    status, referral, notice = store_referral(request.auth, body)
    referral = _loaded(referral)
    access.shown(request, referral.participant, referral, page="API referral made")
    result = referral_out(referral, notice)
    if Disclosure.objects.filter(referral=referral, part2_notice=True).exists():
        result["part2_notice"] = str(PART2_NOTICE)
    return Status(status, result)


@router.get("/referrals/follow-ups", response=list[ReferralOut])
def follow_ups(request):
    """Open referrals to follow up, soonest first, as on the follow-up list (no notes)."""
    scope = (
        follow_up_scope(request.auth).select_related(None).select_related("participant", "resource")
    )
    referrals = list(open_follow_ups(scope)[:FOLLOW_UPS_SHOWN])
    access.shown_each(request, [r.participant for r in referrals], page="API referral follow-ups")
    return [referral_out(referral) for referral in referrals]


@router.post(
    "/referrals/{referral_id}/status",
    response={200: ReferralOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
)
def update_referral_status(request, referral_id: PathId, body: ReferralStatusIn):
    """Move a referral on (contacted, linked, declined, lost), as on the referral page.

    Only its maker and the staff of its site may.
    """
    referral = access.get_referral_for_user(request, referral_id, page="API referral status")
    return Status(200, referral_out(_loaded(_update_status(referral, request.auth, body))))


def _update_status(referral, user, body):
    try:
        return do_update_referral_status(
            referral,
            status=body.status,
            by=user,
            note=body.note,
            follow_up_on=body.follow_up_on,
            at=body.at,
            client_uuid=body.client_uuid,
        )
    except ValidationError as error:
        raise ApiError.from_validation(error) from error
    except ReferralUpdateConflict as error:
        raise ApiError.already_saved(error.client_uuid) from error


class ReferralStatusSyncIn(ReferralStatusIn):
    """A status change made offline: which referral, and the change's own UUID."""

    client_uuid: UUID
    referral: Id


def store_referral_status(user, body, lookups=None):
    """A status change from the sync batch; returns (200, referral). Raises ApiError."""
    referral = Referral.objects.filter(pk=body.referral).first()
    if referral is None:
        raise ApiError.one(404, _("No referral has this id."), "referral")
    try:
        return 200, _update_status(referral, user, body)
    except PermissionDenied as error:
        raise ApiError.one(403, _("You may not follow up this referral."), "referral") from error
