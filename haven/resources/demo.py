"""A synthetic directory around the demo sites (Tempe, Arizona), with referrals and guides.

Made-up names and phone numbers in the 555-01xx range reserved for fiction; no
real service is described. Some entries have unknown hours, as real ones do.
"""

import datetime

from django.utils import timezone

from .models import (
    PAYMENT_FIELDS,
    Guide,
    GuideStep,
    OpeningHours,
    Referral,
    ReferralUpdate,
    Resource,
    ResourceLanguage,
    ResourceNeed,
)

CENTRE = (33.4150, -111.9300)  # between the 85281 and 85282 demo sites
ZIPS = ["85281", "85282", "85283", "85284", "85201", "85257"]
KINDS = [
    ("Recovery Clinic", ["buprenorphine", "naltrexone", "counseling", "outpatient"]),
    ("Methadone Program", ["methadone", "counseling"]),
    ("Community Health Center", ["primary_care", "hiv_testing", "hepatitis_c", "wound_care"]),
    ("Harm Reduction Hub", ["syringe_services", "naloxone", "hiv_testing", "wound_care"]),
    ("Shelter", ["housing", "food", "showers"]),
    ("Food Pantry", ["food"]),
    ("Crisis Line Center", ["crisis", "mental_health"]),
    ("Detox Unit", ["detox", "residential"]),
    ("Legal Aid Office", ["legal", "id_documents"]),
    ("Benefits Desk", ["benefits", "id_documents"]),
    ("PrEP Clinic", ["hiv_care", "hiv_testing"]),
    ("Counseling Center", ["counseling", "mental_health"]),
]
PLACES = ["Mill", "Apache", "Rio", "Papago", "Salado", "Mesa", "Kiwanis", "Hayden", "Broadway"]
STREETS = ["Mill Ave", "Apache Blvd", "University Dr", "Rural Rd", "McClintock Dr", "Broadway Rd"]
HOURS = [
    [(day, "08:00", "17:00") for day in range(5)],
    [(day, "06:00", "14:00") for day in range(6)],  # methadone dosing hours
    [(day, "00:00", "00:00") for day in range(7)],
    [(day, "19:00", "07:00") for day in range(7)],  # overnight shelter
    [(day, "10:00", "16:00") for day in (0, 2, 4)],
    [],  # not known
]
GUIDES = [
    (
        "Apply for Medicaid (AHCCCS)",
        "en",
        [
            "Gather proof of identity (any ID, or a letter from us)",
            "Gather proof of address (a shelter letter works)",
            "Apply online, by phone or at a benefits desk",
            "Write down the application number",
            "Check the status after 10 days",
            "Pick a health plan when approved",
        ],
    ),
    (
        "Replace a lost ID",
        "en",
        [
            "Find out which documents you still have",
            "Request a birth certificate",
            "Get a fee waiver letter if you cannot pay",
            "Go to the ID office with the documents",
        ],
    ),
    (
        "Solicitar Medicaid (AHCCCS)",
        "es",
        [
            "Reunir un comprobante de identidad",
            "Reunir un comprobante de domicilio (sirve una carta del albergue)",
            "Presentar la solicitud en línea, por teléfono o en persona",
            "Anotar el número de solicitud",
        ],
    ),
]


def add_demo_records(*, rng, sites, staff, participants, start, end, **_other):
    resources = make_directory(rng, count=180)
    make_guides(staff)
    make_referrals(rng, resources, sites, staff, participants, start, end)


def make_directory(rng, count):
    today = timezone.localdate()
    resources, children = [], []
    for index in range(count):
        kind, needs = KINDS[index % len(KINDS)]
        resource = Resource(
            name=f"{rng.choice(PLACES)} {kind} {index + 1}",
            address_line1=f"{rng.randint(100, 2999)} {rng.choice(STREETS)}",
            city="Tempe",
            state="AZ",
            zip_code=rng.choice(ZIPS),
            latitude=CENTRE[0] + rng.uniform(-0.12, 0.12),
            longitude=CENTRE[1] + rng.uniform(-0.15, 0.15),
            phone=f"480-555-01{index % 100:02d}",
            walk_in=rng.choice([True, False, None]),
            last_verified_on=today - datetime.timedelta(days=rng.randint(0, 400)),
            source="Demo",
        )
        for field in rng.sample(list(PAYMENT_FIELDS.values()), rng.randint(0, 3)):
            setattr(resource, field, True)
        resource.match_key = f"demo-{index}"
        resources.append(resource)
        languages = ["en"] + (["es"] if rng.random() < 0.6 else [])
        hours = HOURS[1] if "methadone" in needs else rng.choice(HOURS)
        children.append((needs, languages, hours))
    Resource.objects.bulk_create(resources)
    ResourceNeed.objects.bulk_create(
        ResourceNeed(resource=r, need=need)
        for r, (needs, _l, _h) in zip(resources, children, strict=True)
        for need in needs
    )
    ResourceLanguage.objects.bulk_create(
        ResourceLanguage(resource=r, language=code)
        for r, (_n, languages, _h) in zip(resources, children, strict=True)
        for code in languages
    )
    OpeningHours.objects.bulk_create(
        OpeningHours(
            resource=r,
            weekday=day,
            opens=datetime.time.fromisoformat(opens),
            closes=datetime.time.fromisoformat(closes),
        )
        for r, (_n, _l, hours) in zip(resources, children, strict=True)
        for day, opens, closes in hours
    )
    return resources


def make_guides(staff):
    manager = next(user for user in staff if user.role == "manager")
    for title, language, steps in GUIDES:
        guide = Guide.objects.create(title=title, language=language, updated_by=manager)
        GuideStep.objects.bulk_create(
            GuideStep(guide=guide, position=i, text=text) for i, text in enumerate(steps, 1)
        )


def make_referrals(rng, resources, sites, staff, participants, start, end, count=300):
    field_staff = [user for user in staff if user.role in ("specialist", "supervisor")]
    sites_of = {user.pk: list(user.sites.all()) for user in field_staff}
    needs_of = {r.pk: list(r.offerings.values_list("need", flat=True)) for r in resources}
    span = (end - start).total_seconds()
    referrals, updates = [], []
    for _ in range(count):
        user = rng.choice(field_staff)
        resource = rng.choice(resources)
        made_at = start + datetime.timedelta(seconds=rng.uniform(0, span))
        status = rng.choices(
            ["made", "contacted", "linked", "declined", "lost"], weights=[15, 15, 45, 10, 15]
        )[0]
        changed = min(end, made_at + datetime.timedelta(days=rng.randint(1, 45)))
        referral = Referral(
            participant=rng.choice(participants),
            resource=resource,
            need=rng.choice(needs_of[resource.pk]),
            site=rng.choice(sites_of[user.pk]),
            made_by=user,
            made_at=made_at,
            status=status,
            status_changed_at=changed if status != "made" else made_at,
            linked_at=changed if status == "linked" else None,
            follow_up_on=(
                (made_at + datetime.timedelta(days=7)).date()
                if status in ("made", "contacted")
                else None
            ),
        )
        referrals.append(referral)
    Referral.objects.bulk_create(referrals)
    for referral in referrals:
        updates.append(
            ReferralUpdate(
                referral=referral, status="made", at=referral.made_at, by=referral.made_by
            )
        )
        if referral.status != "made":
            updates.append(
                ReferralUpdate(
                    referral=referral,
                    status=referral.status,
                    at=referral.status_changed_at,
                    by=referral.made_by,
                )
            )
    ReferralUpdate.objects.bulk_create(updates)
