"""Naloxone details sent from a phone behind their contact (sync kind naloxone_details)."""

import datetime
import uuid

import pytest
from django.utils import timezone

from haven.api.tests.client import api_client
from haven.overdose.models import NaloxoneDistribution

pytestmark = pytest.mark.django_db


def contact(participant, downtown, catalog, *, days_ago=0, naloxone=2):
    return {
        "kind": "contact",
        "client_uuid": str(uuid.uuid4()),
        "site": downtown.pk,
        "contact_type": "street",
        "occurred_at": (timezone.now() - datetime.timedelta(days=days_ago)).isoformat(),
        "card_code": participant.display_code,
        "supplies": [{"item": catalog["naloxone"].pk, "quantity": naloxone}],
    }


def details(of, reason="", **line):
    return {
        "kind": "naloxone_details",
        "client_uuid": str(uuid.uuid4()),
        "contact": of["client_uuid"],
        "lines": [{"item": line.get("item"), "formulation": "nasal", "refill_reason": reason}],
    }


def sync(user, records):
    response = api_client(user).post_json("/api/v1/sync", {"records": records})
    assert response.status_code == 200
    return [(r["status"], r["detail"]) for r in response.json()["results"]]


def test_refill_details_sent_behind_their_contact_are_stored_once(
    sam, downtown, participant, catalog
):
    earlier = contact(participant, downtown, catalog, days_ago=20, naloxone=1)
    today = contact(participant, downtown, catalog)
    why = details(today, "lost", item=catalog["naloxone"].pk)
    records = [earlier, today, why]

    assert [status for status, _ in sync(sam, records)] == [201, 201, 201]
    # The whole batch again (its answer was lost): nothing is stored twice.
    assert [status for status, _ in sync(sam, records)] == [201, 201, 200]
    refill = NaloxoneDistribution.objects.get(encounter__client_uuid=today["client_uuid"])
    assert (refill.kits, refill.doses, refill.is_refill, refill.refill_reason) == (
        2,
        4,
        True,
        "lost",
    )
    assert (
        NaloxoneDistribution.objects.filter(encounter__client_uuid=today["client_uuid"]).count()
        == 1
    )


def test_a_reason_for_a_first_kit_is_refused_and_can_be_fixed(sam, downtown, participant, catalog):
    first = contact(participant, downtown, catalog)
    wrong = details(first, "lost", item=catalog["naloxone"].pk)
    [(_, _), (status, detail)] = sync(sam, [first, wrong])
    assert status == 400 and "first naloxone kit" in detail
    # Fixed on the phone, retried under the same UUID (nothing was stored).
    fixed = {**wrong, "lines": [{**wrong["lines"][0], "refill_reason": ""}]}
    assert [status for status, _ in sync(sam, [fixed])] == [201]
    assert NaloxoneDistribution.objects.get().is_refill is False


def test_details_of_a_contact_haven_does_not_have_or_of_another_item_are_refused(
    sam, olga, downtown, participant, catalog
):
    never_sent = contact(participant, downtown, catalog)
    [(status, detail)] = sync(sam, [details(never_sent, item=catalog["naloxone"].pk)])
    assert status == 400 and "not in Haven" in detail
    sent = contact(participant, downtown, catalog)
    sync(sam, [sent])
    [(status, detail)] = sync(sam, [details(sent, item=catalog["syringes"].pk)])
    assert status == 400 and "not naloxone handed out" in detail
    # Another site's specialist may not change Sam's contact.
    [(status, _detail)] = sync(olga, [details(sent, item=catalog["naloxone"].pk)])
    assert status == 403
