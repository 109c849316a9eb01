"""Staff pages of mail distribution: the queue, triage, packing and shipping.

The queue and a request's page show the ZIP and what was asked for, never
the address: any staff who work with participants may read them. Deciding,
packing and shipping are for the staff of a mail site (managers: any site),
and the address is printed only on the label, for them. The tracking number
(the carrier gives the delivery address to anyone who has it) and the reason
typed for a decline (it may name someone) are shown to them alone too. Every
page that shows a request, the queue included, is a read of it, audited as
every read is (haven/core/access.py).
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Case, Count, Value, When
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from haven.accounts.models import Site
from haven.core import access
from haven.core.forms import add_action_errors
from haven.core.permissions import MANAGER, PARTICIPANT_ROLES, SUPERVISOR, role_required
from haven.supplies.stock import on_hand

from . import actions
from .forms import DeclineForm, OfferForm, ReturnedForm, ShipForm
from .models import MailOffer, MailRequest
from .pdf import label_and_slip

Status = MailRequest.Status
TRIAGE_ROLES = (SUPERVISOR, MANAGER)
OPEN = [Status.REQUESTED, Status.APPROVED, Status.PACKED, Status.SHIPPED]
QUEUE_LENGTH = 200


def works_mail(user):
    """Staff assigned to a mail site (managers: every site) pack and see addresses."""
    mail_sites = set(Site.objects.filter(kind=Site.Kind.MAIL).values_list("id", flat=True))
    return bool(mail_sites & user.allowed_site_ids())


def get_mail_request_for_user(request, request_id):
    if not works_mail(request.user):
        raise PermissionDenied
    return get_object_or_404(MailRequest, pk=request_id)


@require_GET
@role_required(*PARTICIPANT_ROLES)
def queue(request):
    """Requests of one status, the program's priorities first: first requests, then overdoses.

    Shows ZIP codes and counts, never an address, so every participant role may look.
    """
    status = request.GET.get("status", "")
    requests = (
        MailRequest.objects.filter(status=status if status in Status.values else Status.REQUESTED)
        .annotate(
            rank=Case(When(first_request=True, then=Value(2)), default=Value(0))
            + Case(When(witnessed_overdose=True, then=Value(1)), default=Value(0)),
        )
        .order_by("-rank", "created_at", "pk")
        .prefetch_related("lines__item")
        .defer("label_name", "address", "contact_email", "contact_phone")
    )[:QUEUE_LENGTH]
    requests = list(requests)
    access.shown_records(request, requests, page="mail queue")
    counts = dict(
        MailRequest.objects.values_list("status").annotate(n=Count("pk")).values_list("status", "n")
    )
    return render(
        request,
        "mail/queue.html",
        {
            "requests": requests,
            "status": status or Status.REQUESTED,
            "tabs": [(value, label, counts.get(value, 0)) for value, label in Status.choices],
        },
    )


@require_GET
@role_required(*PARTICIPANT_ROLES)
def detail(request, request_id):
    mail_request = get_object_or_404(
        MailRequest.objects.defer("label_name", "address", "contact_email", "contact_phone"),
        pk=request_id,
    )
    access.shown(request, record=mail_request, page="mail request")
    may_pack = works_mail(request.user)
    return render(
        request,
        "mail/detail.html",
        {
            "mail_request": mail_request,
            "lines": mail_request.lines.select_related("item"),
            "may_triage": request.user.role in TRIAGE_ROLES and may_pack,
            "may_pack": may_pack,
            "decline_form": DeclineForm(),
            "ship_form": ShipForm(),
            "returned_form": ReturnedForm(),
        },
    )


def _act(request, request_id, act, success, form_class=None):
    mail_request = get_mail_request_for_user(request, request_id)
    values = {}
    if form_class is not None:
        form = form_class(request.POST)
        if not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
            return redirect("mail:detail", request_id=mail_request.pk)
        values = form.cleaned_data
    try:
        act(mail_request, by=request.user, **values)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, success % {"number": mail_request.number})
    return redirect("mail:detail", request_id=mail_request.pk)


@require_POST
@role_required(*TRIAGE_ROLES)
def approve(request, request_id):
    return _act(request, request_id, actions.do_approve_request, _("%(number)s approved."))


@require_POST
@role_required(*TRIAGE_ROLES)
def decline(request, request_id):
    return _act(
        request, request_id, actions.do_decline_request, _("%(number)s declined."), DeclineForm
    )


@require_POST
@role_required(*PARTICIPANT_ROLES)
def pack(request, request_id):
    return _act(request, request_id, actions.do_pack_request, _("%(number)s packed; stock drawn."))


@require_POST
@role_required(*PARTICIPANT_ROLES)
def ship(request, request_id):
    return _act(request, request_id, actions.do_ship_request, _("%(number)s shipped."), ShipForm)


@require_POST
@role_required(*PARTICIPANT_ROLES)
def delivered(request, request_id):
    return _act(
        request,
        request_id,
        lambda mail_request, by: actions.do_finish_request(
            mail_request, by=by, status=Status.DELIVERED
        ),
        _("%(number)s delivered."),
    )


@require_POST
@role_required(*PARTICIPANT_ROLES)
def returned(request, request_id):
    return _act(
        request,
        request_id,
        lambda mail_request, by, returned_kits: actions.do_finish_request(
            mail_request, by=by, status=Status.RETURNED, returned_kits=returned_kits
        ),
        _("%(number)s returned."),
        ReturnedForm,
    )


@require_GET
@role_required(*PARTICIPANT_ROLES)
def label(request, request_id):
    """The shipping label and packing slip (PDF), for a packed request whose address is kept."""
    mail_request = get_mail_request_for_user(request, request_id)
    if mail_request.status not in (Status.PACKED, Status.SHIPPED) or not mail_request.address:
        messages.error(request, _("A label is printed for a packed request only."))
        return redirect("mail:detail", request_id=mail_request.pk)
    access.shown(request, record=mail_request, page="mail label")
    guide_url = request.build_absolute_uri(reverse("mail_public:guide"))
    response = HttpResponse(label_and_slip(mail_request, guide_url), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{mail_request.number}.pdf"'
    response["Cache-Control"] = "no-store"
    return response


# ------------------------------------------------------------ the catalog (managers)


@require_GET
@role_required(MANAGER)
def offers(request):
    """What the program offers by mail, with what the mail stock location holds of each."""
    catalog = list(MailOffer.objects.select_related("item"))
    try:
        held = on_hand(actions.mail_stock_location())
    except ValidationError:
        held = None  # no mail stock location yet: the page says so
    return render(
        request,
        "mail/offers.html",
        {
            "offers": [
                (offer, None if held is None else held.get(offer.item_id, 0)) for offer in catalog
            ],
            "has_location": held is not None,
        },
    )


@role_required(MANAGER)
def offer_edit(request, offer_id=None):
    offer = get_object_or_404(MailOffer, pk=offer_id) if offer_id else MailOffer()
    form = OfferForm(request.POST or None, offer=offer)
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_save_offer(offer, **form.cleaned_data, by=request.user)
        except ValidationError as error:
            add_action_errors(form, error)
        else:
            messages.success(request, _("%(item)s: saved.") % {"item": offer.item})
            return redirect("mail:offers")
    return render(
        request,
        "mail/offer_form.html",
        {"form": form, "offer": offer},
        status=400 if form.errors else 200,
    )
