"""Backups and restores: the same rows come back, notes stay encrypted and readable,
and a restore with the wrong keys or a damaged copy stops before changing anything.

These tests commit (transaction=True): pg_dump reads the database from its own
connection, and SQLite's backup API cannot write into an open transaction.
"""

import io
import json
import uuid

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from haven.core import backups
from haven.core.crypto import Ciphertext
from haven.core.models import AuditEntry
from haven.outreach.actions import EncounterData, do_record_encounter
from haven.outreach.models import Encounter

SECRET = "Asked about methadone; prefers Tuesdays 🙂"

pytestmark = pytest.mark.django_db(transaction=True)


def record(sam, site, participant, note):
    data = EncounterData(
        client_uuid=uuid.uuid4(),
        site=site,
        contact_type="fixed",
        participant=participant,
        note=note,
    )
    return do_record_encounter(data, staff=sam)[0]


@pytest.fixture
def noted_encounter(sam, downtown, participant):
    return record(sam, downtown, participant, SECRET)


def every_row():
    """Every table's rows, as the database holds them (notes as ciphertext)."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        rows = {}
        for table in tables:
            cursor.execute(f"SELECT * FROM {quote(table)}")
            rows[table] = sorted(map(repr, cursor.fetchall()))
    return rows


def backup(directory):
    call_command("backup", str(directory), stdout=io.StringIO())


def restore(directory, *options):
    out = io.StringIO()
    call_command("restore", str(directory), *options, "--no-input", stdout=out)
    return out.getvalue()


def test_backup_then_restore_gives_back_every_row_and_readable_notes(
    tmp_path, sam, downtown, participant, noted_encounter
):
    backup(tmp_path / "backup")
    before = every_row()
    # Life goes on after the backup: a new contact, a changed note, a deletion.
    later = record(sam, downtown, participant, "Written after the backup")
    Encounter.objects.filter(pk=noted_encounter.pk).update(note="changed later")
    participant.alias = "Renamed"
    participant.save()

    output = restore(tmp_path / "backup")

    assert "Restored" in output
    after = every_row()
    audit_table = AuditEntry._meta.db_table
    assert {t: r for t, r in after.items() if t != audit_table} == {
        t: r for t, r in before.items() if t != audit_table
    }
    # The audit log is the backup's, plus the entry saying it was restored.
    assert len(after[audit_table]) == len(before[audit_table]) + 1
    assert AuditEntry.objects.filter(action=AuditEntry.Action.RESTORE).count() == 1
    assert AuditEntry.objects.filter(action=AuditEntry.Action.BACKUP).count() == 1
    assert Encounter.objects.get(pk=noted_encounter.pk).note == SECRET
    assert not Encounter.objects.filter(pk=later.pk).exists()


def test_the_backup_and_its_manifest_hold_no_clear_note(tmp_path, noted_encounter):
    backup(tmp_path / "backup")
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    copy = (tmp_path / "backup" / manifest["file"]).read_bytes()
    assert SECRET.encode() not in copy
    assert b"prefers Tuesdays" not in copy
    assert "prefers Tuesdays" not in json.dumps(manifest)
    assert manifest["tables"]["outreach_encounter"] == 1
    (sample,) = manifest["samples"]
    assert sample["pk"] == str(noted_encounter.pk)


def test_a_restore_with_other_keys_says_so_and_changes_nothing(
    tmp_path, settings, sam, downtown, participant, noted_encounter
):
    backup(tmp_path / "backup")
    later = record(sam, downtown, participant, "Written after the backup")
    keys = settings.ENCRYPTION_KEYS
    settings.ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(CommandError, match="not the keys this backup was made with"):
        restore(tmp_path / "backup")
    settings.ENCRYPTION_KEYS = keys
    assert Encounter.objects.filter(pk=later.pk).exists()
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.RESTORE).exists()


def test_other_keys_are_told_apart_even_before_any_note_is_written(tmp_path, settings, db):
    backup(tmp_path / "backup")
    settings.ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(CommandError, match="not the keys this backup was made with"):
        restore(tmp_path / "backup")


def test_a_backup_made_before_a_key_rotation_restores_while_the_old_key_is_kept(
    tmp_path, settings, noted_encounter
):
    backup(tmp_path / "backup")
    settings.ENCRYPTION_KEYS = [Fernet.generate_key().decode(), *settings.ENCRYPTION_KEYS]
    call_command("rotate_encryption_keys", stdout=io.StringIO())
    restore(tmp_path / "backup")
    assert Encounter.objects.get(pk=noted_encounter.pk).note == SECRET


def test_a_sample_note_the_keys_cannot_open_stops_the_restore(tmp_path, noted_encounter):
    backup(tmp_path / "backup")
    manifest_path = tmp_path / "backup" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["samples"][0]["token"] = Fernet(Fernet.generate_key()).encrypt(b"x").decode()
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(CommandError, match="do not open the notes in this backup"):
        restore(tmp_path / "backup")


def test_the_check_says_which_tables_differ_from_the_backup(
    tmp_path, sam, downtown, participant, noted_encounter
):
    backup(tmp_path / "backup")
    assert "Checked" in restore(tmp_path / "backup", "--check")
    record(sam, downtown, participant, "Written after the backup")
    with pytest.raises(CommandError, match="Table outreach_encounter has 2 rows; the backup has 1"):
        restore(tmp_path / "backup", "--check")


def test_the_check_says_when_restored_notes_cannot_be_decrypted(tmp_path, noted_encounter):
    backup(tmp_path / "backup")
    # As if the database had been restored by hand from a copy encrypted under another key.
    other_key = Fernet(Fernet.generate_key())
    Encounter.objects.filter(pk=noted_encounter.pk).update(
        note=Ciphertext(other_key.encrypt(b"unreadable").decode())
    )
    with pytest.raises(CommandError) as refused:
        restore(tmp_path / "backup", "--check")
    assert (
        f"outreach_encounter.note row {noted_encounter.pk} cannot be decrypted "
        "with HAVEN_ENCRYPTION_KEYS." in str(refused.value)
    )


def test_a_damaged_copy_is_refused_before_anything_changes(tmp_path, noted_encounter):
    backup(tmp_path / "backup")
    manifest = backups.read_manifest(tmp_path / "backup")
    with open(tmp_path / "backup" / manifest["file"], "ab") as copy:
        copy.write(b"damage")
    with pytest.raises(CommandError, match="does not match its manifest"):
        restore(tmp_path / "backup")


def test_a_backup_never_overwrites_another(tmp_path, noted_encounter):
    backup(tmp_path / "backup")
    with pytest.raises(CommandError, match="is not empty"):
        backup(tmp_path / "backup")


def test_a_directory_without_manifest_is_not_a_backup(tmp_path, db):
    with pytest.raises(CommandError, match="not a Haven backup directory"):
        restore(tmp_path)


def test_a_failed_backup_is_audited_as_failed(tmp_path, monkeypatch, db):
    def fail(target):
        raise backups.BackupError("No space left on device")

    monkeypatch.setattr(backups, "_backup_sqlite", fail)
    monkeypatch.setattr(backups, "_backup_postgresql", fail)
    with pytest.raises(CommandError, match="No space left on device"):
        backup(tmp_path / "backup")
    started, failed = AuditEntry.objects.filter(action=AuditEntry.Action.BACKUP).order_by("pk")
    assert "failed" not in started.detail
    assert failed.detail["failed"] == "No space left on device"
