"""Indexes another index covers are dropped by name (haven/core/db/indexes.py), and
made again when the migration is reversed."""

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db(transaction=True)


def indexes_on(table):
    """{columns: [names]} of the table's plain (not unique) indexes."""
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    found = {}
    for name, about in constraints.items():
        if about["index"] and not about["unique"] and not about["primary_key"]:
            found.setdefault(tuple(about["columns"]), []).append(name)
    return {columns: sorted(names) for columns, names in found.items()}


def test_a_contacts_own_time_site_and_staff_indexes_go_and_come_back(migrator):
    before_migration = ("outreach", "0008_field_device_key_lifetime")
    migrator.apply_initial_migration(before_migration)
    before = indexes_on("outreach_encounter")
    for column in ("occurred_at", "site_id", "staff_id"):
        assert len(before[(column,)]) == 1

    migrator.apply_tested_migration(("outreach", "0009_covered_indexes_dropped"))
    after = indexes_on("outreach_encounter")
    for column in ("occurred_at", "site_id", "staff_id"):
        assert (column,) not in after
    # What serves them instead, and the participant's own, stay.
    assert after[("staff_id", "occurred_at")] == ["encounter_staff_time_idx"]
    assert after[("site_id", "occurred_at")] == ["encounter_site_time_idx"]
    assert after[("occurred_at", "participant_id")] == ["encounter_time_participant_idx"]
    assert ("participant_id",) in after

    migrator.apply_tested_migration(before_migration)
    assert indexes_on("outreach_encounter") == before


def test_a_movements_own_location_review_and_transfer_indexes_go_and_come_back(migrator):
    before_migration = ("supplies", "0004_free_text_encrypted")
    migrator.apply_initial_migration(before_migration)
    before = indexes_on("supplies_stockmovement")
    assert len(before[("needs_review",)]) == 1
    assert len(before[("transfer_group",)]) == 1
    # The location's own index, beside the partial index of flagged movements.
    assert len(before[("location_id",)]) == 2

    migrator.apply_tested_migration(("supplies", "0005_covered_indexes_dropped"))
    after = indexes_on("supplies_stockmovement")
    assert ("needs_review",) not in after
    assert after[("location_id",)] == ["movement_flagged_idx"]
    assert ("location_id", "item_id", "occurred_at") in after
    # Transfers by a partial index of the movements that have a group.
    assert after[("transfer_group",)] == ["movement_transfer_idx"]
    # A lot recall finds its movements by lot.
    assert ("lot_id",) in after

    migrator.apply_tested_migration(before_migration)
    assert indexes_on("supplies_stockmovement") == before


def test_a_movements_kind_indexes_go_and_come_back(migrator):
    before_migration = ("supplies", "0005_covered_indexes_dropped")
    migrator.apply_initial_migration(before_migration)
    before = indexes_on("supplies_stockmovement")
    # The plain index, and on PostgreSQL its copy for LIKE patterns.
    expected = 2 if connection.vendor == "postgresql" else 1
    assert len(before[("kind",)]) == expected

    migrator.apply_tested_migration(("supplies", "0006_kind_index_dropped"))
    after = indexes_on("supplies_stockmovement")
    assert ("kind",) not in after
    assert ("location_id", "item_id", "occurred_at") in after

    migrator.apply_tested_migration(before_migration)
    assert len(indexes_on("supplies_stockmovement")[("kind",)]) >= 1


def test_the_audit_logs_pattern_indexes_go_and_the_plain_ones_stay(migrator):
    before_migration = ("core", "0006_rate_counts")
    migrator.apply_initial_migration(before_migration)
    before = indexes_on("core_auditentry")

    migrator.apply_tested_migration(("core", "0007_audit_pattern_indexes_dropped"))
    after = indexes_on("core_auditentry")
    for column in ("action", "object_type"):
        assert len(after[(column,)]) == 1
        assert not after[(column,)][0].endswith("_like")
        if connection.vendor == "postgresql":
            assert len(before[(column,)]) == 2

    migrator.apply_tested_migration(before_migration)
    assert indexes_on("core_auditentry") == before
