"""Every change to a mail request goes through these functions, one transaction each."""

import datetime
import uuid
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from haven.core import audit
from haven.core.models import AuditEntry
from haven.outreach.models import Encounter, EncounterSupply
from haven.overdose.actions import OverdoseReportData, do_record_overdose_report
from haven.overdose.models import Area, OverdoseReport
from haven.reports import summaries
from haven.supplies.actions import (
    do_remove_stock,
    draw_for_encounter,
    drawn_for,
    lock_locations,
    return_for_encounter,
)
from haven.supplies.models import StockLocation, StockMovement

from . import addresses
from .models import MailOffer, MailRequest, MailRequestLine, MailReversal

Status = MailRequest.Status
# The area of a reversal reported from a ZIP the program has no area for.
UNKNOWN_AREA_CODE = "reported-by-mail"


class WrongStatus(ValidationError):
    pass


# ------------------------------------------------------------ public forms


@dataclass
class RequestData:
    form_token: str
    label_name: str
    line1: str
    city: str
    state: str
    zip_code: str
    quantities: dict  # Item -> how many
    line2: str = ""
    contact_email: str = ""
    contact_phone: str = ""
    witnessed_overdose: bool | None = None
    language: str = "en"
    extra: dict = field(default_factory=dict)


def validate_request(data):
    errors = {}
    if not data.label_name.strip():
        errors["label_name"] = _("Enter a name for the label. Any name is fine.")
    if not data.line1.strip():
        errors["line1"] = _("Enter the street address or PO box.")
    if not data.city.strip():
        errors["city"] = _("Enter the city.")
    zip_code = addresses.zip5(data.zip_code)
    if not addresses.STATE.match(data.state or ""):
        errors["state"] = _("Enter the state as two letters, for example AZ.")
    if zip_code is None:
        errors["zip_code"] = _("Enter a ZIP code of 5 digits, for example 85281.")
    if not errors and not addresses.in_service_area(data.state, zip_code):
        errors["zip_code"] = _(
            "Sorry, we can only mail to addresses in our service area (%(area)s)."
        ) % {"area": ", ".join(settings.MAIL_STATES)}
    offers = {offer.item_id: offer for offer in MailOffer.objects.filter(active=True)}
    wanted = {item: qty for item, qty in data.quantities.items() if qty}
    quantity_errors = []
    for item, quantity in wanted.items():
        offer = offers.get(item.pk)
        if offer is None:
            quantity_errors.append(_("%(item)s is not offered by mail.") % {"item": item})
        elif not 1 <= quantity <= offer.most_per_request:
            quantity_errors.append(
                _("%(item)s: choose from 1 to %(most)s.")
                % {
                    "item": item.localised_name(translation.get_language()),
                    "most": offer.most_per_request,
                }
            )
    if quantity_errors:
        errors["quantities"] = quantity_errors
    elif not wanted:
        errors["quantities"] = _("Choose at least one thing to receive.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def do_submit_request(data, now=None):
    """Store a public request once (by its form token). Returns the request.

    A request from an address that asked within settings.MAIL_REPEAT_DAYS is
    stored declined, without its name, address or contact, and the visitor sees
    the same page as anyone else: the form never tells whether an address was
    seen before.
    """
    existing = MailRequest.objects.filter(form_token=data.form_token).first()
    if existing is not None:
        return existing
    validate_request(data)
    now = now or timezone.now()
    requester = addresses.requester_hash(
        data.line1, data.line2, data.city, data.state, data.zip_code
    )
    earlier = MailRequest.objects.filter(requester_hash=requester).exclude(status=Status.DECLINED)
    repeat = earlier.filter(
        created_at__gt=now - datetime.timedelta(days=settings.MAIL_REPEAT_DAYS)
    ).exists()
    address = "\n".join(
        part.strip()
        for part in (
            data.line1,
            data.line2,
            f"{data.city.strip()} {data.state.upper()} {addresses.zip5(data.zip_code)}",
        )
        if part.strip()
    )
    kept = {
        "label_name": data.label_name.strip(),
        "address": address,
        "contact_email": data.contact_email.strip(),
        "contact_phone": data.contact_phone.strip(),
    }
    if repeat:
        # Declined at once, and nothing of the address is kept: there is nothing to mail.
        kept = {
            "status": Status.DECLINED,
            "decided_at": now,
            "finished_at": now,
            "address_purged_at": now,
            "decline_reason": _("Asked again within %(days)s days.")
            % {"days": settings.MAIL_REPEAT_DAYS},
        }
    try:
        with transaction.atomic():
            request = MailRequest.objects.create(
                form_token=data.form_token,
                state=data.state.upper(),
                zip_code=addresses.zip5(data.zip_code),
                requester_hash=requester,
                first_request=not earlier.exists(),
                witnessed_overdose=data.witnessed_overdose,
                language=data.language,
                discreet=settings.MAIL_DISCREET,
                **kept,
            )
    except IntegrityError:
        # The same form posted twice at once: the other post stored it.
        return MailRequest.objects.get(form_token=data.form_token)
    MailRequestLine.objects.bulk_create(
        MailRequestLine(request=request, item=item, quantity=quantity)
        for item, quantity in data.quantities.items()
        if quantity
    )
    audit.record(None, AuditEntry.Action.CREATE, request, page="public mail request")
    return request


@dataclass
class ReversalData:
    form_token: str
    city: str
    state: str
    zip_code: str
    occurred_on: datetime.date
    product: str
    doses: int
    emergency_services_called: bool | None
    outcome: str = OverdoseReport.Outcome.UNKNOWN


def validate_reversal(data):
    errors = {}
    if not data.city.strip():
        errors["city"] = _("Enter the city.")
    if not addresses.STATE.match(data.state or ""):
        errors["state"] = _("Enter the state as two letters, for example AZ.")
    if addresses.zip5(data.zip_code) is None:
        errors["zip_code"] = _("Enter a ZIP code of 5 digits, for example 85281.")
    if data.occurred_on is None or data.occurred_on > timezone.localdate():
        errors["occurred_on"] = _("Enter the date it happened; it cannot be in the future.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def do_file_reversal(data):
    """File an overdose report from the public reversal form, once per form. Returns it."""
    existing = MailReversal.objects.filter(form_token=data.form_token).first()
    if existing is not None:
        return existing
    validate_reversal(data)
    zip_code = addresses.zip5(data.zip_code)
    area = Area.objects.filter(kind=Area.Kind.ZIP, code=zip_code, active=True).first()
    if area is None:
        area, _created = Area.objects.get_or_create(
            code=UNKNOWN_AREA_CODE,
            defaults={"name": "Reported by mail, area not known", "kind": Area.Kind.ZIP},
        )
    # Noon local time: the form asks for a day, not an hour.
    occurred_at = timezone.make_aware(
        datetime.datetime.combine(data.occurred_on, datetime.time(12))
    )
    report, _created = do_record_overdose_report(
        OverdoseReportData(
            client_uuid=uuid.uuid4(),
            occurred_at=min(occurred_at, timezone.now()),
            area=area,
            reported_by=OverdoseReport.Reporter.ANONYMOUS,
            outcome=data.outcome,
            naloxone_doses=data.doses,
            emergency_services_called=data.emergency_services_called,
            note=_("Reported by mail form. City: %(city)s %(state)s %(zip)s. Product: %(product)s.")
            % {
                "city": data.city.strip(),
                "state": data.state.upper(),
                "zip": zip_code,
                "product": data.product,
            },
        ),
        by=None,
    )
    return MailReversal.objects.create(report=report, form_token=data.form_token)


# ------------------------------------------------------------ the catalog

OFFER_FIELDS = ("item", "most_per_request", "active", "sort_order")


@transaction.atomic
def do_save_offer(offer, *, item, most_per_request, active, sort_order, by):
    """Create or change what the program offers by mail; audited with what changed.

    An offer is never deleted (past requests name its item): it is switched off.
    """
    errors = {}
    if most_per_request < 1:
        errors["most_per_request"] = _("Offer at least 1 per request.")
    clash = MailOffer.objects.filter(item=item).exclude(pk=offer.pk)
    if clash.exists():
        errors["item"] = _("%(item)s is already offered by mail: change that offer instead.") % {
            "item": item
        }
    if errors:
        raise ValidationError(errors)
    created = offer.pk is None
    before = {name: _plain(getattr(offer, name, None)) for name in OFFER_FIELDS}
    offer.item, offer.most_per_request = item, most_per_request
    offer.active, offer.sort_order = active, sort_order
    offer.save()
    after = {name: _plain(getattr(offer, name)) for name in OFFER_FIELDS}
    changed = {
        name: [before[name], after[name]] for name in OFFER_FIELDS if before[name] != after[name]
    }
    audit.record(
        by,
        AuditEntry.Action.CREATE if created else AuditEntry.Action.UPDATE,
        offer,
        page="mail catalog",
        changed=changed,
    )
    return offer


def _plain(value):
    """A value as the audit entry keeps it: an item by its id."""
    return getattr(value, "pk", value)


# ------------------------------------------------------------ staff


def _require(request, *statuses):
    if request.status not in statuses:
        raise WrongStatus(
            _("%(number)s is %(status)s; this cannot be done now.")
            % {"number": request.number, "status": request.get_status_display()}
        )


def _locked(request):
    return MailRequest.objects.select_for_update().get(pk=request.pk)


def _changed(by, request, **detail):
    audit.record(by, AuditEntry.Action.UPDATE, request, status=request.status, **detail)


@transaction.atomic
def do_approve_request(request, *, by):
    request = _locked(request)
    _require(request, Status.REQUESTED)
    request.status = Status.APPROVED
    request.decided_at, request.decided_by = timezone.now(), by
    request.save(update_fields=["status", "decided_at", "decided_by"])
    _changed(by, request)
    return request


@transaction.atomic
def do_decline_request(request, *, by, reason):
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the request is declined.")})
    request = _locked(request)
    _require(request, Status.REQUESTED, Status.APPROVED)
    now = timezone.now()
    request.status = Status.DECLINED
    request.decided_at, request.decided_by, request.finished_at = now, by, now
    request.decline_reason = reason.strip()[:300]
    request.save(
        update_fields=["status", "decided_at", "decided_by", "finished_at", "decline_reason"]
    )
    _changed(by, request)
    _tell_requester(
        request,
        gettext_noop("Your request %(number)s could not be sent: %(reason)s"),
        reason=request.decline_reason,
    )
    return request


def mail_stock_location():
    location = StockLocation.objects.filter(name=settings.MAIL_STOCK_LOCATION, active=True).first()
    if location is None or location.site_id is None:
        raise ValidationError(
            _("Set up the stock location “%(name)s”, at the mail site, to pack from.")
            % {"name": settings.MAIL_STOCK_LOCATION}
        )
    return location


@transaction.atomic
def do_pack_request(request, *, by):
    """Draw the request's supplies from the mail stock location: all of them, or none.

    The kits go out through the ledger like any hand-out: an anonymous mail
    contact at the mail site, with the supplies drawn first expiry first out.
    """
    request = _locked(request)
    _require(request, Status.APPROVED)
    location = mail_stock_location()
    supplies = {line.item: line.quantity for line in request.lines.select_related("item")}
    now = timezone.now()
    encounter = Encounter(
        occurred_at=now,
        site=location.site,
        staff=by,
        anonymous_people=1,
        contact_type=Encounter.ContactType.MAIL,
        submission_fingerprint=f"mail:{request.pk}",
    )
    # A shortfall raises NotEnoughStock inside this transaction: nothing is kept.
    encounter.save()
    draw_for_encounter(encounter, supplies, location=location, by=by)
    EncounterSupply.objects.bulk_create(
        EncounterSupply(encounter=encounter, item=item, quantity=quantity)
        for item, quantity in supplies.items()
    )
    summaries.contacts_added([(encounter, supplies, [])])
    request.status, request.packed_at, request.encounter = Status.PACKED, now, encounter
    request.save(update_fields=["status", "packed_at", "encounter"])
    audit.record(by, AuditEntry.Action.CREATE, encounter)
    _changed(by, request)
    return request


@transaction.atomic
def do_ship_request(request, *, by, tracking_number):
    tracking_number = tracking_number.strip()
    if not tracking_number:
        raise ValidationError({"tracking_number": _("Enter the tracking number.")})
    request = _locked(request)
    _require(request, Status.PACKED)
    request.status, request.shipped_at = Status.SHIPPED, timezone.now()
    request.tracking_number = tracking_number[:60]
    request.save(update_fields=["status", "shipped_at", "tracking_number"])
    _changed(by, request)
    _tell_requester(
        request,
        gettext_noop("Your package %(number)s is on its way. Tracking number: %(tracking)s"),
        tracking=request.tracking_number,
    )
    return request


@transaction.atomic
def do_finish_request(request, *, by, status, returned_kits=""):
    """Mark a shipped package delivered or returned; its address is purged later.

    A returned package's kits never reached the requester, so its hand-out
    is undone: the packing's ledger movements are reversed (the same lots
    come back into the mail stock location) and the mail contact no longer
    counts them as handed out. Kits that can be used again stay there
    (`returned_kits` RESTOCKED); those of a package that came back opened
    are then disposed of from the same lots (LOST), so they leave the stock
    as lost, not as handed out. The status change, taken under a row lock,
    and the one-to-one link of a reversal to what it reverses make this
    happen once.
    """
    ReturnedKits = MailRequest.ReturnedKits
    if status not in (Status.DELIVERED, Status.RETURNED):
        raise ValidationError({"status": _("Choose delivered or returned.")})
    if status == Status.RETURNED and returned_kits not in ReturnedKits.values:
        raise ValidationError(
            {"returned_kits": _("Say whether the kits go back into stock or were lost.")}
        )
    request = _locked(request)
    _require(request, Status.SHIPPED)
    request.status, request.finished_at = status, timezone.now()
    if status == Status.RETURNED:
        request.returned_kits = returned_kits
        _take_back_kits(request, by=by, lost=returned_kits == ReturnedKits.LOST)
    request.save(update_fields=["status", "finished_at", "returned_kits"])
    _changed(by, request, returned_kits=request.returned_kits)
    return request


def _take_back_kits(request, *, by, lost):
    encounter = Encounter.objects.select_for_update().get(pk=request.encounter_id)
    drawn = drawn_for(encounter)
    lock_locations([movement.location_id for movement in drawn])
    counted_before = summaries.contribution_of(encounter)
    return_for_encounter(
        encounter,
        by=by,
        reason=_("Returned by mail: %(number)s") % {"number": request.number},
        movements=drawn,
    )
    encounter.supplies.all().delete()
    summaries.contact_changed(counted_before, encounter)
    if lost:
        for movement in drawn:
            do_remove_stock(
                location=movement.location,
                lot=movement.lot,
                quantity=-movement.quantity,
                kind=StockMovement.Kind.DISPOSE,
                reason=_("Returned opened by mail: %(number)s") % {"number": request.number},
                by=by,
            )


def _tell_requester(request, message, **values):
    """A short note by email, in the requester's language, if they gave an email.

    `message` is untranslated (gettext_noop), so that it is translated here.
    """
    if not request.contact_email:
        return
    with translation.override(request.language):
        body = _(message) % {"number": request.number, **values}
        subject = _("Your mail request")
    # After the commit: a failed email never undoes the change.
    transaction.on_commit(
        lambda: send_mail(
            subject,
            body,
            settings.DEFAULT_FROM_EMAIL,
            [request.contact_email],
            fail_silently=True,
        )
    )


def do_purge_addresses(now=None):
    """Remove the name, address, contact, typed reason and tracking number of requests
    whose time is up.

    Due are requests delivered, returned or declined MAIL_PURGE_DAYS ago, and
    packages shipped MAIL_SHIPPED_PURGE_DAYS ago that nobody marked delivered
    or returned (a package that arrived is often never marked; its address
    must not stay for ever). The request keeps its state, ZIP, lines and
    statuses, so it can still be marked delivered or returned and counted.
    Each purge is audited with its reason. Returns how many requests were purged.
    """
    now = now or timezone.now()
    finished = Q(finished_at__lte=now - datetime.timedelta(days=settings.MAIL_PURGE_DAYS))
    shipped_long_ago = Q(
        status=Status.SHIPPED,
        shipped_at__lte=now - datetime.timedelta(days=settings.MAIL_SHIPPED_PURGE_DAYS),
    )
    due = MailRequest.objects.filter(finished | shipped_long_ago, address_purged_at__isnull=True)
    purged = 0
    for pk, status in due.values_list("pk", "status"):
        with transaction.atomic():
            updated = MailRequest.objects.filter(pk=pk, address_purged_at__isnull=True).update(
                label_name="",
                address="",
                contact_email="",
                contact_phone="",
                decline_reason="",
                # The carrier gives the delivery address, date and signature to anyone
                # who has the number (a proof of delivery), long after the purge.
                tracking_number="",
                address_purged_at=now,
            )
            if updated:
                purged += 1
                audit.record(
                    None,
                    AuditEntry.Action.DELETE,
                    MailRequest(pk=pk),
                    page="scheduled address purge",
                    purged="label name, address, contact, reason, tracking number",
                    reason="shipped, never marked delivered"
                    if status == Status.SHIPPED
                    else status,
                )
    return purged
