"""Demo overdose-response records: areas, reports, naloxone details, drug checks, alerts.

Synthetic; no real people or places beyond ZIP codes. Deterministic for the rng.
"""

import datetime
import uuid

from haven.outreach.models import EncounterSupply

from .actions import (
    AlertData,
    do_create_alert,
    do_publish_alert,
    do_record_naloxone_details,
    is_refill,
)
from .models import Area, DrugCheck, NaloxoneDistribution, OverdoseReport

AREAS = [
    ("85281", "85281 Downtown Tempe", Area.Kind.ZIP),
    ("85282", "85282 South Tempe", Area.Kind.ZIP),
    ("85283", "85283 Tempe south-east", Area.Kind.ZIP),
    ("85284", "85284 Tempe far south", Area.Kind.ZIP),
    ("rio-salado", "Rio Salado", Area.Kind.NEIGHBOURHOOD),
]
REPORTERS = ["participant", "participant", "community", "staff", "anonymous"]
SUBSTANCES = ["fentanyl", "fentanyl", "counterfeit_pills", "xylazine", "methamphetamine", "heroin"]


def add_demo_records(*, rng, sites, staff, participants, items, services, start, end):
    areas = {
        code: Area.objects.create(code=code, name=name, kind=kind) for code, name, kind in AREAS
    }
    area_list = list(areas.values())
    span = (end - start).total_seconds()
    field_staff = [user for user in staff if user.role in ("specialist", "supervisor")]

    reports = []
    for _ in range(120):
        doses = rng.choice([0, 1, 2, 2, 2, 3, 4])
        reports.append(
            OverdoseReport(
                client_uuid=uuid.UUID(int=rng.getrandbits(128), version=4),
                occurred_at=start + datetime.timedelta(seconds=rng.uniform(0, span)),
                area=rng.choice(area_list),
                reported_by=rng.choice(REPORTERS),
                naloxone_doses=doses,
                naloxone_source=rng.choice(["program", "program", "pharmacy", "ems"])
                if doses
                else "none",
                outcome=rng.choices(["survived", "died", "unknown"], weights=[85, 3, 12])[0],
                emergency_services_called=rng.choice([True, False, None]),
                rescue_breathing=rng.choice([True, False, None]),
                stayed_with_person=rng.choice([True, True, None]),
                substances=sorted(set(rng.sample(SUBSTANCES, rng.randint(1, 2)))),
                recorded_by=rng.choice(field_staff),
            )
        )
    # A cluster in the last day, so that the spike detector has something to find.
    for minutes in range(7):
        reports.append(
            OverdoseReport(
                client_uuid=uuid.UUID(int=rng.getrandbits(128), version=4),
                occurred_at=end - datetime.timedelta(minutes=40 * minutes + 5),
                area=areas["rio-salado"],
                reported_by="community",
                naloxone_doses=2,
                naloxone_source="program",
                outcome="survived",
                substances=["fentanyl", "xylazine"],
                recorded_by=rng.choice(field_staff),
            )
        )
    OverdoseReport.objects.bulk_create(reports)

    checks = []
    for _ in range(150):
        user = rng.choice(field_staff)
        method = rng.choice(["fentanyl_strip", "fentanyl_strip", "xylazine_strip", "reagent"])
        result = rng.choices(["positive", "negative", "inconclusive"], weights=[55, 40, 5])[0]
        checks.append(
            DrugCheck(
                client_uuid=uuid.UUID(int=rng.getrandbits(128), version=4),
                checked_on=(start + datetime.timedelta(seconds=rng.uniform(0, span))).date(),
                area=rng.choice(area_list),
                site=rng.choice(list(user.sites.all()) or sites),
                sold_as=rng.choice(["heroin", "counterfeit_pills", "methamphetamine", "fentanyl"]),
                sample_form=rng.choice(["powder", "pill", "crystal"]),
                method=method,
                result=result,
                substances_found=(
                    ["fentanyl" if method != "xylazine_strip" else "xylazine"]
                    if result == "positive"
                    else []
                ),
                recorded_by=user,
            )
        )
    DrugCheck.objects.bulk_create(checks)

    # Naloxone details for the last 200 hand-outs, with reasons for some refills.
    reasons = ["used", "lost", "expired", "police", "gave_away", ""]
    lines = (
        EncounterSupply.objects.filter(item__category="naloxone")
        .select_related("encounter__participant", "encounter__staff")
        .order_by("-encounter__occurred_at")[:200]
    )
    done = set(NaloxoneDistribution.objects.values_list("encounter_id", flat=True))
    for line in lines:
        encounter = line.encounter
        if encounter.pk in done:
            continue
        done.add(encounter.pk)
        # Only a refill has a reason.
        chosen = {line.item_id: rng.choice(reasons)} if is_refill(encounter) else {}
        do_record_naloxone_details(encounter, by=encounter.staff, reasons=chosen)

    supervisor = next(user for user in staff if user.role == "supervisor")
    specialist = next(user for user in staff if user.role == "specialist")
    public = do_create_alert(
        AlertData(
            title="Blue pills sold as oxy contain fentanyl",
            body="Pressed blue pills sold as oxycodone are testing positive for fentanyl. "
            "Test before you use, don't use alone, and carry naloxone.",
            title_es="Pastillas azules vendidas como oxi contienen fentanilo",
            body_es="Pastillas azules vendidas como oxicodona dan positivo para fentanilo. "
            "Analízalas antes de usarlas, no consumas solo/a y lleva naloxona.",
            substances=["fentanyl", "counterfeit_pills"],
            area=areas["85281"],
            severity="urgent",
            audience="public",
            starts_at=end - datetime.timedelta(days=2),
            expires_at=end + datetime.timedelta(days=12),
        ),
        by=specialist,
    )
    do_publish_alert(public, by=supervisor)
    do_create_alert(
        AlertData(
            title="Xylazine wounds seen at the van",
            body="Several people with slow-healing wounds this week; offer wound care kits.",
            substances=["xylazine"],
            area=areas["85282"],
            severity="advisory",
            audience="staff",
            starts_at=end,
            expires_at=end + datetime.timedelta(days=7),
        ),
        by=specialist,
    )
