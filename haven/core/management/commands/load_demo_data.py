"""A realistic synthetic program for demos and manual testing. No real people.

Deterministic for a seed: the same seed on the same day gives the same data.
Running it again when the demo accounts exist does nothing.
"""

import datetime
import random
import uuid

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from haven.accounts.models import Site
from haven.outreach.actions import EncounterData
from haven.outreach.models import Encounter, EncounterSupply, Service
from haven.participants.models import Participant
from haven.reports.summaries import rebuild_all as rebuild_report_summaries
from haven.supplies.models import Item

DEMO_PASSWORD = "haven-demo"

SITES = [
    ("Downtown Drop-in", Site.Kind.DROP_IN, "85281"),
    ("Eastside Van", Site.Kind.MOBILE, "85282"),
    ("Riverbed Outreach", Site.Kind.STREET, "Rio Salado"),
]

# (username, role, site indexes)
STAFF = [
    ("specialist", "specialist", [0, 1]),
    ("supervisor", "supervisor", [0, 1]),
    ("manager", "manager", [0, 1, 2]),
    ("analyst", "analyst", []),
    ("admin", "admin", []),
    ("rosa", "specialist", [0]),
    ("devon", "specialist", [2]),
    ("kim", "specialist", [1, 2]),
]

# (name, Spanish name, category, unit, doses per unit, usual, most per contact)
ITEMS = [
    (
        "Naloxone nasal spray (2-pack)",
        "Naloxona en aerosol nasal (2)",
        "naloxone",
        "kit",
        2,
        True,
        10,
    ),
    ("Naloxone injectable kit", "Kit de naloxona inyectable", "naloxone", "kit", 3, False, 10),
    ("Syringes 1cc", "Jeringas 1cc", "injection", "each", 0, True, 500),
    ("Cookers", "Cocinillas", "injection", "each", 0, True, 100),
    ("Cottons", "Algodones", "injection", "each", 0, False, 100),
    ("Tourniquets", "Torniquetes", "injection", "each", 0, False, 20),
    ("Alcohol pads", "Toallitas con alcohol", "injection", "each", 0, True, 200),
    ("Sharps container", "Contenedor de objetos punzantes", "injection", "each", 0, False, 5),
    ("Safer smoking kit", "Kit para fumar más seguro", "smoking", "kit", 0, True, 20),
    ("Fentanyl test strips", "Tiras de prueba de fentanilo", "test_strips", "each", 0, True, 50),
    ("Xylazine test strips", "Tiras de prueba de xilacina", "test_strips", "each", 0, False, 50),
    ("Condoms", "Condones", "safer_sex", "each", 0, False, 100),
    ("Wound care kit", "Kit para heridas", "wound_care", "kit", 0, False, 10),
    ("Hygiene kit", "Kit de higiene", "hygiene", "kit", 0, False, 10),
]

# The funder count each item adds to; the rest count as "other supplies".
ITEM_REPORTING_GROUPS = {
    "Naloxone nasal spray (2-pack)": "naloxone_nasal",
    "Naloxone injectable kit": "naloxone_injectable",
    "Syringes 1cc": "syringes",
    "Fentanyl test strips": "fentanyl_strips",
    "Xylazine test strips": "xylazine_strips",
    "Safer smoking kit": "smoking_kits",
    "Condoms": "condoms",
    "Wound care kit": "wound_care_kits",
}
SERVICE_REPORTING_GROUPS = {
    "overdose-education": "overdose_education",
    "hiv-test": "hiv_test",
    "hcv-test": "hcv_test",
}

# (code, name, Spanish name, kind)
SERVICES = [
    (
        "overdose-education",
        "Overdose response education",
        "Educación sobre sobredosis",
        "education",
    ),
    ("safer-use-education", "Safer use education", "Educación sobre uso más seguro", "education"),
    ("infection-prevention", "HIV/HCV prevention education", "Prevención de VIH/VHC", "education"),
    ("emotional-support", "Emotional support", "Apoyo emocional", "support"),
    ("wound-care", "Wound care", "Cuidado de heridas", "health"),
    ("hiv-test", "HIV test", "Prueba de VIH", "testing"),
    ("hcv-test", "HCV test", "Prueba de VHC", "testing"),
    ("medicaid-help", "Medicaid enrollment help", "Ayuda con Medicaid", "paperwork"),
    ("id-help", "ID replacement help", "Ayuda con identificación", "paperwork"),
]

ALIASES = [
    "Sunny",
    "Bird",
    "Tex",
    "Mija",
    "Red",
    "Smokey",
    "Lucky",
    "Chico",
    "Jojo",
    "Boots",
    "Peanut",
    "Ace",
    "Rocky",
    "Dee",
    "Flaco",
    "Blue",
    "Tiny",
    "Shorty",
    "Doc",
    "Angel",
]
NOTES = [
    "Asked about Medicaid; will bring proof of address next time.",
    "Looking for a bed at a shelter this week.",
    "Used naloxone on a friend on Saturday; friend is okay.",
    "Wound on left forearm looks better than last week.",
    "Interested in buprenorphine, wants to talk more next visit.",
    "Lost ID in a sweep; started replacement paperwork.",
    "Says the blues going around are stronger than usual.",
]


class Command(BaseCommand):
    help = "Load a synthetic demo program (3 sites, 8 staff, ~400 participants, ~8,000 contacts)."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--participants", type=int, default=400)
        parser.add_argument("--contacts", type=int, default=8000)
        parser.add_argument("--days", type=int, default=182)

    def handle(self, *args, seed, participants, contacts, days, **options):
        User = get_user_model()
        if User.objects.filter(username="specialist").exists():
            self.stdout.write("Demo data is already loaded; nothing to do.")
            self.say_where_to_start()
            return
        rng = random.Random(seed)
        with transaction.atomic():
            sites = [
                Site.objects.create(name=name, kind=kind, area=area) for name, kind, area in SITES
            ]
            staff = self.make_staff(User, sites)
            items = [
                Item.objects.create(
                    name=name,
                    name_es=name_es,
                    category=category,
                    unit=unit,
                    doses_per_unit=doses,
                    reporting_group=ITEM_REPORTING_GROUPS.get(name, "other"),
                    usual=usual,
                    max_per_contact=most,
                    sort_order=index,
                )
                for index, (name, name_es, category, unit, doses, usual, most) in enumerate(ITEMS)
            ]
            services = [
                Service.objects.create(
                    code=code,
                    name=name,
                    name_es=name_es,
                    kind=kind,
                    reporting_group=SERVICE_REPORTING_GROUPS.get(code, ""),
                    sort_order=i,
                )
                for i, (code, name, name_es, kind) in enumerate(SERVICES)
            ]
            end = timezone.now().replace(minute=0, second=0, microsecond=0)
            start = end - datetime.timedelta(days=days)
            people = self.make_participants(rng, participants, sites, staff, start, end)
            self.make_contacts(rng, contacts, people, staff, items, services, start, end)
            demo = {
                "rng": rng,
                "sites": sites,
                "staff": staff,
                "participants": people,
                "items": items,
                "services": services,
                "start": start,
                "end": end,
            }
            # Each domain app adds its own demo records here, one call per app.
            for add_demo_records in self.domain_demo_loaders():
                add_demo_records(**demo)
            # Contacts were bulk-created, past the actions that keep these.
            rebuild_report_summaries()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo program loaded: {len(sites)} sites, {len(staff)} staff, "
                f"{len(people)} participants, {contacts} contacts."
            )
        )
        self.say_where_to_start()

    def say_where_to_start(self):
        """A card code to try, so a newcomer can find someone without guessing."""
        from haven.participants.models import Participant

        sample = (
            Participant.objects.filter(merged_into__isnull=True, encounters__isnull=False)
            .order_by("pk")
            .first()
        )
        if sample is not None:
            self.stdout.write(
                f"Try the card code {sample.display_code} on Find a participant "
                "(logged in as specialist)."
            )

    @staticmethod
    def domain_demo_loaders():
        """Functions `add_demo_records(**demo)` from each app's demo.py, in order."""
        from haven.overdose import demo as overdose_demo
        from haven.resources import demo as resources_demo
        from haven.supplies import demo as supplies_demo

        return [
            supplies_demo.add_demo_records,
            resources_demo.add_demo_records,
            overdose_demo.add_demo_records,
        ]

    def make_staff(self, User, sites):
        staff = []
        for username, role, site_indexes in STAFF:
            # The demo admin is the everyday admin role, not a break-glass
            # superuser: the Django admin does not let it in.
            user = User(username=username, role=role)
            user.set_password(DEMO_PASSWORD)
            user.save()
            user.sites.set([sites[i] for i in site_indexes])
            if site_indexes:
                user.current_site = sites[site_indexes[0]]
                user.save(update_fields=["current_site"])
            staff.append(user)
        return staff

    def make_participants(self, rng, count, sites, staff, start, end):
        genders = [choice for choice, _label in Participant.Gender.choices]
        races = [choice for choice, _label in Participant.RaceEthnicity.choices]
        span = (end - start).total_seconds()
        people = []
        for index in range(count):
            people.append(
                Participant(
                    card_code=Participant._unused_code(rng),
                    alias=f"{rng.choice(ALIASES)} {index}" if rng.random() < 0.6 else "",
                    year_of_birth=rng.randint(1955, 2005) if rng.random() < 0.85 else None,
                    gender=rng.choices(genders, weights=[30, 45, 4, 2, 3, 1, 5])[0],
                    race_ethnicity=rng.choices(races, weights=[6, 2, 9, 30, 1, 40, 5, 2, 5])[0],
                    zip_code=rng.choice(["85281", "85282", "85283", "85284", ""]),
                    enrolled_at=start + datetime.timedelta(seconds=rng.uniform(0, span * 0.8)),
                    enrolled_site=rng.choice(sites),
                    created_by=rng.choice(staff[:3]),
                )
            )
        Participant.objects.bulk_create(people, batch_size=500)
        return list(Participant.objects.order_by("pk"))

    def make_contacts(self, rng, count, people, staff, items, services, start, end):
        field_staff = [user for user in staff if user.role in ("specialist", "supervisor")]
        sites_of = {user.pk: list(user.sites.all()) for user in field_staff}
        contact_types = {
            Site.Kind.DROP_IN: "fixed",
            Site.Kind.MOBILE: "mobile",
            Site.Kind.STREET: "street",
        }
        usual_items = [item for item in items if item.usual]
        span = (end - start).total_seconds()
        encounters, lines, service_links = [], [], []
        for _ in range(count):
            user = rng.choice(field_staff)
            site = rng.choice(sites_of[user.pk])
            participant = rng.choice(people) if rng.random() < 0.85 else None
            occurred = start + datetime.timedelta(seconds=rng.uniform(0, span))
            if participant is not None and occurred < participant.enrolled_at:
                occurred = participant.enrolled_at + datetime.timedelta(hours=rng.randint(0, 48))
                occurred = min(occurred, end)
            chosen_items = rng.sample(usual_items, rng.randint(1, 3))
            if rng.random() < 0.2:
                chosen_items.append(rng.choice(items))
            supplies = {}
            for item in chosen_items:
                supplies[item] = (
                    rng.randint(1, 2)
                    if item.category == "naloxone"
                    else rng.randint(1, min(30, item.max_per_contact))
                )
            chosen_services = rng.sample(services, rng.choice([0, 0, 1, 1, 2]))
            data = EncounterData(
                client_uuid=uuid.UUID(int=rng.getrandbits(128), version=4),
                site=site,
                contact_type=contact_types[site.kind],
                occurred_at=occurred,
                participant=participant,
                anonymous_people=0 if participant else rng.randint(1, 4),
                services=chosen_services,
                supplies=supplies,
                secondary_people=rng.choice([0, 0, 0, 1, 2, 3]),
                note=rng.choice(NOTES) if rng.random() < 0.15 else "",
            )
            encounters.append(
                Encounter(
                    client_uuid=data.client_uuid,
                    submission_fingerprint=data.fingerprint(),
                    occurred_at=data.occurred_at,
                    site=site,
                    staff=user,
                    participant=participant,
                    anonymous_people=data.anonymous_people,
                    contact_type=data.contact_type,
                    secondary_people=data.secondary_people,
                    note=data.note,
                )
            )
            lines.append(supplies)
            service_links.append(chosen_services)
        Encounter.objects.bulk_create(encounters, batch_size=1000)
        # bulk_create sets primary keys on PostgreSQL and on SQLite 3.35+.
        EncounterSupply.objects.bulk_create(
            (
                EncounterSupply(encounter=encounter, item=item, quantity=quantity)
                for encounter, supplies in zip(encounters, lines, strict=True)
                for item, quantity in supplies.items()
            ),
            batch_size=2000,
        )
        Through = Encounter.services.through
        Through.objects.bulk_create(
            (
                Through(encounter_id=encounter.pk, service_id=service.pk)
                for encounter, chosen in zip(encounters, service_links, strict=True)
                for service in chosen
            ),
            batch_size=2000,
        )
