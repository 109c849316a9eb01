"""Backups of the whole database, and restores that check what they brought back.

A backup is a directory holding the database copy and `manifest.json`:

- SQLite: `haven.sqlite3`, copied with SQLite's online backup API, so the
  program can keep running while it is made;
- PostgreSQL: `haven.pgdump`, made by `pg_dump -Fc` from one snapshot.

The manifest records, from the same snapshot as the copy, the number of rows
of every table and a sample of encrypted notes (as ciphertext, the form they
have in the copy anyway). A restore first checks that the configured keys
open that sample, so that a restore with the wrong keys stops before touching
anything; after restoring, it compares every table's row count with the
manifest and decrypts the sample from the restored database.

Notes stay encrypted throughout: the copy holds the ciphertext the database
holds, and neither the backup nor the manifest ever holds a key. Keep the
keys (HAVEN_ENCRYPTION_KEYS) somewhere else; see docs/operations.md.
"""

import glob
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess  # noqa: S404 - pg_dump and pg_restore are the tools for PostgreSQL
from pathlib import Path

from cryptography.fernet import InvalidToken
from django.db import connection
from django.utils import timezone

from . import audit, crypto
from .models import AuditEntry

MANIFEST = "manifest.json"
# Encrypted at backup time with the keys then in use, so that a restore can tell
# wrong keys even when the database holds no note yet. Fernet is not weakened
# by a known plain text.
KEY_CHECK = "Haven backup key check"
FILES = {"sqlite": "haven.sqlite3", "postgresql": "haven.pgdump"}
SAMPLES_PER_FIELD = 5


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why and what to do."""


def engine():
    vendor = connection.vendor
    if vendor not in FILES:
        raise BackupError(f"Backups support SQLite and PostgreSQL, not {vendor}.")
    return vendor


# ------------------------------------------------------------------ backup


def make_backup(directory):
    """Back up the database into `directory` (new or empty). Returns the manifest."""
    directory = Path(directory)
    if directory.exists() and any(directory.iterdir()):
        raise BackupError(f"{directory} is not empty: choose a new directory for each backup.")
    kind = engine()
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / FILES[kind]
    # Written first, so that the backup holds the record of its own making and
    # the row counts below include it.
    audit.record(None, AuditEntry.Action.BACKUP, None, path=str(directory), database=kind)
    try:
        if kind == "sqlite":
            tables, samples = _backup_sqlite(target)
        else:
            tables, samples = _backup_postgresql(target)
    except Exception as error:
        audit.record(
            None, AuditEntry.Action.BACKUP, None, path=str(directory), failed=str(error)[:200]
        )
        raise
    manifest = {
        "format": 1,
        "database": kind,
        "file": target.name,
        "sha256": _sha256(target),
        "made_at": timezone.now().isoformat(timespec="seconds"),
        "tables": tables,
        "samples": samples,
        "key_check": crypto.encrypt(KEY_CHECK),
    }
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest


def _backup_sqlite(target):
    connection.ensure_connection()
    copy = sqlite3.connect(target)
    try:
        connection.connection.backup(copy)
        # Counted in the copy itself: what the manifest describes is the file.
        cursor = copy.cursor()
        return _counts_and_samples(cursor, _sqlite_tables(cursor), connection.ops.quote_name)
    finally:
        copy.close()


def _sqlite_tables(cursor):
    cursor.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    )
    return sorted(name for (name,) in cursor.fetchall())


def _backup_postgresql(target):
    # One repeatable-read transaction exports its snapshot; pg_dump dumps that
    # same snapshot, so the counts and the dump describe the same moment.
    snapshot_connection = connection.get_new_connection(connection.get_connection_params())
    try:
        snapshot_connection.autocommit = False
        with snapshot_connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            (snapshot,) = cursor.fetchone()
            cursor.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                "ORDER BY tablename"
            )
            tables = [name for (name,) in cursor.fetchall()]
            counts_and_samples = _counts_and_samples(cursor, tables, connection.ops.quote_name)
            _run_pg("pg_dump", "--format=custom", f"--snapshot={snapshot}", f"--file={target}")
        snapshot_connection.rollback()
    finally:
        snapshot_connection.close()
    return counts_and_samples


def _counts_and_samples(cursor, tables, quote):
    counts = {}
    for table in tables:
        cursor.execute(f"SELECT COUNT(*) FROM {quote(table)}")  # noqa: S608 - names from the schema
        counts[table] = cursor.fetchone()[0]
    samples = []
    for model, field in crypto.encrypted_fields():
        table, column, pk = model._meta.db_table, field.column, model._meta.pk.column
        if table not in counts:
            continue
        cursor.execute(
            f"SELECT {quote(pk)}, {quote(column)} FROM {quote(table)} "  # noqa: S608
            f"WHERE {quote(column)} <> '' ORDER BY {quote(pk)} DESC LIMIT {SAMPLES_PER_FIELD}"
        )
        samples += [
            {"table": table, "column": column, "pk_column": pk, "pk": str(pk_value), "token": token}
            for pk_value, token in cursor.fetchall()
        ]
    return counts, samples


# ------------------------------------------------------------------ restore


def read_manifest(directory):
    path = Path(directory) / MANIFEST
    try:
        manifest = json.loads(path.read_text())
    except FileNotFoundError:
        raise BackupError(f"{path} is missing: this is not a Haven backup directory.") from None
    except ValueError as error:
        raise BackupError(f"{path} cannot be read: {error}") from error
    if manifest.get("format") != 1 or manifest.get("database") not in FILES:
        raise BackupError(f"{path} is not a manifest this version of Haven can read.")
    return manifest


def check_keys(manifest):
    """Raise BackupError unless the configured keys open the backup's sample of notes."""
    fernet = crypto.fernet()
    try:
        opened = fernet.decrypt(manifest["key_check"].encode("ascii")).decode()
    except (InvalidToken, UnicodeEncodeError, KeyError):
        opened = None
    if opened != KEY_CHECK:
        raise BackupError(
            "The keys in HAVEN_ENCRYPTION_KEYS are not the keys this backup was made with. "
            "Restore with the keys that were in use when the backup was made; "
            "nothing was changed."
        )
    for sample in manifest["samples"]:
        try:
            fernet.decrypt(sample["token"].encode("ascii"))
        except (InvalidToken, UnicodeEncodeError):
            raise BackupError(
                "The keys in HAVEN_ENCRYPTION_KEYS do not open the notes in this backup "
                f"(first failure: {sample['table']}.{sample['column']} row {sample['pk']}). "
                "Restore with the keys that were in use when the backup was made; "
                "nothing was changed."
            ) from None


def check_restored(manifest):
    """What differs between the database now and the manifest: a list of sentences."""
    problems = []
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        tables = set(connection.introspection.table_names(cursor))
        for table, expected in sorted(manifest["tables"].items()):
            if table not in tables:
                problems.append(f"Table {table} is missing (the backup has {expected} rows).")
                continue
            cursor.execute(f"SELECT COUNT(*) FROM {quote(table)}")  # noqa: S608
            found = cursor.fetchone()[0]
            if table == AuditEntry._meta.db_table:
                # The restore itself is audited, after the backup was made.
                found -= AuditEntry.objects.filter(
                    action=AuditEntry.Action.RESTORE, at__gt=manifest["made_at"]
                ).count()
            if found != expected:
                problems.append(f"Table {table} has {found} rows; the backup has {expected}.")
        for sample in manifest["samples"]:
            cursor.execute(
                f"SELECT {quote(sample['column'])} FROM {quote(sample['table'])} "  # noqa: S608
                f"WHERE {quote(sample['pk_column'])} = %s",
                [sample["pk"]],
            )
            row = cursor.fetchone()
            where = f"{sample['table']}.{sample['column']} row {sample['pk']}"
            if row is None:
                problems.append(f"{where} is missing.")
                continue
            try:
                crypto.fernet().decrypt(row[0].encode("ascii"))
            except (InvalidToken, UnicodeEncodeError, AttributeError):
                problems.append(f"{where} cannot be decrypted with HAVEN_ENCRYPTION_KEYS.")
    return problems


def restore_backup(directory):
    """Replace the database with the backup in `directory`, then check it. Returns problems."""
    directory = Path(directory)
    manifest = read_manifest(directory)
    kind = engine()
    if manifest["database"] != kind:
        raise BackupError(
            f"This is a {manifest['database']} backup; the configured database is {kind}. "
            "Restore it into the same kind of database."
        )
    source = directory / manifest["file"]
    if not source.is_file():
        raise BackupError(f"{source} is missing.")
    if _sha256(source) != manifest["sha256"]:
        raise BackupError(f"{source} does not match its manifest: the copy is damaged.")
    check_keys(manifest)
    if kind == "sqlite":
        _restore_sqlite(source)
    else:
        _restore_postgresql(source)
    problems = check_restored(manifest)
    # Written after the check, into the restored database, which is where it must survive.
    audit.record(
        None,
        AuditEntry.Action.RESTORE,
        None,
        path=str(directory),
        made_at=manifest["made_at"],
        problems=len(problems),
    )
    return problems


def _restore_sqlite(source):
    connection.ensure_connection()
    backup = sqlite3.connect(source)
    try:
        backup.backup(connection.connection)
    finally:
        backup.close()


def _restore_postgresql(source):
    # pg_restore needs the tables free of this process's locks.
    connection.close()
    _run_pg(
        "pg_restore",
        "--clean",
        "--if-exists",
        "--no-owner",
        "--no-privileges",
        "--single-transaction",
        "--exit-on-error",
        f"--dbname={connection.settings_dict['NAME']}",
        str(source),
    )


# ------------------------------------------------------------------ helpers


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def pg_program(name):
    """The PostgreSQL client program `name`: on PATH, else the newest Debian install."""
    found = shutil.which(name)
    if found:
        return found
    installed = sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
        key=lambda path: int(Path(path).parts[-3]),
    )
    if not installed:
        raise BackupError(f"{name} is not installed; install the PostgreSQL client programs.")
    return installed[-1]


def _run_pg(program, *arguments):
    settings = connection.settings_dict
    environment = {
        **os.environ,
        "PGHOST": settings.get("HOST") or "",
        "PGPORT": str(settings.get("PORT") or ""),
        "PGUSER": settings.get("USER") or "",
        "PGPASSWORD": settings.get("PASSWORD") or "",
        "PGDATABASE": settings["NAME"],
    }
    environment = {key: value for key, value in environment.items() if value != ""}
    finished = subprocess.run(  # noqa: S603 - fixed program, arguments we built
        [pg_program(program), *arguments],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    if finished.returncode != 0:
        raise BackupError(f"{program} failed: {finished.stderr.strip()}")
