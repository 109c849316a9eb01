import datetime

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from haven.core import audit
from haven.core.forms import add_action_errors
from haven.core.models import AuditEntry
from haven.core.permissions import MANAGER, PARTICIPANT_ROLES, SUPERVISOR, role_required
from haven.core.spreadsheet import csv_writer
from haven.core.views import bad_request

from . import actions, stock
from .forms import (
    CollectForm,
    DrawFromForm,
    ItemForm,
    KitComponentFormSet,
    KitForm,
    ReasonForm,
    ReceiveForm,
    RemoveForm,
    RestockForm,
    ReviewForm,
    TransferForm,
    locations_for,
)
from .models import Item, Kit, StockBalance, StockLocation, StockMovement

STOCK_ROLES = (SUPERVISOR, MANAGER)


def get_location_for_user(request, location_id):
    """The only way views load a stock location: refuses other sites' stock."""
    location = get_object_or_404(StockLocation, pk=location_id)
    if not locations_for(request.user).filter(pk=location.pk).exists():
        raise PermissionDenied
    return location


def _bound(request):
    return request.POST if request.method == "POST" else None


@role_required(*STOCK_ROLES)
def overview(request):
    locations = list(locations_for(request.user).order_by("kind", "name"))
    try:
        within = max(1, min(int(request.GET.get("days", 60)), 730))
    except ValueError:
        within = 60
    context = {
        "locations": locations,
        "within": within,
        "low": stock.low_stock(locations),
        "naloxone_warning_date": timezone.localdate()
        + datetime.timedelta(days=settings.HAVEN_NALOXONE_EXPIRY_WARNING_DAYS),
        "expiring": stock.expiring(locations, within),
        "flagged_count": stock.flagged(locations).count(),
        "today": timezone.localdate(),
    }
    return render(request, "supplies/overview.html", context)


@role_required(*STOCK_ROLES)
def location_detail(request, location_id):
    location = get_location_for_user(request, location_id)
    movements = (
        StockMovement.objects.filter(location=location)
        .select_related("item", "lot", "recorded_by", "reversed_by")
        .order_by("-occurred_at", "-id")[:50]
    )
    context = {
        "location": location,
        "summary": stock.item_summary(location),
        "lots": stock.by_lot(location),
        "movements": movements,
        "today": timezone.localdate(),
    }
    return render(request, "supplies/location.html", context)


@role_required(*PARTICIPANT_ROLES)
def my_bag(request):
    """What the user hands out from, and what is in it."""
    form = DrawFromForm(
        _bound(request), user=request.user, initial={"draw_from": request.user.draw_from}
    )
    if request.method == "POST" and form.is_valid():
        request.user.draw_from = form.cleaned_data["draw_from"]
        request.user.save(update_fields=["draw_from"])
        audit.record(request.user, AuditEntry.Action.UPDATE, request.user, fields=["draw_from"])
        messages.success(request, _("Saved."))
        return redirect("supplies:my_bag")
    location = actions.location_for(request.user, request.user.default_site())
    context = {
        "form": form,
        "location": location,
        "lots": stock.by_lot(location) if location else [],
    }
    return render(request, "supplies/my_bag.html", context)


def _action_form(request, form, template, do, success, done, context=None):
    """Run a stock action from a valid form; show its refusals next to the fields.

    `done(result)` gives the page to go to afterwards.
    """
    if request.method == "POST" and form.is_valid():
        try:
            result = do(form.cleaned_data)
        except ValidationError as error:
            add_action_errors(form, error)
        else:
            messages.success(request, success(result))
            return redirect(done(result))
    status = 400 if form.errors else 200
    return render(request, template, {"form": form, **(context or {})}, status=status)


def _location_url(location_id):
    return reverse("supplies:location", args=[location_id])


def _next_location(request, key):
    """Preselect a location given in the path of the page we came from."""
    value = request.GET.get(key)
    return value if value and value.isdigit() else None


@role_required(*STOCK_ROLES)
def receive(request):
    form = ReceiveForm(
        _bound(request),
        user=request.user,
        initial={"location": _next_location(request, "location")},
    )

    def do(data):
        return actions.do_receive_stock(
            location=data["location"],
            item=data["item"],
            quantity=data["quantity"],
            lot_number=data["lot_number"],
            expires_on=data["expires_on"],
            supplier=data["supplier"],
            by=request.user,
        )

    return _action_form(
        request,
        form,
        "supplies/receive.html",
        do,
        lambda m: (
            _("Received %(n)s × %(item)s into %(location)s.")
            % {"n": m.quantity, "item": m.item, "location": m.location}
        ),
        lambda m: _location_url(m.location_id),
    )


@role_required(*STOCK_ROLES)
def transfer(request):
    form = TransferForm(
        _bound(request),
        user=request.user,
        initial={
            "source": _next_location(request, "source"),
            "destination": _next_location(request, "destination"),
        },
    )

    def do(data):
        return actions.do_transfer_stock(
            source=data["source"],
            destination=data["destination"],
            item=data["item"],
            quantity=data["quantity"],
            lot=data["lot"],
            by=request.user,
        )

    return _action_form(
        request,
        form,
        "supplies/transfer.html",
        do,
        lambda ms: (
            _("Moved %(n)s × %(item)s from %(source)s to %(destination)s.")
            % {
                "n": sum(m.quantity for m in ms if m.quantity > 0),
                "item": ms[0].item,
                "source": ms[0].location,
                "destination": ms[1].location,
            }
        ),
        lambda ms: _location_url(ms[1].location_id),
    )


@role_required(*STOCK_ROLES)
def restock(request, location_id):
    """Fill a bag (or any location) with several items in one go, from one source."""
    destination = get_location_for_user(request, location_id)
    form = RestockForm(_bound(request), user=request.user, destination=destination)
    stock_here = {row.item.pk: row for row in stock.item_summary(destination)}
    return _action_form(
        request,
        form,
        "supplies/restock.html",
        lambda data: actions.do_restock(
            source=data["source"],
            destination=destination,
            quantities=form.quantities(),
            by=request.user,
        ),
        lambda movements: (
            _("Moved to %(destination)s from %(source)s: %(moved)s.")
            % {
                "destination": destination,
                "source": form.cleaned_data["source"],
                "moved": ", ".join(
                    f"{m.quantity} × {m.item}" for m in movements if m.location_id == destination.pk
                ),
            }
        ),
        lambda _movements: _location_url(destination.pk),
        {"location": destination, "lines": form.lines(stock_here)},
    )


@role_required(*STOCK_ROLES)
def remove(request, location_id):
    location = get_location_for_user(request, location_id)
    form = RemoveForm(_bound(request), location=location)

    def do(data):
        return actions.do_remove_stock(
            location=location,
            lot=data["lot"],
            quantity=data["quantity"],
            kind=data["kind"],
            reason=data["reason"],
            by=request.user,
        )

    return _action_form(
        request,
        form,
        "supplies/remove.html",
        do,
        lambda m: _("Removed %(n)s × %(item)s.") % {"n": -m.quantity, "item": m.item},
        lambda m: _location_url(location.pk),
        {"location": location},
    )


@role_required(*STOCK_ROLES)
def count(request, location_id):
    location = get_location_for_user(request, location_id)
    sheet = actions.count_sheet(location)
    results, errors = None, {}
    if request.method == "POST":
        counts = {}
        for row in sheet:
            raw = request.POST.get(f"lot_{row.lot_id}", "").strip()
            if not raw:
                continue
            try:
                counts[row.lot] = int(raw)
            except ValueError:
                errors[row.lot_id] = _("Enter a whole number.")
                continue
            if counts[row.lot] < 0:
                errors[row.lot_id] = _("A count cannot be negative.")
        if not counts and not errors:
            errors["form"] = _("Enter at least one count.")
        if len(request.POST.get("note", "").strip()) > actions.TYPED_LENGTH:
            errors["form"] = _("Keep the note to %(limit)s characters.") % {
                "limit": actions.TYPED_LENGTH
            }
        if not errors:
            results = actions.do_record_count(
                location=location, counts=counts, by=request.user, note=request.POST.get("note", "")
            )
            messages.success(request, _("Count saved; adjustments posted."))
    context = {"location": location, "sheet": sheet, "results": results, "errors": errors}
    return render(request, "supplies/count.html", context, status=400 if errors else 200)


@role_required(*STOCK_ROLES)
def reverse_movement(request, movement_id):
    movement = get_object_or_404(
        StockMovement.objects.select_related("location", "item", "lot"), pk=movement_id
    )
    get_location_for_user(request, movement.location_id)
    form = ReasonForm(_bound(request))
    return _action_form(
        request,
        form,
        "supplies/reverse.html",
        lambda data: actions.do_reverse_movement(movement, reason=data["reason"], by=request.user),
        lambda _result: _("Movement reversed."),
        lambda _result: _location_url(movement.location_id),
        {"movement": movement},
    )


@role_required(*STOCK_ROLES)
def review(request):
    locations = locations_for(request.user)
    return render(
        request, "supplies/review.html", {"flagged": stock.flagged(locations), "form": ReviewForm()}
    )


@require_POST
@role_required(*STOCK_ROLES)
def review_movement(request, movement_id):
    movement = get_object_or_404(StockMovement, pk=movement_id)
    get_location_for_user(request, movement.location_id)
    form = ReviewForm(request.POST)
    if form.is_valid():
        try:
            actions.do_review_flag(movement, by=request.user, comment=form.cleaned_data["comment"])
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Marked as reviewed."))
    return redirect("supplies:review")


@role_required(*PARTICIPANT_ROLES)
def collect(request):
    form = CollectForm(
        _bound(request),
        user=request.user,
        initial={"location": actions.location_for(request.user, request.user.default_site())},
    )

    def do(data):
        location = data["location"]
        return actions.do_collect_syringes(
            location=location,
            site=location.site,
            syringes=data["syringes"],
            weight_grams=data["weight_grams"],
            by=request.user,
        )

    def success(collection):
        if collection.is_estimate:
            return _("Recorded about %(n)s used syringes (estimated from weight).") % {
                "n": collection.syringes
            }
        return _("Recorded %(n)s used syringes.") % {"n": collection.syringes}

    return _action_form(
        request, form, "supplies/collect.html", do, success, lambda _c: reverse("supplies:collect")
    )


# ---------------------------------------------------------------- exports


class _Echo:
    def write(self, value):
        return value


def _csv_response(filename, header, rows):
    writer = csv_writer(_Echo())
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in [header, *rows]), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _parse_period(request):
    """(since, until) dates from the query, or a ValidationError message."""
    today = timezone.localdate()
    try:
        since = datetime.date.fromisoformat(
            request.GET.get("since") or str(today - datetime.timedelta(days=30))
        )
        until = datetime.date.fromisoformat(request.GET.get("until") or str(today))
    except ValueError as error:
        raise ValidationError(_("Enter dates as YYYY-MM-DD.")) from error
    if until < since:
        raise ValidationError(_("The period ends before it starts."))
    return since, until


@role_required(*STOCK_ROLES)
def export_ledger(request):
    locations = locations_for(request.user)
    try:
        location_id = request.GET.get("location", "")
        if location_id:
            if not location_id.isdigit():
                raise ValidationError(_("Choose a stock location from the list."))
            locations = locations.filter(pk=location_id)
            if not locations.exists():
                raise PermissionDenied
        since, until = _parse_period(request)
    except ValidationError as error:
        return bad_request(request, " ".join(error.messages), reverse("supplies:overview"))
    start = timezone.make_aware(datetime.datetime.combine(since, datetime.time.min))
    end = timezone.make_aware(
        datetime.datetime.combine(until + datetime.timedelta(days=1), datetime.time.min)
    )
    movements = (
        StockMovement.objects.filter(
            location__in=locations, occurred_at__gte=start, occurred_at__lt=end
        )
        .select_related("location", "item", "lot", "recorded_by")
        .order_by("occurred_at", "id")
    )
    audit.record(request.user, AuditEntry.Action.EXPORT, request=request, page="ledger export")
    # No participant or contact identifiers: a movement names its contact only by id.
    # The typed reason is left out: it is free text (a worker may write who the stock
    # went to), the movement's kind says why stock moved, and the reason stays on the
    # location's page for the staff who may read it there.
    rows = (
        (
            timezone.localtime(m.occurred_at).isoformat(timespec="seconds"),
            m.location.name,
            m.item.name,
            m.lot.number,
            m.lot.expires_on or "",
            m.get_kind_display(),
            m.quantity,
            m.supplier,
            m.recorded_by.username,
            m.encounter_id or "",
            m.reverses_id or "",
            "yes" if m.needs_review else "",
        )
        for m in movements.iterator(chunk_size=2000)
    )
    header = [
        "when",
        "location",
        "item",
        "lot",
        "expires",
        "movement",
        "quantity",
        "supplier",
        "recorded by",
        "contact id",
        "reverses movement",
        "flagged",
    ]
    return _csv_response(f"haven-ledger-{since}-{until}.csv", header, rows)


@role_required(*STOCK_ROLES)
def export_stock(request):
    locations = locations_for(request.user)
    audit.record(request.user, AuditEntry.Action.EXPORT, request=request, page="stock export")
    balances = (
        StockBalance.objects.filter(location__in=locations, quantity__gt=0)
        .select_related("location", "item", "lot")
        .order_by("location__name", "item__name", "lot__expires_on")
    )
    rows = (
        (
            b.location.name,
            b.item.name,
            b.item.unit,
            b.lot.number,
            b.lot.expires_on or "",
            b.quantity,
        )
        for b in balances
    )
    header = ["location", "item", "unit", "lot", "expires", "on hand"]
    return _csv_response(f"haven-stock-{timezone.localdate()}.csv", header, rows)


# ---------------------------------------------------------------- catalog


@role_required(MANAGER)
def catalog(request):
    context = {
        "items": Item.objects.all(),
        "kits": Kit.objects.prefetch_related("components__item"),
    }
    return render(request, "supplies/catalog.html", context)


@role_required(MANAGER)
def item_form(request, item_id=None):
    item = get_object_or_404(Item, pk=item_id) if item_id else None
    form = ItemForm(_bound(request), instance=item)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            saved = form.save()
            audit.record(
                request.user, AuditEntry.Action.UPDATE if item else AuditEntry.Action.CREATE, saved
            )
        messages.success(request, _("Saved %(item)s.") % {"item": saved})
        return redirect("supplies:catalog")
    return render(
        request,
        "supplies/item_form.html",
        {"form": form, "item": item},
        status=400 if form.errors else 200,
    )


@role_required(MANAGER)
def kit_form(request, kit_id=None):
    kit = get_object_or_404(Kit, pk=kit_id) if kit_id else Kit()
    form = KitForm(_bound(request), instance=kit)
    components = KitComponentFormSet(_bound(request), instance=kit)
    if request.method == "POST" and form.is_valid() and components.is_valid():
        with transaction.atomic():
            saved = form.save()
            components.instance = saved
            components.save()
            audit.record(
                request.user,
                AuditEntry.Action.UPDATE if kit_id else AuditEntry.Action.CREATE,
                saved,
            )
        messages.success(request, _("Saved %(kit)s.") % {"kit": saved})
        return redirect("supplies:catalog")
    status = 400 if form.errors or any(components.errors) or components.non_form_errors() else 200
    return render(
        request,
        "supplies/kit_form.html",
        {"form": form, "components": components, "kit": kit_id and kit},
        status=status,
    )
