"""Generate a large synthetic program for the benchmarks. No real people.

Usage (from the repository root)::

    HAVEN_SQLITE_PATH=var/bench.sqlite3 .venv/bin/python bench/generate.py --scale full
    DATABASE_URL=postgres://... .venv/bin/python bench/generate.py --scale small --seed 7

The database is migrated first. A database that already holds staff,
participants, contacts or stock is refused unless ``--force`` is given, which
empties it (``manage.py flush``) before generating.

The shape, at ``--scale full`` (DESIGN.md, "Scale and speed targets"):

- 8 sites (drop-in, fixed, mobile, street, mail) and 60 staff: 46 specialists,
  8 supervisors (one per site), 4 managers, an analyst and an admin. All
  share the password ``haven-bench``. ``specialist-001`` to ``-011`` carry a
  bag and hand out from it; the others hand out from their site's shelf or van.
- 20 stock locations: one warehouse, one shelf or van per site, 11 bags.
- 200 items (the usual harm reduction supplies first, then variants), 12
  services, 2 kits, reorder points for the usual items everywhere.
- 50,000 participants with valid card codes, enrolled over 5 years (a quarter
  in the first month, as a program moving an existing caseload in); 40 % have
  an alias, 30 % a UIC.
- 1,000,000 contacts spread evenly over 5 years ending at midnight UTC of
  ``--until`` (default today), 85 % with a participant enrolled before the
  contact, 15 % anonymous. Each has 1 to 8 supply lines (items drawn with a
  long-tailed popularity) and 0 to 2 services; 0.2 % carry an encrypted note.
  ``submission_fingerprint`` is a random 64-hex string.
- About 4,000,000 stock movements, written as the app would write them:
  every 30 days the warehouse receives a new lot of each item it runs short of
  (naloxone, test strips and wound care are lot-tracked with expiry dates, the
  rest use the blank lot), each location is topped up from the warehouse by a
  transfer pair (out and in, sharing a transfer group) when it holds less
  than the coming 30 days' hand-outs, and every supply line of a contact is a
  ``distribute`` movement (two when it spans two lots) linked to the contact,
  drawn first-expiry-first-out from the location the staff member draws from.
  A few count adjustments take stock away after counts.
- StockBalance rows hold the running totals: per (location, lot) exactly the
  sum of the movements, never negative.

Deterministic: the same ``--seed``, ``--scale`` and ``--until`` give the same
rows (primary keys included). Rows are written with COPY on PostgreSQL and
executemany on SQLite, not through per-row ORM saves; small catalogue tables
use bulk_create.
"""

import argparse
import bisect
import datetime
import math
import os
import random
import sys
import time
import uuid
from collections import defaultdict, deque
from dataclasses import dataclass
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
PASSWORD = "haven-bench"
PERIOD_DAYS = 30
NOTE_FRACTION = 0.002


@dataclass(frozen=True)
class Scale:
    participants: int
    encounters: int
    items: int
    years: int


SCALES = {
    "full": Scale(participants=50_000, encounters=1_000_000, items=200, years=5),
    "small": Scale(participants=2_000, encounters=20_000, items=60, years=2),
    "tiny": Scale(participants=50, encounters=300, items=20, years=1),
}

SITES = [
    ("Downtown Drop-in", "drop_in", "85281"),
    ("Westside Health Hub", "fixed", "85201"),
    ("Northside Clinic", "fixed", "85251"),
    ("Eastside Van", "mobile", "85282"),
    ("Southside Van", "mobile", "85283"),
    ("Riverbed Outreach", "street", "Rio Salado"),
    ("Canal Path Outreach", "street", "Grand Canal"),
    ("Mail-based Distribution", "mail", "85004"),
]
CONTACT_TYPE_FOR_SITE = {
    "drop_in": "fixed",
    "fixed": "fixed",
    "mobile": "mobile",
    "street": "street",
    "mail": "mail",
}
SPECIALISTS = 46
BAG_HOLDERS = 11
MANAGERS = 4

# (name, category, reporting group, unit, naloxone doses, most per contact, usual, quantities)
BASE_ITEMS = [
    ("Syringes 1cc 29G", "injection", "syringes", "each", 0, 500, True, (10, 100)),
    ("Naloxone nasal spray (2-pack)", "naloxone", "naloxone_nasal", "kit", 2, 10, True, (1, 2)),
    ("Fentanyl test strips", "test_strips", "fentanyl_strips", "each", 0, 50, True, (2, 10)),
    ("Cookers", "injection", "other", "each", 0, 100, True, (2, 20)),
    ("Cottons", "injection", "other", "each", 0, 100, True, (5, 30)),
    ("Alcohol pads", "injection", "other", "each", 0, 200, True, (5, 40)),
    ("Safer smoking kit", "smoking", "smoking_kits", "kit", 0, 20, True, (1, 4)),
    ("Xylazine test strips", "test_strips", "xylazine_strips", "each", 0, 50, True, (2, 10)),
    ("Tourniquets", "injection", "other", "each", 0, 20, True, (1, 3)),
    ("Condoms", "safer_sex", "condoms", "each", 0, 100, True, (3, 24)),
    ("Wound care kit", "wound_care", "wound_care_kits", "kit", 0, 10, True, (1, 2)),
    ("Sterile water ampoules", "injection", "other", "each", 0, 100, True, (5, 20)),
    ("Syringes 1cc 27G", "injection", "syringes", "each", 0, 500, False, (10, 100)),
    ("Syringes 3cc", "injection", "syringes", "each", 0, 500, False, (5, 50)),
    ("Naloxone injectable kit", "naloxone", "naloxone_injectable", "kit", 3, 10, False, (1, 2)),
    ("Sharps container (1 qt)", "injection", "other", "each", 0, 5, False, (1, 1)),
    ("Glass stems", "smoking", "other", "each", 0, 20, False, (1, 5)),
    ("Mouthpieces", "smoking", "other", "each", 0, 50, False, (2, 10)),
    ("Foil sheets", "smoking", "other", "each", 0, 50, False, (5, 20)),
    ("Hygiene kit", "hygiene", "other", "kit", 0, 10, False, (1, 2)),
]
LOT_TRACKED = {"naloxone", "test_strips", "wound_care"}
VARIANT_NOUNS = [
    ("Gauze pads", "wound_care"),
    ("Bandages", "wound_care"),
    ("Antibiotic ointment", "wound_care"),
    ("Saline wash", "wound_care"),
    ("Socks", "hygiene"),
    ("Toothbrush", "hygiene"),
    ("Hand sanitiser", "hygiene"),
    ("Lip balm", "hygiene"),
    ("Sunscreen", "hygiene"),
    ("Tampons", "hygiene"),
    ("Lubricant", "safer_sex"),
    ("Internal condoms", "safer_sex"),
    ("Dental dams", "safer_sex"),
    ("Pipe screens", "smoking"),
    ("Push sticks", "smoking"),
    ("Snorting straws", "other"),
    ("Vitamin C ascorbic", "injection"),
    ("Filters", "injection"),
    ("Needle tips", "injection"),
    ("Benzodiazepine test strips", "test_strips"),
    ("Water bottle", "other"),
    ("Snack pack", "other"),
    ("Emergency blanket", "other"),
    ("Rain poncho", "other"),
]
VARIANT_SIZES = ["small", "medium", "large", "travel size", "bulk", "type A", "type B", "type C"]

SERVICES = [
    ("overdose-education", "Overdose response education", "education"),
    ("safer-use-education", "Safer use education", "education"),
    ("infection-prevention", "HIV/HCV prevention education", "education"),
    ("emotional-support", "Emotional support", "support"),
    ("wound-care", "Wound care", "health"),
    ("hiv-test", "HIV test", "testing"),
    ("hcv-test", "HCV test", "testing"),
    ("medicaid-help", "Medicaid enrollment help", "paperwork"),
    ("id-help", "ID replacement help", "paperwork"),
    ("housing-referral", "Housing referral", "other"),
    ("moud-referral", "MOUD referral", "health"),
    ("food-help", "Food assistance", "other"),
]
ALIASES = [
    "Sunny", "Bird", "Tex", "Mija", "Red", "Smokey", "Lucky", "Chico", "Jojo", "Boots",
    "Peanut", "Ace", "Rocky", "Dee", "Flaco", "Blue", "Tiny", "Shorty", "Doc", "Angel",
]  # fmt: skip
NOTES = [
    "Asked about Medicaid; will bring proof of address next time.",
    "Looking for a bed at a shelter this week.",
    "Used naloxone on a friend on Saturday; friend is okay.",
    "Wound on left forearm looks better than last week.",
    "Interested in buprenorphine, wants to talk more next visit.",
]


def setup_django():
    sys.path.insert(0, str(BASE_DIR))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "haven.settings")
    import django

    django.setup()


# ---------------------------------------------------------------- writing rows


class RowWriter:
    """Appends rows to tables fast: COPY on PostgreSQL, executemany on SQLite.

    Columns a caller does not give get the field's default, so that a column
    added to a model later does not break the generator.
    """

    def __init__(self, connection):
        self.connection = connection
        self.vendor = connection.vendor
        self.counts = defaultdict(int)
        self._plans = {}

    def datetime(self, epoch_seconds):
        text = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(epoch_seconds))
        return text + "+00" if self.vendor == "postgresql" else text

    def _plan(self, model, fields):
        key = (model, tuple(fields))
        if key not in self._plans:
            meta = model._meta
            given = [meta.get_field(name) for name in fields]
            given_columns = {field.column for field in given}
            extras = [
                field
                for field in meta.concrete_fields
                if field.column not in given_columns and not field.primary_key
            ]
            extra_values = tuple(
                None if field.null else field.get_db_prep_save(field.get_default(), self.connection)
                for field in extras
            )
            columns = [field.column for field in given + extras]
            quote = self.connection.ops.quote_name
            self._plans[key] = (
                meta.db_table,
                ", ".join(quote(column) for column in columns),
                len(columns),
                extra_values,
            )
        return self._plans[key]

    def write(self, model, fields, rows):
        if not rows:
            return
        table, columns, width, extra_values = self._plan(model, fields)
        if extra_values:
            rows = [row + extra_values for row in rows]
        raw = self.connection.connection
        quoted_table = self.connection.ops.quote_name(table)
        if self.vendor == "postgresql":
            with raw.cursor() as cursor:
                with cursor.copy(f"COPY {quoted_table} ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
        else:
            placeholders = ", ".join(["?"] * width)
            cursor = raw.cursor()
            cursor.executemany(
                f"INSERT INTO {quoted_table} ({columns}) VALUES ({placeholders})", rows
            )
            cursor.close()
        self.counts[model._meta.label] += len(rows)


# ---------------------------------------------------------------- the program


def make_catalogue(rng, scale, start_epoch):
    """Sites, staff, items, services, kits, locations: small tables, through the ORM."""
    from django.contrib.auth.hashers import make_password

    from haven.accounts.models import Site, User
    from haven.outreach.models import Service
    from haven.supplies.models import Item, Kit, KitComponent, ReorderPoint, StockLocation

    sites = Site.objects.bulk_create(
        Site(name=name, kind=kind, area=area) for name, kind, area in SITES
    )
    password = make_password(PASSWORD)
    joined = datetime.datetime.fromtimestamp(start_epoch, tz=datetime.UTC)
    users = []
    for index in range(SPECIALISTS):
        users.append(User(username=f"specialist-{index + 1:03d}", role="specialist"))
    for index in range(len(sites)):
        users.append(User(username=f"supervisor-{index + 1:02d}", role="supervisor"))
    for index in range(MANAGERS):
        users.append(User(username=f"manager-{index + 1}", role="manager"))
    users.append(User(username="analyst", role="analyst"))
    users.append(User(username="admin", role="admin", is_staff=True, is_superuser=True))
    for user in users:
        user.password = password
        user.date_joined = joined
    users = User.objects.bulk_create(users)
    specialists = users[:SPECIALISTS]
    supervisors = users[SPECIALISTS : SPECIALISTS + len(sites)]
    managers = users[SPECIALISTS + len(sites) : SPECIALISTS + len(sites) + MANAGERS]

    sites_of = {}
    for index, user in enumerate(specialists):
        first = sites[index % len(sites)]
        chosen = [first]
        if rng.random() < 0.4:
            chosen.append(rng.choice([site for site in sites if site != first]))
        sites_of[user.pk] = chosen
    for index, user in enumerate(supervisors):
        sites_of[user.pk] = [sites[index]]
    for user in managers:
        sites_of[user.pk] = list(sites)
    Through = User.sites.through
    Through.objects.bulk_create(
        Through(user_id=user_id, site_id=site.pk)
        for user_id, chosen in sites_of.items()
        for site in chosen
    )

    warehouse = StockLocation(name="Central warehouse", kind="warehouse")
    site_locations = [
        StockLocation(
            name=f"{site.name} {'van' if site.kind == 'mobile' else 'shelf'}",
            kind="mobile" if site.kind == "mobile" else "site",
            site=site,
        )
        for site in sites
    ]
    bags = [
        StockLocation(
            name=f"Bag of {user.username}",
            kind="bag",
            site=sites_of[user.pk][0],
            holder=user,
            allow_unrecorded_stock=index % 2 == 0,
        )
        for index, user in enumerate(specialists[:BAG_HOLDERS])
    ]
    locations = StockLocation.objects.bulk_create([warehouse, *site_locations, *bags])
    warehouse, site_locations, bags = (
        locations[0],
        locations[1 : 1 + len(sites)],
        locations[-len(bags) :],
    )
    location_of_site = {location.site_id: location for location in site_locations}
    bag_of = {}
    for user, bag in zip(specialists[:BAG_HOLDERS], bags, strict=True):
        user.draw_from = bag
        bag_of[user.pk] = bag
    for user in users:
        if user.pk in sites_of and user.role != "manager":
            user.current_site = sites_of[user.pk][0]
    User.objects.bulk_update(users, ["draw_from", "current_site"])

    item_specs = []
    for name, category, group, unit, doses, most, usual, quantities in BASE_ITEMS[: scale.items]:
        item_specs.append((name, category, group, unit, doses, most, usual, quantities))
    variants = [
        (noun, category, size) for size in VARIANT_SIZES for noun, category in VARIANT_NOUNS
    ]
    for noun, category, size in variants[: max(0, scale.items - len(item_specs))]:
        item_specs.append((f"{noun} ({size})", category, "other", "each", 0, 50, False, (1, 5)))
    items = Item.objects.bulk_create(
        Item(
            name=name,
            category=category,
            reporting_group=group,
            unit=unit,
            doses_per_unit=doses,
            max_per_contact=most,
            usual=usual,
            sort_order=index,
        )
        for index, (name, category, group, unit, doses, most, usual, _q) in enumerate(item_specs)
    )
    quantities = {item.pk: spec[7] for item, spec in zip(items, item_specs, strict=True)}

    services = Service.objects.bulk_create(
        Service(code=code, name=name, kind=kind, sort_order=index)
        for index, (code, name, kind) in enumerate(SERVICES)
    )
    by_name = {item.name: item for item in items}
    kit_specs = [
        ("Injection kit", {"Syringes 1cc 29G": 10, "Cookers": 2, "Cottons": 5, "Alcohol pads": 10}),
        ("Overdose response kit", {"Naloxone nasal spray (2-pack)": 1, "Fentanyl test strips": 5}),
    ]
    for kit_name, components in kit_specs:
        if all(name in by_name for name in components):
            kit = Kit.objects.create(name=kit_name)
            KitComponent.objects.bulk_create(
                KitComponent(kit=kit, item=by_name[name], quantity=quantity)
                for name, quantity in components.items()
            )
    usual_items = [item for item in items if item.usual]
    ReorderPoint.objects.bulk_create(
        ReorderPoint(
            location=location,
            item=item,
            minimum=(500 if location.kind == "warehouse" else 50 if location.kind != "bag" else 10),
        )
        for location in locations
        for item in usual_items
    )
    field_staff = specialists + supervisors
    # Specialists log about nine contacts in ten.
    staff_weights = [9.0 / len(specialists)] * len(specialists) + [1.0 / len(supervisors)] * len(
        supervisors
    )
    return {
        "sites": sites,
        "users": users,
        "field_staff": field_staff,
        "staff_cum_weights": _cumulative(staff_weights),
        "sites_of": sites_of,
        "bag_of": bag_of,
        "location_of_site": location_of_site,
        "warehouse": warehouse,
        "supervisor_of_site": dict(zip([site.pk for site in sites], supervisors, strict=True)),
        "manager": managers[0],
        "locations": locations,
        "items": items,
        "quantities": quantities,
        "services": services,
    }


def _cumulative(weights):
    total, out = 0.0, []
    for weight in weights:
        total += weight
        out.append(total)
    return out


def make_participants(rng, writer, scale, catalogue, start_epoch, end_epoch):
    """Participants with valid, distinct card codes, in enrolment order. Returns enrolment times."""
    from haven.participants import codes
    from haven.participants.models import Participant

    span = end_epoch - start_epoch
    enrolled = []
    for _ in range(scale.participants):
        if rng.random() < 0.25:
            enrolled.append(start_epoch + rng.random() * PERIOD_DAYS * 86400)
        else:
            enrolled.append(start_epoch + rng.random() * (span - 86400))
    enrolled.sort()
    genders = ["woman", "man", "trans_woman", "trans_man", "non_binary", "other", "declined"]
    races = [
        "american_indian", "asian", "black", "hispanic", "pacific_islander", "white",
        "multiple", "other", "declined",
    ]  # fmt: skip
    gender_weights = _cumulative([30, 45, 4, 2, 3, 1, 5])
    race_weights = _cumulative([6, 2, 9, 30, 1, 40, 5, 2, 5])
    sites = catalogue["sites"]
    creators = [user.pk for user in catalogue["field_staff"]]
    seen = set()
    rows = []
    for index, at in enumerate(enrolled, start=1):
        code = codes.generate(rng)
        while code in seen:
            code = codes.generate(rng)
        seen.add(code)
        alias = f"{rng.choice(ALIASES)} {index}" if rng.random() < 0.4 else ""
        year = rng.randint(1955, 2005) if rng.random() < 0.85 else None
        uic = ""
        if year is not None and rng.random() < 0.3:
            letters = rng.choice("BCDGJKLMNPRST") + rng.choice("AEIOU")
            uic = f"{letters}{rng.randint(1, 28):02d}{year}"
        rows.append(
            (
                index,
                code,
                uic,
                alias,
                alias.casefold(),
                year,
                rng.choices(genders, cum_weights=gender_weights)[0],
                rng.choices(races, cum_weights=race_weights)[0],
                rng.choice(["85281", "85282", "85283", "85201", "85004", ""]),
                writer.datetime(at),
                rng.choice(sites).pk,
                rng.choice(creators),
            )
        )
    fields = [
        "id", "card_code", "uic", "alias", "alias_folded", "year_of_birth", "gender",
        "race_ethnicity", "zip_code", "enrolled_at", "enrolled_site", "created_by",
    ]  # fmt: skip
    for chunk_start in range(0, len(rows), 50_000):
        writer.write(Participant, fields, rows[chunk_start : chunk_start + 50_000])
    return enrolled


class Ledger:
    """The stock the generator has handed out so far, lot by lot, first expiry first out."""

    def __init__(self):
        # (location_id, item_id) -> deque of [lot_id, quantity], oldest lot first.
        self.lots = defaultdict(deque)
        self.balances = defaultdict(int)  # (location_id, lot_id) -> quantity
        self.item_of_lot = {}

    def on_hand(self, location_id, item_id):
        return sum(quantity for _lot, quantity in self.lots[(location_id, item_id)])

    def put(self, location_id, item_id, lot_id, quantity):
        queue = self.lots[(location_id, item_id)]
        if queue and queue[-1][0] == lot_id:
            queue[-1][1] += quantity
        else:
            queue.append([lot_id, quantity])
        self.balances[(location_id, lot_id)] += quantity

    def take(self, location_id, item_id, quantity):
        """[(lot_id, taken)], oldest first. The caller has made sure there is enough."""
        queue = self.lots[(location_id, item_id)]
        taken = []
        while quantity:
            entry = queue[0]
            take = min(entry[1], quantity)
            taken.append((entry[0], take))
            entry[1] -= take
            quantity -= take
            self.balances[(location_id, entry[0])] -= take
            if not entry[1]:
                queue.popleft()
        return taken


MOVEMENT_FIELDS = [
    "id", "kind", "location", "item", "lot", "quantity", "occurred_at", "recorded_at",
    "recorded_by", "encounter", "transfer_group", "supplier", "reason", "needs_review",
]  # fmt: skip
ENCOUNTER_FIELDS = [
    "id", "client_uuid", "submission_fingerprint", "occurred_at", "site", "staff",
    "participant", "anonymous_people", "contact_type", "secondary_people", "note",
    "created_at", "updated_at",
]  # fmt: skip


def generate(scale, *, seed=2026, until=None, out=print):
    """Write the program described in the module docstring into the default database."""
    from django.db import connection, transaction

    from haven.core import crypto
    from haven.outreach.models import Encounter, EncounterSupply
    from haven.supplies.models import Lot, StockBalance, StockMovement

    if isinstance(scale, str):
        scale = SCALES[scale]
    started = time.monotonic()
    rng = random.Random(seed)
    until = until or datetime.datetime.now(datetime.UTC).date()
    end_epoch = datetime.datetime.combine(until, datetime.time(), tzinfo=datetime.UTC).timestamp()
    start_epoch = end_epoch - round(scale.years * 365.25) * 86400
    writer = RowWriter(connection)
    if connection.vendor == "sqlite" and not connection.in_atomic_block:
        # A bigger page cache and no fsync per commit: a lost benchmark
        # database is simply generated again.
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size = -400000")
            cursor.execute("PRAGMA synchronous = OFF")

    def progress(message):
        out(f"[{time.monotonic() - started:7.1f}s] {message}")

    with transaction.atomic():
        catalogue = make_catalogue(rng, scale, start_epoch)
        enrolled = make_participants(rng, writer, scale, catalogue, start_epoch, end_epoch)
    progress(f"{scale.participants:,} participants")

    items = catalogue["items"]
    item_ids = [item.pk for item in items]
    lot_tracked = {item.pk for item in items if item.category in LOT_TRACKED}
    # Lot numbers name items by their place in the catalogue, not by database
    # id, so that they do not depend on where the database's sequences stand.
    item_rank = {item.pk: rank for rank, item in enumerate(items, start=1)}
    shelf_life_days = {item.pk: 1095 if item.category == "naloxone" else 730 for item in items}
    quantity_range = catalogue["quantities"]
    most_per_contact = {item.pk: item.max_per_contact for item in items}
    # Long-tailed popularity: the usual items first, then a Zipf-like tail.
    item_cum_weights = _cumulative(
        [(8.0 if item.usual else 1.0) / (rank + 1) ** 0.9 for rank, item in enumerate(items)]
    )
    # Popular items come up twice in a draw and count once, so about 3.7 lines remain.
    line_counts = [1, 2, 3, 4, 5, 6, 7, 8]
    line_cum_weights = _cumulative([5, 10, 15, 20, 20, 15, 10, 5])
    service_ids = [service.pk for service in catalogue["services"]]
    field_staff = catalogue["field_staff"]
    staff_cum_weights = catalogue["staff_cum_weights"]
    sites_of = catalogue["sites_of"]
    bag_of = catalogue["bag_of"]
    location_of_site = catalogue["location_of_site"]
    supervisor_of_site = catalogue["supervisor_of_site"]
    site_kind = {site.pk: site.kind for site in catalogue["sites"]}
    location_site = {location.pk: location.site_id for location in catalogue["locations"]}
    warehouse_id = catalogue["warehouse"].pk
    manager_id = catalogue["manager"].pk
    adjusted_reason = "Count was lower than the records"

    ledger = Ledger()
    unlotted = {}
    next_id = defaultdict(lambda: 1)

    def new_id(table):
        value = next_id[table]
        next_id[table] = value + 1
        return value

    # All contact times, sorted, so that ids follow time as they do in a live program.
    span = end_epoch - start_epoch
    times = sorted(
        start_epoch + 3600 + rng.random() * (span - 3600) for _ in range(scale.encounters)
    )
    periods = math.ceil(span / (PERIOD_DAYS * 86400))
    cursor_index = 0
    Through = Encounter.services.through
    for period in range(periods):
        period_start = start_epoch + period * PERIOD_DAYS * 86400
        period_end = min(end_epoch, period_start + PERIOD_DAYS * 86400)
        first = cursor_index
        while cursor_index < len(times) and times[cursor_index] < period_end:
            cursor_index += 1
        period_times = times[first:cursor_index]

        # 1. The contacts of this period and what they hand out.
        contacts = []
        demand = defaultdict(int)
        for at in period_times:
            staff = rng.choices(field_staff, cum_weights=staff_cum_weights)[0]
            site = rng.choice(sites_of[staff.pk])
            location = bag_of.get(staff.pk) or location_of_site[site.pk]
            known = bisect.bisect_right(enrolled, at)
            participant = rng.randrange(known) + 1 if known and rng.random() < 0.85 else None
            lines = {}
            for item_id in rng.choices(
                item_ids,
                cum_weights=item_cum_weights,
                k=rng.choices(line_counts, cum_weights=line_cum_weights)[0],
            ):
                if item_id not in lines:
                    low, high = quantity_range[item_id]
                    lines[item_id] = min(rng.randint(low, high), most_per_contact[item_id])
                    demand[(location.pk, item_id)] += lines[item_id]
            contacts.append((at, staff, site, location, participant, lines))

        # 2. Top up each location that holds less than this period's hand-outs,
        # and receive at the warehouse what the top-ups need.
        top_ups = []
        warehouse_need = defaultdict(int)
        for (location_id, item_id), wanted in sorted(demand.items()):
            held = ledger.on_hand(location_id, item_id)
            if held < wanted:
                quantity = math.ceil(wanted * 1.25) - held
                top_ups.append((location_id, item_id, quantity))
                warehouse_need[item_id] += quantity
        movements, lots = [], []
        receive_at = writer.datetime(period_start)
        transfer_at = writer.datetime(period_start + 60)
        receive_date = datetime.datetime.fromtimestamp(period_start, tz=datetime.UTC).date()
        for item_id in sorted(warehouse_need):
            held = ledger.on_hand(warehouse_id, item_id)
            if held >= warehouse_need[item_id]:
                continue
            quantity = math.ceil((warehouse_need[item_id] * 1.5 - held) / 10) * 10
            if item_id in lot_tracked:
                lot_id = new_id("lot")
                expires = receive_date + datetime.timedelta(days=shelf_life_days[item_id])
                lots.append(
                    (
                        lot_id,
                        item_id,
                        f"L{item_rank[item_id]:03d}-{period:03d}",
                        expires.isoformat(),
                    )
                )
                ledger.item_of_lot[lot_id] = item_id
            else:
                if item_id not in unlotted:
                    unlotted[item_id] = new_id("lot")
                    lots.append((unlotted[item_id], item_id, "", None))
                    ledger.item_of_lot[unlotted[item_id]] = item_id
                lot_id = unlotted[item_id]
            ledger.put(warehouse_id, item_id, lot_id, quantity)
            supplier = "State naloxone program" if item_id in lot_tracked else "Distributor"
            movements.append(
                (new_id("movement"), "receive", warehouse_id, item_id, lot_id, quantity,
                 receive_at, receive_at, manager_id, None, None, supplier, "", False)
            )  # fmt: skip
        for location_id, item_id, quantity in top_ups:
            group = uuid.UUID(int=rng.getrandbits(128), version=4).hex
            by = supervisor_of_site.get(location_site[location_id], catalogue["manager"]).pk
            for lot_id, taken in ledger.take(warehouse_id, item_id, quantity):
                ledger.put(location_id, item_id, lot_id, taken)
                movements.append(
                    (new_id("movement"), "transfer_out", warehouse_id, item_id, lot_id, -taken,
                     transfer_at, transfer_at, by, None, group, "", "", False)
                )  # fmt: skip
                movements.append(
                    (new_id("movement"), "transfer_in", location_id, item_id, lot_id, taken,
                     transfer_at, transfer_at, by, None, group, "", "", False)
                )  # fmt: skip
            # Now and then a count finds less than the records: an adjustment,
            # never so large that this period's hand-outs are no longer covered.
            spare = ledger.on_hand(location_id, item_id) - demand[(location_id, item_id)]
            missing = min(rng.randint(1, 3), spare) if rng.random() < 0.03 else 0
            if missing > 0:
                count_at = writer.datetime(period_start + 120)
                for lot_id, taken in ledger.take(location_id, item_id, missing):
                    movements.append(
                        (new_id("movement"), "adjust", location_id, item_id, lot_id, -taken,
                         count_at, count_at, by, None, None, "", adjusted_reason, False)
                    )  # fmt: skip

        # 3. The contacts' rows, drawing each supply line first expiry first out.
        encounters, supply_lines, service_links = [], [], []
        for at, staff, site, location, participant, lines in contacts:
            encounter_id = new_id("encounter")
            when = writer.datetime(at)
            note = crypto.encrypt(rng.choice(NOTES)) if rng.random() < NOTE_FRACTION else ""
            encounters.append(
                (
                    encounter_id,
                    uuid.UUID(int=rng.getrandbits(128), version=4).hex,
                    f"{rng.getrandbits(256):064x}",
                    when,
                    site.pk,
                    staff.pk,
                    participant,
                    0 if participant else rng.randint(1, 4),
                    CONTACT_TYPE_FOR_SITE[site_kind[site.pk]],
                    rng.choice((0, 0, 0, 1, 2, 3)),
                    note,
                    when,
                    when,
                )
            )
            for service_id in rng.sample(service_ids, rng.choice((0, 0, 1, 1, 1, 2))):
                service_links.append((new_id("service_link"), encounter_id, service_id))
            for item_id, quantity in lines.items():
                supply_lines.append((new_id("supply"), encounter_id, item_id, quantity))
                for lot_id, taken in ledger.take(location.pk, item_id, quantity):
                    movements.append(
                        (new_id("movement"), "distribute", location.pk, item_id, lot_id, -taken,
                         when, when, staff.pk, encounter_id, None, "", "", False)
                    )  # fmt: skip

        with transaction.atomic():
            writer.write(Lot, ["id", "item", "number", "expires_on"], lots)
            writer.write(Encounter, ENCOUNTER_FIELDS, encounters)
            writer.write(EncounterSupply, ["id", "encounter", "item", "quantity"], supply_lines)
            writer.write(Through, ["id", "encounter", "service"], service_links)
            writer.write(StockMovement, MOVEMENT_FIELDS, movements)
        if period % 6 == 5 or period == periods - 1:
            progress(
                f"period {period + 1}/{periods}: "
                f"{writer.counts['outreach.Encounter']:,} contacts, "
                f"{writer.counts['supplies.StockMovement']:,} movements"
            )

    balance_rows = [
        (index, location_id, lot_id, ledger.item_of_lot[lot_id], quantity)
        for index, ((location_id, lot_id), quantity) in enumerate(
            sorted(ledger.balances.items()), start=1
        )
    ]
    with transaction.atomic():
        writer.write(StockBalance, ["id", "location", "lot", "item", "quantity"], balance_rows)
    # The contacts were written past the actions that keep the report summaries.
    from haven.reports.summaries import rebuild_all

    rebuild_all()
    progress("report summaries rebuilt")
    _after_load(connection, progress)
    progress("done: " + ", ".join(f"{label} {n:,}" for label, n in sorted(writer.counts.items())))
    return dict(writer.counts)


def _after_load(connection, progress):
    """Let the database catch up with a bulk load, as it would in a live program."""
    from django.apps import apps
    from django.core.management.color import no_style

    if connection.vendor == "postgresql":
        models = [
            model
            for model in apps.get_models(include_auto_created=True)
            if model._meta.app_label != "contenttypes"
        ]
        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(no_style(), models):
                cursor.execute(statement)
            if not connection.in_atomic_block:
                # Autovacuum would get there by itself within minutes; do it now.
                cursor.execute("VACUUM ANALYZE")
        progress("sequences reset, VACUUM ANALYZE done")
    elif not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        progress("WAL checkpointed")


def check_invariants(*, per_encounter=True):
    """The app's rules, checked on the generated rows. Returns a list of problems (empty: fine).

    `per_encounter` also matches every contact's supply lines against its
    hand-out movements, which reads the whole ledger into memory.
    """
    from django.db.models import Count, F, Q, Sum

    from haven.outreach.models import Encounter, EncounterSupply
    from haven.participants import codes
    from haven.participants.models import Participant
    from haven.supplies.models import StockBalance, StockMovement

    problems = []
    ledger = {
        (row["location_id"], row["lot_id"]): row["n"]
        for row in StockMovement.objects.order_by()
        .values("location_id", "lot_id")
        .annotate(n=Sum("quantity"))
    }
    balances = {
        (row["location_id"], row["lot_id"]): row["quantity"]
        for row in StockBalance.objects.values("location_id", "lot_id", "quantity")
    }
    for key in set(ledger) | set(balances):
        if ledger.get(key, 0) != balances.get(key, 0):
            problems.append(f"balance {key} is {balances.get(key)}, ledger says {ledger.get(key)}")
    if StockBalance.objects.filter(quantity__lt=0).exists():
        problems.append("a balance is negative")
    if StockBalance.objects.exclude(item_id=F("lot__item_id")).exists():
        problems.append("a balance's item is not its lot's item")
    if StockMovement.objects.exclude(item_id=F("lot__item_id")).exists():
        problems.append("a movement's item is not its lot's item")
    if StockMovement.objects.filter(kind="distribute", encounter__isnull=True).exists():
        problems.append("a hand-out is not linked to a contact")
    unbalanced = (
        StockMovement.objects.filter(transfer_group__isnull=False)
        .order_by()
        .values("transfer_group")
        .annotate(n=Sum("quantity"))
        .exclude(n=0)
    )
    if unbalanced.exists():
        problems.append("a transfer's two sides do not cancel out")
    bad_codes = [
        c for c in Participant.objects.values_list("card_code", flat=True) if not codes.is_valid(c)
    ]
    if bad_codes:
        problems.append(f"{len(bad_codes)} card codes are invalid, e.g. {bad_codes[0]}")
    if Encounter.objects.filter(occurred_at__lt=F("participant__enrolled_at")).exists():
        problems.append("a contact happened before its participant enrolled")
    if Encounter.objects.exclude(
        Q(participant__isnull=False, anonymous_people=0)
        | Q(participant__isnull=True, anonymous_people__gte=1)
    ).exists():
        problems.append("a contact is both anonymous and with a participant, or neither")
    if Encounter.objects.exclude(submission_fingerprint__regex=r"^[0-9a-f]{64}$").exists():
        problems.append("a contact has no fingerprint")
    no_lines = Encounter.objects.annotate(n=Count("supplies")).filter(n=0)
    if no_lines.exists():
        problems.append("a contact has no supply lines")
    if per_encounter:
        handed_out = defaultdict(int)
        for encounter_id, item_id, quantity in StockMovement.objects.filter(
            encounter__isnull=False
        ).values_list("encounter_id", "item_id", "quantity"):
            handed_out[(encounter_id, item_id)] -= quantity
        lines = {
            (encounter_id, item_id): quantity
            for encounter_id, item_id, quantity in EncounterSupply.objects.values_list(
                "encounter_id", "item_id", "quantity"
            )
        }
        if lines != dict(handed_out):
            wrong = sorted(set(lines.items()) ^ set(handed_out.items()))[:3]
            problems.append(f"contacts' supply lines differ from their hand-outs, e.g. {wrong}")
    return problems


def database_is_empty():
    from haven.accounts.models import Site, User
    from haven.outreach.models import Encounter
    from haven.participants.models import Participant
    from haven.supplies.models import Item, StockLocation, StockMovement

    models = [User, Site, Participant, Encounter, Item, StockLocation, StockMovement]
    return not any(model.objects.exists() for model in models)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="small")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--until",
        type=datetime.date.fromisoformat,
        default=None,
        help="last day (exclusive) of the generated history, YYYY-MM-DD; default today (UTC)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="afterwards, check the ledger and contacts against the app's rules",
    )
    parser.add_argument(
        "--force", action="store_true", help="empty a non-empty database first (manage.py flush)"
    )
    args = parser.parse_args(argv)
    setup_django()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0, interactive=False)
    where = connection.settings_dict["NAME"]
    if not database_is_empty():
        if not args.force:
            print(
                f"{where} already holds data. Point HAVEN_SQLITE_PATH (e.g. var/bench.sqlite3) "
                "or DATABASE_URL at a fresh database, or give --force to empty this one.",
                file=sys.stderr,
            )
            return 2
        print(f"--force: emptying {where}")
        call_command("flush", verbosity=0, interactive=False)
    print(f"Generating --scale {args.scale} --seed {args.seed} into {connection.vendor} {where}")
    generate(args.scale, seed=args.seed, until=args.until)
    if args.check:
        problems = check_invariants()
        for problem in problems:
            print("PROBLEM:", problem, file=sys.stderr)
        print("Invariants hold." if not problems else f"{len(problems)} problems.")
        return 1 if problems else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
