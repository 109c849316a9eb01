"""The stock ledger. Every change of stock goes through these functions.

Each function is one transaction: it writes its movements and updates the
running balances together, so a movement that touches two locations is
written on both sides or not at all.
"""

import uuid
from collections import defaultdict

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from haven.core import audit
from haven.core.db import batch, inserts, reads
from haven.core.db.hot import hot
from haven.core.models import AuditEntry

from .models import (
    FlagReview,
    Item,
    KitComponent,
    Lot,
    StockBalance,
    StockLocation,
    StockMovement,
    SyringeCollection,
)

Kind = StockMovement.Kind


class NotEnoughStock(ValidationError):
    pass


class StockMoved(Exception):
    """A lot no longer holds what was planned from it: another writer took from it
    between the plan (read before the transaction) and the write. Plan again
    with the location locked."""


def location_for(user, site):
    """Where a user's hand-outs at `site` are drawn from, or None if stock is not kept."""
    return locations_for(user, [site], lock=False)[site]


def locations_for(user, sites, *, lock=True, stock_of=()):
    """{site: where the user's hand-outs there are drawn from, or None}.

    One query when the user carries an active bag (it serves every site).
    With `lock`, the locations are also locked for the transaction (see
    lock_locations), in the same statement: call inside the transaction.
    `stock_of`: items whose balances in a locked bag are read in the same
    round trip, for the Drawing made next (see _active_bag).
    """
    if not sites:
        return {}
    if user.draw_from_id:
        bag = _active_bag(user.draw_from_id, lock=lock, stock_of=stock_of)
        if bag is not None:
            return dict.fromkeys(sites, bag)
    queryset = StockLocation.objects.all()
    if lock:
        queryset = _locking(queryset)
    # Every active shelf of these sites is locked (a few rows, in one
    # order); the first of each site is the one drawn from.
    shelves = queryset.filter(
        site__in=[site.pk for site in sites if site is not None],
        active=True,
        kind__in=[StockLocation.Kind.SITE, StockLocation.Kind.MOBILE],
    ).order_by("pk")
    first = {}
    for shelf in shelves:
        first.setdefault(shelf.site_id, shelf)
    return {site: first.get(site.pk) for site in sites}


LOCATION_FIELDS = tuple(field.name for field in StockLocation._meta.concrete_fields)


def _active_bag(pk, *, lock, stock_of=()):
    """The bag a user draws from if it is active, locked as _locking locks (`lock`).

    A hand-written statement (haven/core/db/reads.py): read on every save. On
    PostgreSQL, locking, the balances of `stock_of` follow the lock in the same
    round trip, as their own statement of a multi-statement string: each
    statement of it sees what was committed when it started, so the read sees
    what a writer the lock waited for left (see lock_locations). The bag keeps
    them for the Drawing made next (_usable_balances).
    """
    sql = f"{reads.select(StockLocation, LOCATION_FIELDS)} WHERE id = %s AND active = %s"
    locking = lock and connection.features.has_select_for_update
    if locking:
        sql += " FOR NO KEY UPDATE"  # as _locking: see there
    stock_of = list(stock_of)
    if not (locking and stock_of) or connection.features.uses_server_side_binding:
        found = reads.instances(StockLocation, LOCATION_FIELDS, sql, [pk, True])
        return found[0] if found else None
    stock_sql, stock_params = _balances_statement(pk, stock_of)
    with connection.cursor() as cursor:
        # Each quoted on its own, so that each runs prepared (haven/core/db/hot.py).
        quoted = cursor.cursor.mogrify
        cursor.execute(f"{quoted(hot(sql), [pk, True])}; {quoted(hot(stock_sql), stock_params)}")
        row = cursor.fetchone()
        cursor.cursor.nextset()
        stock_rows = cursor.fetchall()
    if row is None:
        return None
    bag = reads.instance(StockLocation, LOCATION_FIELDS, row)
    bag.stock_read = ({item.pk for item in stock_of}, stock_rows)
    return bag


def _locking(queryset):
    # NO KEY: a movement naming the location (a foreign key check takes a
    # KEY SHARE lock) is not held up, only other writers of its balances.
    return queryset.select_for_update(no_key=True, of=("self",))


def lock_locations(locations):
    """Hold these stock locations (objects or ids) until the transaction ends.

    Every change of a location's balances takes this lock first and only
    then reads what is there to plan from (which lots, how much), so two
    writers of one location queue instead of one planning from a read the
    other is about to make wrong: a draw refused is then really short. A
    PostgreSQL statement sees the rows as they were when it started, also
    when it then waits for a row lock, so the lock is taken in its own
    statement before the read. Locations are locked in the order of their
    ids, so that two writers never wait for each other. On SQLite a writing
    transaction holds the whole database from its start (IMMEDIATE, see
    settings.py), so there this is only a read. Returns {id: location},
    read under the lock.
    """
    ids = sorted({getattr(location, "pk", location) for location in locations} - {None})
    if not ids:
        return {}
    return {
        location.pk: location
        for location in _locking(StockLocation.objects.filter(pk__in=ids)).order_by("pk")
    }


def expand_kits(items, kits):
    """{item: qty} from explicit items plus kits ({kit: count}) broken into components.

    A kit read from the contact catalog (haven/outreach/catalog.py) brings
    its components; any other is read here.
    """
    totals = defaultdict(int)
    for item, quantity in items.items():
        if quantity:
            totals[item] += quantity
    unread = [kit for kit in kits if not hasattr(kit, "catalog_components")]
    by_kit = defaultdict(list)
    if unread:
        for component in KitComponent.objects.filter(kit__in=unread).select_related("item"):
            by_kit[component.kit_id].append((component.item, component.quantity))
    for kit, count in kits.items():
        components = getattr(kit, "catalog_components", None) or by_kit[kit.pk]
        for item, quantity in components:
            totals[item] += quantity * count
    return dict(totals)


# ---------------------------------------------------------------- writing


def _post(*, location, lot, quantity, kind, by, occurred_at=None, **fields):
    """Write one movement and move the balance. Call inside a transaction."""
    balance = StockBalance.objects.select_for_update().filter(location=location, lot=lot).first()
    if balance is None:
        try:
            with transaction.atomic():
                balance = StockBalance.objects.create(location=location, lot=lot, item=lot.item)
        except IntegrityError:
            # Someone else made the row a moment ago.
            balance = StockBalance.objects.select_for_update().get(location=location, lot=lot)
    try:
        with transaction.atomic():
            StockBalance.objects.filter(pk=balance.pk).update(quantity=F("quantity") + quantity)
    except IntegrityError as error:
        # The database refused to go below zero: another draw got there first.
        raise _not_enough(
            lot.item, location, StockBalance.objects.get(pk=balance.pk).quantity
        ) from error
    return StockMovement.objects.create(
        location=location,
        lot=lot,
        item=lot.item,
        quantity=quantity,
        kind=kind,
        recorded_by=by,
        occurred_at=occurred_at or timezone.now(),
        **fields,
    )


def _not_enough(item, location, available):
    return NotEnoughStock(
        {
            "quantity": _("Not enough %(item)s at %(location)s: %(available)s on hand.")
            % {"item": item, "location": location, "available": available}
        }
    )


BALANCE_FIELDS = tuple(field.name for field in StockBalance._meta.concrete_fields)
LOT_FIELDS = tuple(field.name for field in Lot._meta.concrete_fields)


def _balances_statement(location_pk, items):
    """(sql, params): the balances in stock of `items` at a location, with their lots.

    A hand-written statement (haven/core/db/reads.py): read on every save."""
    quote = connection.ops.quote_name
    sql = (
        f"SELECT {reads.columns(StockBalance, BALANCE_FIELDS, 'b')}, "  # noqa: S608 - model names
        f"{reads.columns(Lot, LOT_FIELDS, 'l')} "
        f"FROM {quote(StockBalance._meta.db_table)} b "
        f"JOIN {quote(Lot._meta.db_table)} l ON l.id = b.lot_id "
        f"WHERE b.location_id = %s AND b.quantity > 0 "
        f"AND b.item_id IN ({', '.join(['%s'] * len(items))})"
    )
    return sql, [location_pk, *(item.pk for item in items)]


def _usable_balances(location, items, today):
    """{item id: balances to draw from}, first expiry first out; never an expired lot.

    One query for all the items of a contact, read once the location is
    locked (lock_locations), so what the rows show is what is there and no
    one else takes from them before this transaction ends. A location holds
    few lots of an item, so they are sorted here rather than in SQL.
    """
    items = list(items)
    if not items:
        return {}
    # Read with the bag's lock (_active_bag), once: a later Drawing reads afresh.
    read_with_lock = location.__dict__.pop("stock_read", None)
    if read_with_lock is not None and {item.pk for item in items} == read_with_lock[0]:
        rows = read_with_lock[1]
    else:
        with connection.cursor() as cursor:
            cursor.execute(*_balances_statement(location.pk, items))
            rows = cursor.fetchall()
    by_item = {}
    split = len(BALANCE_FIELDS)
    for row in rows:
        balance = reads.instance(StockBalance, BALANCE_FIELDS, row[:split])
        balance.lot = reads.instance(Lot, LOT_FIELDS, row[split:])
        if balance.lot.expires_on is None or balance.lot.expires_on >= today:
            by_item.setdefault(balance.item_id, []).append(balance)
    for lots in by_item.values():
        lots.sort(key=lambda b: (b.lot.expires_on is None, b.lot.expires_on, b.lot_id))
    return by_item


def _unlotted(item):
    return Lot.objects.get_or_create(item=item, number="")[0]


class Drawing:
    """Hand-outs from one location for a run of contacts (one form, or a synced batch).

    The location is locked, then the usable balances of every item in the
    run are read once; each contact's draw is planned against what the contacts before it left,
    first expiry first out; then every movement and balance change is written
    at once, a few statements whatever the number of contacts.
    """

    def __init__(self, location, items, *, by, locked=False):
        """`locked`: the caller already holds the location (lock_locations,
        locations_for), or plans ahead of its transaction from a read taken
        without the lock (on SQLite, haven/outreach/actions.py): write() then
        stores the plan only if every lot still holds what is planned from
        it, and raises StockMoved otherwise."""
        if not locked:
            location = lock_locations([location])[location.pk]
        self.location = location
        self.by = by
        self.usable = _usable_balances(location, items, timezone.localdate())
        self.taken = defaultdict(int)  # balance pk -> quantity planned out of it
        self.movements = []
        self.unrecorded = []  # (encounter, when, item, shortfall)
        self.refused = False  # a plan was refused for want of stock

    @property
    def certain(self):
        """Whether a plan made ahead of the lock can stand if its lots still hold enough.

        A refusal read without the lock may not be a real shortage, and found
        stock writes lot rows: both are planned again under the lock.
        """
        return not self.refused and not self.unrecorded

    def plan(self, encounter, supplies, *, occurred_at=None):
        """Plan the hand-outs ({item: qty}) of one contact, which may not be saved yet.

        `encounter` is None for hand-outs that are not at a contact (a group
        training); `occurred_at` then says when they were.

        Refuses, naming each item and what is on hand, when there is not
        enough, unless the location allows unrecorded stock: then the
        shortfall is recorded as found stock, flagged for a supervisor, and
        handed out. A refused contact takes nothing.
        """
        errors, takes, shortfalls = [], [], []
        for item, quantity in supplies.items():
            shortfall = quantity
            for balance in self.usable.get(item.pk, []):
                take = min(balance.quantity - self.taken[balance.pk], shortfall)
                if take > 0:
                    takes.append((balance, item, take))
                    shortfall -= take
                if not shortfall:
                    break
            if not shortfall:
                continue
            if self.location.allow_unrecorded_stock:
                shortfalls.append((item, shortfall))
            else:
                errors.append(
                    _(
                        "Not enough %(item)s at %(location)s: "
                        "%(available)s on hand, %(wanted)s asked."
                    )
                    % {
                        "item": item,
                        "location": self.location,
                        "available": quantity - shortfall,
                        "wanted": quantity,
                    }
                )
        if errors:
            self.refused = True
            raise NotEnoughStock({"supplies": errors})
        when = occurred_at or encounter.occurred_at
        for balance, item, take in takes:
            self.taken[balance.pk] += take
            self.movements.append(
                self._movement(encounter, when, balance.lot, item, -take, Kind.DISTRIBUTE)
            )
        self.unrecorded += [(encounter, when, item, shortfall) for item, shortfall in shortfalls]

    def _movement(self, encounter, when, lot, item, quantity, kind, **fields):
        return StockMovement(
            location=self.location,
            lot=lot,
            item=item,
            quantity=quantity,
            kind=kind,
            recorded_by=self.by,
            encounter=encounter,
            occurred_at=when,
            **fields,
        )

    def write(self, *, returning=True):
        """Store what was planned, once the contacts are saved. Call inside their transaction.

        Returns the movements written (returning=False: without their ids,
        for a caller that does not read them back; see inserts.insert).
        """
        for encounter, when, item, shortfall in self.unrecorded:
            lot = _unlotted(item)
            # Found and handed out at once: the balance row exists, its quantity does not move.
            StockBalance.objects.get_or_create(location=self.location, lot=lot, item=item)
            self.movements += [
                self._movement(
                    encounter,
                    when,
                    lot,
                    item,
                    shortfall,
                    Kind.UNRECORDED,
                    needs_review=True,
                    reason=_("Handed out more than the records showed."),
                ),
                self._movement(encounter, when, lot, item, -shortfall, Kind.DISTRIBUTE),
            ]
        _take_from_balances(self.taken)
        return inserts.insert(self.movements, returning=returning)


def _take_from_balances(taken):
    """Lower balances ({balance pk: quantity}) in one statement.

    Each row is lowered only if it still holds what is taken from it; when one
    does not (a plan made ahead of the lock, and another writer took from the
    lot meanwhile), StockMoved is raised, and the caller's transaction rolls
    back what was lowered. Under the lock the plan always fits; the check
    constraint stays as the last guard.
    """
    taken = {pk: quantity for pk, quantity in taken.items() if quantity}
    if not taken:
        return
    table = connection.ops.quote_name(StockBalance._meta.db_table)
    # Typed, so that PostgreSQL can prepare it (haven/core/db/hot.py).
    cases = " ".join("WHEN %s THEN CAST(%s AS integer)" for _pk in taken)
    ids = ", ".join("%s" for _pk in taken)
    pairs = [value for pair in taken.items() for value in pair]

    def all_lowered(cursor):
        if cursor.rowcount != len(taken):
            raise StockMoved

    batch.write(
        # Only the quoted model table name goes into the text; values are parameters.
        f"UPDATE {table} SET quantity = quantity - CASE id {cases} END "  # noqa: S608
        f"WHERE id IN ({ids}) AND quantity >= CASE id {cases} END",
        [*pairs, *taken, *pairs],
        then=all_lowered,
    )


def draw_for_encounter(encounter, supplies, *, location, by, locked=False):
    """Hand out supplies ({item: qty}) at one saved contact. Call inside its transaction."""
    drawing = Drawing(location, supplies, by=by, locked=locked)
    drawing.plan(encounter, supplies)
    drawing.write()


def return_for_encounter(encounter, *, by, reason, movements=None):
    """Put back what a contact drew (before an edit), by reversing its movements.

    Lock the movements' locations first (lock_locations); `movements` are
    the ones to reverse when the caller has read them already.
    """
    if movements is None:
        movements = drawn_for(encounter)
    for movement in movements:
        _post(
            location=movement.location,
            lot=movement.lot,
            quantity=-movement.quantity,
            kind=Kind.REVERSAL,
            by=by,
            reverses=movement,
            reason=reason,
            encounter=encounter,
            occurred_at=movement.occurred_at,
        )


def drawn_for(encounter):
    """The movements of a contact that an edit puts back."""
    return list(
        encounter.stock_movements.filter(
            reversed_by__isnull=True, reverses__isnull=True
        ).select_related("lot", "location")
    )


TYPED_LENGTH = 300  # the forms' limit on a typed reason, note or comment


def _check_typed(text, field):
    if len(text.strip()) > TYPED_LENGTH:
        raise ValidationError(
            {field: _("Keep it to %(limit)s characters.") % {"limit": TYPED_LENGTH}}
        )


def _check_quantity(quantity):
    if not isinstance(quantity, int) or quantity <= 0:
        raise ValidationError({"quantity": _("Enter a quantity of at least 1.")})


def _check_item(item):
    if not isinstance(item, Item):
        raise ValidationError({"item": _("Choose an item from the catalog.")})
    if not item.active:
        raise ValidationError({"item": _("%(item)s is retired.") % {"item": item}})


def _replayed(client_uuid):
    if client_uuid is None:
        return None
    return list(StockMovement.objects.filter(client_uuid=client_uuid)) or None


@transaction.atomic
def do_receive_stock(
    *,
    location,
    item,
    quantity,
    lot_number="",
    expires_on=None,
    supplier="",
    by,
    client_uuid=None,
    occurred_at=None,
):
    """A shipment arrives (at `occurred_at`, default now). Returns the movement."""
    if replay := _replayed(client_uuid):
        return replay[0]
    _check_item(item)
    _check_quantity(quantity)
    lot_number = lot_number.strip()
    if occurred_at and occurred_at > timezone.now():
        raise ValidationError({"occurred_at": _("A receipt cannot be in the future.")})
    if expires_on and expires_on < timezone.localdate():
        raise ValidationError(
            {"expires_on": _("This expiry date has passed; do not receive expired stock.")}
        )
    lock_locations([location])
    lot = Lot.objects.filter(item=item, number=lot_number).first()
    if lot is None:
        lot = Lot.objects.create(item=item, number=lot_number, expires_on=expires_on)
    elif expires_on and lot.expires_on != expires_on:
        raise ValidationError(
            {
                "expires_on": _("Lot %(lot)s of %(item)s is recorded as expiring on %(date)s.")
                % {"lot": lot_number or "—", "item": item, "date": lot.expires_on}
            }
        )
    movement = _post(
        location=location,
        lot=lot,
        quantity=quantity,
        kind=Kind.RECEIVE,
        by=by,
        supplier=supplier.strip(),
        client_uuid=client_uuid,
        occurred_at=occurred_at,
    )
    audit.record(by, AuditEntry.Action.CREATE, movement)
    return movement


@transaction.atomic
def do_transfer_stock(*, source, destination, item, quantity, lot=None, by, client_uuid=None):
    """Move stock between locations, both sides or nothing. Returns the movements."""
    if replay := _replayed(client_uuid):
        return replay
    _check_item(item)
    _check_quantity(quantity)
    if source == destination:
        raise ValidationError({"destination": _("Choose a different location to move stock to.")})
    if not destination.active:
        raise ValidationError(
            {"destination": _("%(location)s is closed.") % {"location": destination}}
        )
    group = uuid.uuid4()
    movements = []
    # Lots are chosen once both sides are held, from what is there then.
    lock_locations([source, destination])
    if lot is not None:
        balance = StockBalance.objects.filter(location=source, lot=lot).first()
        if lot.item_id != item.pk or balance is None or balance.quantity == 0:
            raise ValidationError(
                {"lot": _("Lot %(lot)s is not at %(location)s.") % {"lot": lot, "location": source}}
            )
        if balance.quantity < quantity:
            raise _not_enough(item, source, balance.quantity)
        takes = [(lot, quantity)]
    else:
        balances = list(
            StockBalance.objects.filter(location=source, item=item, quantity__gt=0)
            .select_related("lot")
            .order_by(F("lot__expires_on").asc(nulls_last=True), "lot_id")
        )
        available = sum(balance.quantity for balance in balances)
        if available < quantity:
            raise _not_enough(item, source, available)
        takes = []
        remaining = quantity
        for balance in balances:
            take = min(balance.quantity, remaining)
            takes.append((balance.lot, take))
            remaining -= take
            if not remaining:
                break
    for index, (take_lot, take) in enumerate(takes):
        movements.append(
            _post(
                location=source,
                lot=take_lot,
                quantity=-take,
                kind=Kind.TRANSFER_OUT,
                by=by,
                transfer_group=group,
                client_uuid=client_uuid if index == 0 else None,
            )
        )
        movements.append(
            _post(
                location=destination,
                lot=take_lot,
                quantity=take,
                kind=Kind.TRANSFER_IN,
                by=by,
                transfer_group=group,
            )
        )
    audit.record(by, AuditEntry.Action.CREATE, movements[0], transfer_group=str(group))
    return movements


@transaction.atomic
def do_remove_stock(*, location, lot, quantity, kind, reason, by, client_uuid=None):
    """Dispose of stock or write off expired stock from one lot."""
    if replay := _replayed(client_uuid):
        return replay[0]
    if kind not in (Kind.DISPOSE, Kind.EXPIRE):
        raise ValidationError({"kind": _("Choose dispose or expire.")})
    _check_quantity(quantity)
    if not reason.strip():
        raise ValidationError({"reason": _("Say why this stock is removed.")})
    _check_typed(reason, "reason")
    lock_locations([location])
    balance = StockBalance.objects.filter(location=location, lot=lot).first()
    if balance is None or balance.quantity == 0:
        raise ValidationError(
            {"lot": _("Lot %(lot)s is not at %(location)s.") % {"lot": lot, "location": location}}
        )
    if balance.quantity < quantity:
        raise _not_enough(lot.item, location, balance.quantity)
    movement = _post(
        location=location,
        lot=lot,
        quantity=-quantity,
        kind=kind,
        by=by,
        reason=reason.strip(),
        client_uuid=client_uuid,
    )
    audit.record(by, AuditEntry.Action.CREATE, movement)
    return movement


def count_sheet(location):
    """What the ledger expects at a location: balances by item and lot."""
    return list(
        StockBalance.objects.filter(location=location)
        .exclude(quantity=0, lot__number="")
        .select_related("item", "lot")
        .order_by("item__sort_order", "item__name", F("lot__expires_on").asc(nulls_last=True))
    )


@transaction.atomic
def do_record_count(*, location, counts, by, note=""):
    """Post what was counted ({lot: counted}); returns [(lot, expected, counted, variance)].

    Only lots that were counted are adjusted; a variance of zero writes nothing.
    """
    _check_typed(note, "note")
    results = []
    lock_locations([location])
    for lot, counted in counts.items():
        if counted is None:
            continue
        if counted < 0:
            raise ValidationError({"counts": _("A count cannot be negative.")})
        balance = (
            StockBalance.objects.select_for_update().filter(location=location, lot=lot).first()
        )
        expected = balance.quantity if balance else 0
        variance = counted - expected
        if variance:
            _post(
                location=location,
                lot=lot,
                quantity=variance,
                kind=Kind.ADJUST,
                by=by,
                reason=note.strip() or _("Physical count"),
            )
        results.append((lot, expected, counted, variance))
    audit.record(by, AuditEntry.Action.CREATE, location, page="stock count", lots=len(results))
    return results


@transaction.atomic
def do_reverse_movement(movement, *, reason, by):
    """Undo a movement with an opposite one; a transfer is undone on both sides."""
    if not reason.strip():
        raise ValidationError({"reason": _("Say why this movement is reversed.")})
    _check_typed(reason, "reason")
    if movement.kind in (Kind.REVERSAL, Kind.DISTRIBUTE, Kind.UNRECORDED):
        raise ValidationError(
            {
                "movement": _(
                    "Change hand-outs by editing the contact, and reversals cannot be reversed."
                )
            }
        )
    targets = [movement]
    if movement.transfer_group:
        targets = list(StockMovement.objects.filter(transfer_group=movement.transfer_group))
    lock_locations([target.location_id for target in targets])
    reversals = []
    # Take stock out before putting it back, so a location that no longer has
    # the stock refuses the reversal instead of going negative.
    for target in sorted(targets, key=lambda m: m.quantity, reverse=True):
        if StockMovement.objects.filter(reverses=target).exists():
            raise ValidationError({"movement": _("This movement was already reversed.")})
        reversals.append(
            _post(
                location=target.location,
                lot=target.lot,
                quantity=-target.quantity,
                kind=Kind.REVERSAL,
                by=by,
                reverses=target,
                reason=reason.strip(),
            )
        )
    audit.record(by, AuditEntry.Action.CREATE, reversals[0], reverses=movement.pk)
    return reversals


@transaction.atomic
def do_review_flag(movement, *, by, comment=""):
    if not movement.needs_review:
        raise ValidationError({"movement": _("This movement is not flagged.")})
    _check_typed(comment, "comment")
    review, created = FlagReview.objects.get_or_create(
        movement=movement, defaults={"reviewed_by": by, "comment": comment.strip()}
    )
    if created:
        audit.record(by, AuditEntry.Action.CREATE, review)
    return review


@transaction.atomic
def do_collect_syringes(
    *, location, site, by, syringes=None, weight_grams=None, encounter=None, client_uuid=None
):
    """Used syringes brought back, counted or weighed (then estimated)."""
    if client_uuid and (
        existing := SyringeCollection.objects.filter(client_uuid=client_uuid).first()
    ):
        return existing
    if (syringes is None) == (weight_grams is None):
        raise ValidationError({"syringes": _("Enter either a count of syringes or their weight.")})
    if syringes is not None and syringes <= 0:
        raise ValidationError({"syringes": _("Enter a count of at least 1.")})
    if weight_grams is not None and weight_grams <= 0:
        raise ValidationError({"weight_grams": _("Enter a weight of at least 1 gram.")})
    is_estimate = weight_grams is not None
    if is_estimate:
        syringes = max(1, round(weight_grams / settings.SYRINGE_GRAMS_EACH))
    collection = SyringeCollection.objects.create(
        client_uuid=client_uuid or uuid.uuid4(),
        location=location,
        site=site,
        encounter=encounter,
        occurred_at=encounter.occurred_at if encounter else timezone.now(),
        recorded_by=by,
        syringes=syringes,
        weight_grams=weight_grams,
        is_estimate=is_estimate,
    )
    audit.record(by, AuditEntry.Action.CREATE, collection)
    return collection


@transaction.atomic
def do_restock(*, source, destination, quantities, by):
    """Move several items from one location to another: all of them, or none.

    `quantities` is {Item: units}. A shortage of any one item refuses the
    whole restock, naming the item, so a bag is never half-filled by mistake.
    """
    wanted = {item: quantity for item, quantity in quantities.items() if quantity}
    if not wanted:
        raise ValidationError(_("Enter how many of at least one item to move."))
    movements = []
    for item, quantity in sorted(wanted.items(), key=lambda pair: pair[0].pk):
        movements.extend(
            do_transfer_stock(
                source=source, destination=destination, item=item, quantity=quantity, by=by
            )
        )
    return movements
