"""The audit log is a hash chain that the database will not let anyone edit, checked on a
schedule against signed checkpoints kept off the database.

Tampering here is done as an attacker with the database's password would do
it: switch the triggers off, then change rows with SQL.
"""

import importlib
import json
import sqlite3
import threading
import uuid
from contextlib import contextmanager
from types import SimpleNamespace

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.db.migrations.loader import MigrationLoader

from haven.core import audit, audit_checks, chain
from haven.core.models import AuditEntry
from haven.core.tasks import verify_audit_log
from haven.outreach.actions import EncounterData, do_record_encounters

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="TRUNCATE and advisory locks are PostgreSQL's"
)
sqlite_only = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's own trigger")


@pytest.fixture
def log(sam, sue, participant):
    """Five entries, written the ways Haven writes them."""
    audit.record(sam, AuditEntry.Action.LOGIN, sam)
    audit.record(sam, AuditEntry.Action.VIEW, participant, page="participant timeline")
    AuditEntry.objects.bulk_create(
        audit.unsaved_entry(sue, AuditEntry.Action.UPDATE, participant, fields=[name])
        for name in ("alias", "gender")
    )
    audit.record(sue, AuditEntry.Action.MERGE, participant, kept=participant.pk, linked=[3, 4])
    return list(AuditEntry.objects.order_by("sequence"))


def sql(statement, params=()):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


@contextmanager
def triggers_off():
    """What someone who owns the database can do; the test transaction puts them back."""
    if connection.vendor == "postgresql":
        # Inserts leave deferred foreign-key checks pending, which ALTER TABLE refuses.
        sql("SET CONSTRAINTS ALL IMMEDIATE")
        sql("ALTER TABLE core_auditentry DISABLE TRIGGER USER")
    else:
        sql("DROP TRIGGER core_auditentry_no_update")
        sql("DROP TRIGGER core_auditentry_no_delete")
    yield


def verify(*checkpoints):
    from io import StringIO

    out = StringIO()
    call_command("verify_audit_log", *[f"--checkpoint={c}" for c in checkpoints], stdout=out)
    return out.getvalue()


def test_a_log_written_by_haven_verifies(log):
    assert [entry.sequence for entry in log] == [1, 2, 3, 4, 5]
    output = verify()
    assert "OK: 5 audit entries" in output
    assert f"5:{log[-1].entry_hash}" in output


def test_an_empty_log_verifies(db):
    assert "OK: 0 audit entries" in verify()


def test_contacts_synced_in_one_batch_are_chained_in_order(sam, downtown, participant):
    batch = [
        EncounterData(
            client_uuid=uuid.uuid4(), site=downtown, contact_type="fixed", participant=participant
        )
        for _ in range(3)
    ]
    audit.record(sam, AuditEntry.Action.LOGIN, sam)
    do_record_encounters(batch, staff=sam)
    entries = list(AuditEntry.objects.order_by("sequence"))
    assert [entry.sequence for entry in entries] == [1, 2, 3, 4]
    assert [entry.action for entry in entries[1:]] == ["create"] * 3
    assert "OK: 4 audit entries" in verify()


def test_details_read_back_differently_by_the_database_still_verify(sam):
    # jsonb keeps numbers as decimals: 1e20 and 2.0 come back as integers.
    audit.record(sam, AuditEntry.Action.UPDATE, sam, big=1e20, whole=2.0, part=0.1, tiny=1e-7)
    assert "OK: 1 audit entries" in verify()


def test_the_time_of_an_entry_is_when_it_was_appended_not_when_it_was_made(sam, participant):
    entry = audit.unsaved_entry(sam, AuditEntry.Action.VIEW, participant)
    entry.at = entry.at.replace(year=2001)
    entry.save()
    assert AuditEntry.objects.get().at.year != 2001
    assert "OK: 1 audit entries" in verify()


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("page", "home"),
        ("action", "login"),
        ("object_type", "outreach.encounter"),
        ("object_id", "999"),
        ("user_id", None),
        ("participant_id", None),
        ("detail", '{"fields": ["alias", "notes"]}'),
        ("at", "2020-01-01 00:00:00"),
    ],
)
def test_an_entry_edited_in_the_database_is_named(log, column, value):
    edited = log[2]
    with triggers_off():
        sql(f"UPDATE core_auditentry SET {column} = %s WHERE id = %s", [value, edited.pk])
    with pytest.raises(CommandError) as error:
        verify()
    message = str(error.value)
    assert f"broken at entry id {edited.pk} (sequence 3," in message
    assert "was changed" in message


def test_a_deleted_entry_is_named_by_the_entry_after_the_gap(log):
    with triggers_off():
        sql("DELETE FROM core_auditentry WHERE id = %s", [log[1].pk])
    with pytest.raises(CommandError) as error:
        verify()
    assert f"broken at entry id {log[2].pk} (sequence 3," in str(error.value)
    assert "1 entries before it are missing (sequence 2 to 2)" in str(error.value)
    assert "1 problem(s) found in 4 entries" in str(error.value)


def test_a_deleted_first_entry_is_detected(log):
    with triggers_off():
        sql("DELETE FROM core_auditentry WHERE id = %s", [log[0].pk])
    with pytest.raises(CommandError, match=f"entry id {log[1].pk} "):
        verify()


def test_entries_cut_from_the_end_are_detected_against_a_checkpoint(log):
    checkpoint = f"5:{log[-1].entry_hash}"
    with triggers_off():
        sql("DELETE FROM core_auditentry WHERE sequence >= 4")
    # The chain that is left is whole: only a checkpoint kept elsewhere tells.
    assert "OK: 3 audit entries" in verify()
    with pytest.raises(CommandError, match="there is no entry 5 any more"):
        verify(checkpoint)


def test_a_log_rewritten_from_an_edit_on_is_detected_against_a_checkpoint(log):
    checkpoint = f"5:{log[-1].entry_hash}"
    # The attacker edits entry 2 and recomputes every hash after it.
    with triggers_off():
        previous_hash = log[0].entry_hash
        for entry in log[1:]:
            if entry.sequence == 2:
                entry.page = "home"
            new_hash = chain.entry_digest(previous_hash, entry)
            sql(
                "UPDATE core_auditentry SET page = %s, entry_hash = %s WHERE id = %s",
                [entry.page, new_hash, entry.pk],
            )
            previous_hash = new_hash
    assert "OK: 5 audit entries" in verify()
    with pytest.raises(CommandError, match="entry 5 has a different hash"):
        verify(checkpoint)


def test_a_checkpoint_that_still_holds_passes(log):
    assert "OK: 5 audit entries" in verify(f"3:{log[2].entry_hash}", f"5:{log[4].entry_hash}")


def test_a_mistyped_checkpoint_is_refused_with_its_form(log):
    with pytest.raises(CommandError, match="give it as SEQUENCE:HASH"):
        verify("5-abc")


def test_the_database_refuses_to_update_or_delete_audit_entries(log):
    for statement in (
        "UPDATE core_auditentry SET page = 'tampered'",
        f"DELETE FROM core_auditentry WHERE id = {log[0].pk}",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            sql(statement)
    assert AuditEntry.objects.count() == 5
    assert "OK: 5 audit entries" in verify()


@postgresql_only
def test_postgresql_refuses_to_truncate_the_audit_log(log):
    sql("SET CONSTRAINTS ALL IMMEDIATE")  # as if the entries were written earlier
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        sql("TRUNCATE core_auditentry CASCADE")
    assert AuditEntry.objects.count() == 5


@sqlite_only
def test_sqlite_refuses_deletes_from_clients_other_than_haven(log, tmp_path):
    # Another program (the sqlite3 shell) does not know Haven's function, so
    # the trigger cannot let its DELETE through.
    other = sqlite3.connect(connection.settings_dict["NAME"])
    try:
        with pytest.raises(sqlite3.OperationalError, match="haven_audit_may_be_emptied"):
            other.execute("DELETE FROM core_auditentry")
    finally:
        other.close()


def test_the_migration_chains_older_entries_as_haven_chains_new_ones(log):
    migration = importlib.import_module("haven.core.migrations.0004_chain_existing_entries")
    with triggers_off():
        sql("UPDATE core_auditentry SET entry_hash = '', sequence = sequence + 100")
        state = MigrationLoader(connection).project_state(("core", "0003_audit_chain_fields"))
        # The migration reads only the editor's connection.
        migration.chain_existing_entries(state.apps, SimpleNamespace(connection=connection))
    chained = list(AuditEntry.objects.order_by("sequence"))
    assert [(e.sequence, e.entry_hash) for e in chained] == [
        (e.sequence, e.entry_hash) for e in log
    ]


@pytest.mark.django_db(transaction=True)
def test_writers_at_once_keep_one_unbroken_chain(sam, participant):
    writers, per_writer = 6, 10
    barrier = threading.Barrier(writers)
    errors = []

    def write(n):
        try:
            barrier.wait()
            for i in range(per_writer):
                if i % 2:
                    audit.record(sam, AuditEntry.Action.VIEW, participant, page=f"w{n}")
                else:
                    AuditEntry.objects.bulk_create(
                        audit.unsaved_entry(sam, AuditEntry.Action.UPDATE, participant)
                        for _ in range(2)
                    )
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    total = writers * per_writer // 2 * 3
    assert AuditEntry.objects.count() == total
    assert f"OK: {total} audit entries" in verify()


# The scheduled check (haven/core/audit_checks.py)


def kept_lines(settings):
    path = settings.HAVEN_AUDIT_CHECKPOINT_FILE
    return [json.loads(line) for line in path.read_text().splitlines()]


def rewrite_from_entry_2(log):
    """What the database's owner can do: edit entry 2, recompute every later hash."""
    with triggers_off():
        previous_hash = log[0].entry_hash
        for entry in log[1:]:
            if entry.sequence == 2:
                entry.page = "home"
            new_hash = chain.entry_digest(previous_hash, entry)
            sql(
                "UPDATE core_auditentry SET page = %s, entry_hash = %s WHERE id = %s",
                [entry.page, new_hash, entry.pk],
            )
            previous_hash = new_hash


def test_the_scheduled_check_keeps_a_signed_checkpoint_and_logs_it(log, settings, caplog):
    caplog.set_level("INFO", logger="haven.core.audit_checks")
    assert verify_audit_log.call() is True
    (line,) = kept_lines(settings)
    assert (line["sequence"], line["hash"]) == (5, log[-1].entry_hash)
    assert line["signature"] == audit_checks.signature(5, log[-1].entry_hash, line["checked_at"])
    assert log[-1].entry_hash in caplog.text
    check = audit_checks.last_check()
    assert check.intact and check.count == 5


def test_a_rewritten_log_is_caught_by_the_checkpoint_the_schedule_kept(log, settings, caplog):
    verify_audit_log.call()
    rewrite_from_entry_2(log)
    # The chain alone holds after a rewrite; the kept checkpoint does not.
    assert verify_audit_log.call() is False
    assert "entry 5 has a different hash" in caplog.text
    check = audit_checks.last_check()
    assert not check.intact and "entry 5 has a different hash" in check.problem
    # The command reads the same checkpoints, with nothing given by hand.
    with pytest.raises(CommandError, match="entry 5 has a different hash"):
        verify()


def test_entries_cut_from_the_end_are_caught_by_the_kept_checkpoint(log, settings):
    verify_audit_log.call()
    with triggers_off():
        sql("DELETE FROM core_auditentry WHERE sequence >= 4")
    with pytest.raises(CommandError, match="there is no entry 5 any more"):
        verify()


def test_a_checkpoint_written_without_the_key_is_refused(log, settings):
    verify_audit_log.call()
    rewrite_from_entry_2(log)
    # The attacker also rewrites the checkpoint file, but cannot sign without the key.
    forged = kept_lines(settings)[0]
    forged["hash"] = AuditEntry.objects.get(sequence=5).entry_hash
    settings.HAVEN_AUDIT_CHECKPOINT_FILE.write_text(json.dumps(forged) + "\n")
    with pytest.raises(CommandError, match="not signed with this program's key"):
        verify()
    # Signed with another key: refused as well.
    settings.HAVEN_AUDIT_CHECKPOINT_KEY = "someone else's key"
    forged["signature"] = audit_checks.signature(5, forged["hash"], forged["checked_at"])
    settings.HAVEN_AUDIT_CHECKPOINT_KEY = ""
    settings.HAVEN_AUDIT_CHECKPOINT_FILE.write_text(json.dumps(forged) + "\n")
    with pytest.raises(CommandError, match="not signed with this program's key"):
        verify()


def test_a_garbled_checkpoint_file_is_a_problem_not_a_crash(log, settings):
    settings.HAVEN_AUDIT_CHECKPOINT_FILE.write_text("not json\n[1, 2]\n")
    with pytest.raises(CommandError, match="not a checkpoint line"):
        verify()


def test_the_log_grows_between_checks_and_each_check_keeps_its_checkpoint(log, sam, settings):
    verify_audit_log.call()
    audit.record(sam, AuditEntry.Action.LOGIN, sam)
    assert verify_audit_log.call() is True
    assert [line["sequence"] for line in kept_lines(settings)] == [5, 6]


def test_the_check_is_on_the_schedule(settings):
    assert "haven.core.tasks.verify_audit_log" in settings.SCHEDULED_TASKS
