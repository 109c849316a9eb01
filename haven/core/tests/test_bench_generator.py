"""The benchmark data generator (bench/generate.py) keeps the app's rules.

No timings here: the benchmarks measure speed; this only keeps the generator
working as the models change.
"""

import datetime

import pytest
from django.core.management import call_command

from bench import generate
from haven.accounts.models import User
from haven.outreach.models import Encounter, EncounterSupply
from haven.participants import codes
from haven.participants.models import Participant
from haven.supplies.models import StockBalance, StockMovement

UNTIL = datetime.date(2026, 1, 1)


@pytest.fixture
def tiny_program(db):
    return generate.generate("tiny", seed=7, until=UNTIL, out=lambda message: None)


def test_tiny_scale_has_the_documented_shape(tiny_program):
    assert Participant.objects.count() == 50
    assert Encounter.objects.count() == 300
    assert tiny_program["supplies.StockMovement"] == StockMovement.objects.count()
    assert User.objects.get(username="specialist-001").draw_from is not None
    assert not Encounter.objects.filter(
        occurred_at__gte=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    ).exists()


def test_generated_data_keeps_the_ledger_and_contact_rules(tiny_program):
    assert generate.check_invariants() == []


def test_balances_equal_the_ledger_and_are_never_negative(tiny_program):
    for balance in StockBalance.objects.all():
        total = sum(
            StockMovement.objects.filter(location=balance.location, lot=balance.lot).values_list(
                "quantity", flat=True
            )
        )
        assert balance.quantity == total >= 0


def test_every_supply_line_was_handed_out_from_stock(tiny_program):
    for line in EncounterSupply.objects.all()[:100]:
        handed_out = -sum(
            StockMovement.objects.filter(
                encounter_id=line.encounter_id, item_id=line.item_id, kind="distribute"
            ).values_list("quantity", flat=True)
        )
        assert handed_out == line.quantity


def test_card_codes_are_valid_and_distinct(tiny_program):
    card_codes = list(Participant.objects.values_list("card_code", flat=True))
    assert all(codes.is_valid(code) for code in card_codes)
    assert len(set(card_codes)) == len(card_codes)


def snapshot():
    return (
        list(Participant.objects.order_by("pk").values_list("pk", "card_code", "enrolled_at")),
        list(
            Encounter.objects.order_by("pk").values_list(
                "pk", "client_uuid", "occurred_at", "participant_id", "staff__username"
            )
        ),
        list(
            StockMovement.objects.order_by("pk").values_list(
                "kind", "location__name", "lot__item__name", "lot__number", "quantity", "encounter"
            )
        ),
    )


def test_same_seed_gives_the_same_program(transactional_db):
    # Outside a test transaction, so that the database can be emptied in between.
    generate.generate("tiny", seed=7, until=UNTIL, out=lambda message: None)
    first = snapshot()
    call_command("flush", verbosity=0, interactive=False)
    assert generate.database_is_empty()
    generate.generate("tiny", seed=7, until=UNTIL, out=lambda message: None)
    assert snapshot() == first


def test_the_generator_refuses_a_database_that_holds_data(tiny_program, capsys):
    assert generate.main(["--scale", "tiny"]) == 2
    assert "already holds data" in capsys.readouterr().err
    assert Participant.objects.count() == 50
