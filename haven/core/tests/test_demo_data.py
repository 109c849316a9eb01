import datetime
import io
import re

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from haven.accounts.models import Site, User
from haven.outreach.models import Encounter
from haven.participants.models import Participant
from haven.supplies import stock
from haven.supplies.models import StockBalance, StockLocation, StockMovement

SMALL = {"participants": 40, "contacts": 300, "days": 30, "stdout": io.StringIO()}


def test_demo_data_makes_a_program_once(db):
    call_command("load_demo_data", **SMALL)
    assert Site.objects.count() == 3
    assert set(User.objects.values_list("username", flat=True)) >= {
        "specialist",
        "supervisor",
        "manager",
        "analyst",
        "admin",
    }
    assert User.objects.count() == 8
    assert Participant.objects.count() == 40
    assert Encounter.objects.count() == 300
    call_command("load_demo_data", **SMALL)
    assert Encounter.objects.count() == 300


def test_the_demo_names_a_card_code_to_try(db):
    out = io.StringIO()
    call_command("load_demo_data", **{**SMALL, "stdout": out})
    code = re.search(r"Try the card code (\S+) on Find a participant", out.getvalue())[1]
    found = Participant.objects.get(card_code=code.replace("-", ""))
    assert found.encounters.exists()
    # Run again (make run does, every time), it names one still.
    again = io.StringIO()
    call_command("load_demo_data", **{**SMALL, "stdout": again})
    assert f"Try the card code {code}" in again.getvalue()


@pytest.mark.django_db(transaction=True)
def test_demo_data_is_the_same_for_a_seed():
    call_command("load_demo_data", seed=5, **SMALL)
    first = list(Participant.objects.order_by("pk").values_list("card_code", flat=True))
    call_command("flush", interactive=False, verbosity=0)
    call_command("load_demo_data", seed=5, **SMALL)
    assert list(Participant.objects.order_by("pk").values_list("card_code", flat=True)) == first


def test_demo_accounts_log_in_with_the_documented_password(db, settings):
    call_command("load_demo_data", **SMALL)
    for username in ["specialist", "supervisor", "manager", "analyst", "admin"]:
        client = Client()
        response = client.post(
            reverse("accounts:login"), {"username": username, "password": "haven-demo"}
        )
        assert response.status_code == 302, username


def test_demo_contacts_respect_the_rules(db):
    call_command("load_demo_data", **SMALL)
    for encounter in Encounter.objects.select_related("staff", "participant"):
        assert encounter.site in encounter.staff.sites.all()
        if encounter.participant:
            assert encounter.occurred_at >= encounter.participant.enrolled_at


def test_demo_stock_is_consistent_and_drawn_by_recent_contacts(db):
    call_command("load_demo_data", **SMALL)
    assert StockMovement.objects.filter(kind="distribute").exists()
    assert not StockBalance.objects.filter(quantity__lt=0).exists()
    for balance in StockBalance.objects.all()[:200]:
        ledger = StockMovement.objects.filter(location=balance.location, lot=balance.lot)
        assert balance.quantity == sum(ledger.values_list("quantity", flat=True))
    specialist = User.objects.get(username="specialist")
    assert specialist.draw_from.holder == specialist
    assert stock.on_hand(specialist.draw_from)
    assert StockLocation.objects.filter(kind="warehouse").count() == 1


def test_demo_syringes_come_back_every_week_at_a_plausible_rate(db, settings):
    from haven.outreach.models import EncounterSupply
    from haven.reports.metrics import Scope, syringe_return_ratio
    from haven.supplies.models import SyringeCollection

    call_command("load_demo_data", **{**SMALL, "days": 60})
    end = timezone.localdate()
    ratio = syringe_return_ratio(Scope(end - datetime.timedelta(days=60), end))
    assert 0.3 <= ratio <= 0.9
    # Each site with a drop box empties it every week in which it handed syringes out,
    # so the charts of syringes back are never flat where syringes went out.
    handed_out = EncounterSupply.objects.filter(
        item__reporting_group="syringes", encounter__site__kind__in=["drop_in", "mobile"]
    ).values_list("encounter__site_id", "encounter__occurred_at")
    weeks_out = set()
    for site_id, occurred_at in handed_out:
        sunday = timezone.localdate(occurred_at) + datetime.timedelta(
            days=6 - timezone.localdate(occurred_at).weekday()
        )
        if sunday < end:
            weeks_out.add((site_id, sunday))
    drop_box = SyringeCollection.objects.filter(encounter__isnull=True)
    weeks_back = {(c.site_id, timezone.localdate(c.occurred_at)) for c in drop_box}
    assert weeks_out and weeks_out <= weeks_back
    collections = SyringeCollection.objects.select_related("encounter", "recorded_by")
    assert collections.filter(encounter__isnull=False).exists()
    assert collections.filter(is_estimate=True).exists()
    for collection in collections:
        assert collection.syringes >= 1
        if collection.encounter:
            # Brought back at a contact: there, then, to whoever saw them.
            assert collection.site_id == collection.encounter.site_id
            assert collection.occurred_at == collection.encounter.occurred_at
            assert collection.recorded_by_id == collection.encounter.staff_id
        assert collection.site in collection.recorded_by.sites.all()
        if collection.is_estimate:
            weight = collection.weight_grams
            assert collection.syringes == max(1, round(weight / settings.SYRINGE_GRAMS_EACH))
        else:
            assert collection.weight_grams is None
