"""A year's grant progress report, side by side with DuckDB computing the same figures.

Usage (from the repository root, on a database made by bench/generate.py)::

    HAVEN_SQLITE_PATH=var/bench.sqlite3 .venv/bin/python bench/reports_vs_duckdb.py
    DATABASE_URL=postgres://... .venv/bin/python bench/reports_vs_duckdb.py --json

The raw rows the report counts (contacts, their supply lines and services,
participants, items, services, syringe collections, overdose reports, drug
checks, referrals) are copied into an in-memory DuckDB database (not timed).
Then, in the same run and alternately, Haven builds the grant progress report
for the last full year of the data (haven.reports.standard.grant_progress,
every figure of it, as the page does) and DuckDB computes every figure of it
from the raw rows with one SQL query per table, first naloxone kits included
(from each participant's whole history). The two sets of figures must be
equal; the script prints both medians and the ratio. Haven is timed:

- warm: a finished year's costliest figures read from reports.CachedFigures, as
  every view after the first;
- cold: as after a write into one day of the year: the year's cached figures
  forgotten, and those of the day's month (its figures and its set of people
  served, ServedMonth), the other months' kept;
- year to date: the newest contact's year, from 1 January to that day, an open
  period that is never cached (its finished months' sets of people served are);
  the figures are checked against DuckDB too;
- cold, nothing kept: every cache emptied (CachedFigures, ServedMonth, AnswerSets),
  as after `rebuild_report_summaries`.

Target (DESIGN.md): Haven ≤ 100 ms and ≤ 4x DuckDB. Writes only the report
caches. Needs the `duckdb` package (dev).
"""

import argparse
import csv
import datetime
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.reports_speed import periods, setup_django  # noqa: E402

TARGET_MS = 100
TARGET_RATIO = 4
NULL = "\\N"  # how the CSV files write NULL


def _utc(value):
    """A stored datetime as naive UTC text (SQLite gives naive UTC, PostgreSQL aware)."""
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(datetime.UTC).replace(tzinfo=None)
    return value.isoformat(sep=" ")


def copy_rows(con, folder):
    """Copy the raw tables the report counts into DuckDB (through CSV files)."""
    from django.db import connection

    from haven.mail.models import MailRequest, MailRequestLine, MailReversal
    from haven.outreach.models import Encounter, EncounterSupply, Service
    from haven.overdose.models import DrugCheck, OverdoseReport
    from haven.participants.models import Participant
    from haven.resources.models import Referral
    from haven.supplies.models import Item, StockMovement, SyringeCollection
    from haven.training.models import Attendee, QuizAttempt, SessionKitMovement, TrainingSession

    tables = {
        "encounter": (
            Encounter,
            "id occurred_at site_id staff_id participant_id anonymous_people contact_type "
            "secondary_people",
        ),
        "supply": (EncounterSupply, "encounter_id item_id quantity"),
        "encounter_service": (Encounter.services.through, "encounter_id service_id"),
        "participant": (
            Participant,
            "id merged_into_id year_of_birth gender race_ethnicity zip_code enrolled_at "
            "enrolled_site_id created_by_id",
        ),
        "item": (Item, "id category reporting_group doses_per_unit"),
        "service": (Service, "id reporting_group"),
        "syringe_collection": (SyringeCollection, "occurred_at site_id recorded_by_id syringes"),
        "overdose_report": (
            OverdoseReport,
            "id occurred_at source naloxone_doses outcome recorded_by_id encounter_id",
        ),
        "drug_check": (DrugCheck, "checked_on site_id recorded_by_id result"),
        "referral": (Referral, "made_at linked_at need site_id made_by_id"),
        "training_session": (TrainingSession, "id held_on site_id audience headcount"),
        "attendee": (Attendee, "session_id participant_id"),
        "quiz_attempt": (QuizAttempt, "session_id stage right asked"),
        "session_kit_movement": (SessionKitMovement, "session_id movement_id"),
        "mail_request": (MailRequest, "id status created_at packed_at"),
        "mail_request_line": (MailRequestLine, "request_id item_id quantity"),
        "mail_reversal": (MailReversal, "report_id"),
    }
    quote = connection.ops.quote_name
    # Only the ledger movements of trainings: the other four million are not counted.
    kit_movements = quote(SessionKitMovement._meta.db_table)
    sources = {
        "stock_movement": (
            "id item_id quantity",
            f"SELECT {quote('id')}, {quote('item_id')}, {quote('quantity')} "  # noqa: S608
            f"FROM {quote(StockMovement._meta.db_table)} WHERE {quote('id')} IN "
            f"(SELECT {quote('movement_id')} FROM {kit_movements})",
        )
    }
    for name, (model, columns) in tables.items():
        sources[name] = (
            columns,
            f"SELECT {', '.join(quote(c) for c in columns.split())} "  # noqa: S608 - model names
            f"FROM {quote(model._meta.db_table)}",
        )
    for name, (columns, select) in sources.items():
        columns = columns.split()
        times = [
            index
            for index, column in enumerate(columns)
            if column.endswith("_at") and column != "created_by_id"
        ]
        path = Path(folder) / f"{name}.csv"
        with connection.cursor() as cursor, path.open("w", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(columns)
            cursor.execute(select)
            while rows := cursor.fetchmany(50_000):
                for row in rows:
                    row = list(row)
                    for index in times:
                        row[index] = _utc(row[index])
                    # NULL apart from the empty text ('' is a value: an overdose
                    # report's source, a participant's unanswered gender).
                    writer.writerow([NULL if value is None else value for value in row])
        types = {
            column: "TIMESTAMP"
            if column
            in ("occurred_at", "enrolled_at", "made_at", "linked_at", "created_at", "packed_at")
            else "DATE"
            if column in ("checked_on", "held_on")
            else "VARCHAR"
            if column
            in (
                "contact_type",
                "gender",
                "race_ethnicity",
                "zip_code",
                "category",
                "reporting_group",
                "source",
                "outcome",
                "result",
                "need",
                "audience",
                "stage",
                "status",
            )
            else "BIGINT"
            for column in columns
        }
        con.execute(
            f"CREATE TABLE {name} AS SELECT * FROM read_csv(?, header=true, columns=?, nullstr=?)",
            [str(path), types, NULL],
        )


def duckdb_tables(con, scope, now):
    """Every figure of the grant progress report, from the raw rows: {(table key, label): value}."""
    from django.utils.translation import gettext as _

    from haven.outreach.models import Encounter
    from haven.participants.models import Participant
    from haven.reports import metrics
    from haven.resources.models import Need

    start, end = (_utc(bound) for bound in scope.bounds)
    figures = {}

    def q(sql, *params):
        return con.execute(sql, [*params]).fetchall()

    # Contacts and people.
    in_period = "occurred_at >= ?::TIMESTAMP AND occurred_at < ?::TIMESTAMP"
    by_type = dict(
        q(f"SELECT contact_type, COUNT(*) FROM encounter WHERE {in_period} GROUP BY 1", start, end)
    )
    types = dict(Encounter.ContactType.choices)
    for value in Encounter.ContactType.values:
        figures[("contacts_by_type", str(types[value]))] = by_type.get(value, 0)
    figures[("contacts_by_type", _("All contacts"))] = sum(by_type.values())
    anonymous, secondary = q(
        f"SELECT COALESCE(SUM(anonymous_people), 0), COALESCE(SUM(secondary_people), 0) "
        f"FROM encounter WHERE {in_period}",
        start,
        end,
    )[0]
    people = q(
        f"""
        SELECT kept.id, kept.year_of_birth, kept.gender, kept.race_ethnicity, kept.zip_code
        FROM participant kept WHERE kept.merged_into_id IS NULL AND kept.id IN (
            SELECT COALESCE(p.merged_into_id, p.id) FROM encounter e
            JOIN participant p ON p.id = e.participant_id WHERE {in_period})
        """,
        start,
        end,
    )
    new = q(
        "SELECT COUNT(*) FROM participant WHERE enrolled_at >= ?::TIMESTAMP "
        "AND enrolled_at < ?::TIMESTAMP AND merged_into_id IS NULL",
        start,
        end,
    )[0][0]
    figures[("people_served", _("Unique participants served"))] = len(people)
    figures[("people_served", _("New participants enrolled"))] = new
    figures[("people_served", _("People served anonymously (head count)"))] = anonymous
    figures[("people_served", _("People reached through secondary distribution"))] = secondary

    # Demographics (the labels as the report words them).
    genders = dict(Participant.Gender.choices)
    races = dict(Participant.RaceEthnicity.choices)
    not_recorded = _("not recorded")
    tallies = {
        "served_by_age": {},
        "served_by_gender": {},
        "served_by_race": {},
        "served_by_zip": {},
    }
    for _id, year_of_birth, gender, race, zip_code in people:
        age = metrics.age_group(year_of_birth, scope.end.year)
        for key, label in (
            ("served_by_age", not_recorded if age == metrics.NOT_RECORDED else age),
            ("served_by_gender", str(genders.get(gender, gender)) if gender else not_recorded),
            ("served_by_race", str(races.get(race, race)) if race else not_recorded),
            ("served_by_zip", zip_code or not_recorded),
        ):
            tallies[key][label] = tallies[key].get(label, 0) + 1
    for _low, _high, label in metrics.AGE_GROUPS:
        tallies["served_by_age"].setdefault(label, 0)
    tallies["served_by_age"].setdefault(not_recorded, 0)
    for key, counts in tallies.items():
        for label, n in counts.items():
            figures[(key, label)] = n
        figures[(key, _("All participants served"))] = len(people)

    # Supplies: syringes, naloxone with first kits from each participant's whole history.
    units = dict(
        q(
            f"""SELECT i.reporting_group, SUM(s.quantity) FROM supply s
            JOIN encounter e ON e.id = s.encounter_id JOIN item i ON i.id = s.item_id
            WHERE {in_period} GROUP BY 1""",
            start,
            end,
        )
    )
    collected = q(
        f"SELECT COALESCE(SUM(syringes), 0) FROM syringe_collection WHERE {in_period}", start, end
    )[0][0]
    out = units.get("syringes", 0)
    figures[("syringes", _("Syringes distributed"))] = out
    figures[("syringes", _("Syringes collected"))] = collected
    ratio = round(collected / out, 3) if out else None
    figures[("syringes", _("Syringes collected per syringe distributed"))] = (
        "—" if ratio is None else f"{ratio:.2f}"
    )
    naloxone = {
        group: (kits, anonymous_kits, doses, first)
        for group, kits, anonymous_kits, doses, first in q(
            f"""
            WITH lines AS (
                SELECT e.occurred_at, s.quantity, i.reporting_group, i.category, i.doses_per_unit,
                       e.participant_id IS NULL AS anonymous,
                       COALESCE(p.merged_into_id, p.id) AS kept
                FROM supply s JOIN encounter e ON e.id = s.encounter_id
                JOIN item i ON i.id = s.item_id LEFT JOIN participant p ON p.id = e.participant_id
            ),
            firsts AS (
                SELECT kept, MIN(occurred_at) AS first FROM lines
                WHERE category = 'naloxone' AND kept IS NOT NULL GROUP BY kept
            )
            SELECT l.reporting_group, SUM(l.quantity),
                   SUM(CASE WHEN l.anonymous THEN l.quantity ELSE 0 END),
                   SUM(l.quantity * l.doses_per_unit),
                   SUM(CASE WHEN f.first = l.occurred_at THEN l.quantity ELSE 0 END)
            FROM lines l LEFT JOIN firsts f ON f.kept = l.kept
            WHERE l.reporting_group IN ('naloxone_nasal', 'naloxone_injectable')
              AND l.{in_period}
            GROUP BY 1
            """,
            start,
            end,
        )
    }
    for group, title_key in (
        ("naloxone_nasal", "naloxone_naloxone_nasal"),
        ("naloxone_injectable", "naloxone_naloxone_injectable"),
    ):
        kits, anonymous_kits, doses, first = naloxone.get(group, (0, 0, 0, 0))
        figures[(title_key, _("First kits"))] = first
        figures[(title_key, _("Refills"))] = kits - first - anonymous_kits
        figures[(title_key, _("To anonymous contacts"))] = anonymous_kits
        figures[(title_key, _("All kits"))] = kits
        figures[(title_key, _("Doses"))] = str(doses)

    # Services at contacts: a contact per service given, people = 1 or the head count.
    services = {
        group: (contacts, people)
        for group, contacts, people in q(
            f"""SELECT sv.reporting_group, COUNT(*),
                SUM(CASE WHEN e.participant_id IS NULL THEN e.anonymous_people ELSE 1 END)
            FROM encounter_service es JOIN encounter e ON e.id = es.encounter_id
            JOIN service sv ON sv.id = es.service_id WHERE {in_period} GROUP BY 1""",
            start,
            end,
        )
    }
    figures[("services", _("HIV tests"))] = services.get("hiv_test", (0, 0))[0]
    figures[("services", _("HCV tests"))] = services.get("hcv_test", (0, 0))[0]
    figures[("services", _("People trained in overdose response"))] = services.get(
        "overdose_education", (0, 0)
    )[1]

    # Overdose response.
    reports, reversals = q(
        f"""SELECT COUNT(*), COUNT(*) FILTER (naloxone_doses > 0 AND outcome = 'survived')
        FROM overdose_report WHERE {in_period} AND source = ''""",
        start,
        end,
    )[0]
    done, positive, negative = q(
        """SELECT COUNT(*), COUNT(*) FILTER (result = 'positive'),
        COUNT(*) FILTER (result = 'negative') FROM drug_check
        WHERE checked_on >= ?::DATE AND checked_on <= ?::DATE""",
        scope.start,
        scope.end,
    )[0]
    for label, n in (
        (_("Overdoses reported"), reports),
        (_("Reversals reported"), reversals),
        (_("Drug checks done"), done),
        (_("Drug checks positive"), positive),
        (_("Drug checks negative"), negative),
    ):
        figures[("overdose", label)] = n
    decided = positive + negative
    figures[("overdose", _("Share of drug checks positive"))] = (
        "—" if not decided else f"{round(positive / decided, 3) * 100:.1f}%"
    )

    # Referrals.
    needs = dict(Need.choices)
    by_need = q(
        "SELECT need, COUNT(*) FROM referral WHERE made_at >= ?::TIMESTAMP "
        "AND made_at < ?::TIMESTAMP GROUP BY 1 ORDER BY 1",
        start,
        end,
    )
    for need, n in by_need:
        figures[("referrals_by_need", str(needs.get(need, need)))] = n
    figures[("referrals_by_need", _("All referrals"))] = sum(n for _need, n in by_need)
    window_closed = _utc(now - metrics.LINKAGE_WINDOW)
    eligible, linked = q(
        """SELECT COUNT(*), COUNT(*) FILTER (linked_at IS NOT NULL
                                           AND linked_at - made_at <= INTERVAL 30 DAY)
        FROM referral WHERE made_at >= ?::TIMESTAMP AND made_at < ?::TIMESTAMP
        AND made_at <= ?::TIMESTAMP""",
        start,
        end,
        window_closed,
    )[0]
    figures[("referrals_linked", _("Referrals whose 30 days have passed"))] = eligible
    figures[("referrals_linked", _("Linked to care within 30 days"))] = linked
    figures[("referrals_linked", _("Share linked within 30 days"))] = (
        "—" if not eligible else f"{round(linked / eligible, 3) * 100:.1f}%"
    )
    figures.update(_training_figures(q, scope))
    figures.update(_mail_figures(q, start, end))
    return figures


def _training_figures(q, scope):
    """The group-training tables (haven/training/metrics.py), from the raw rows."""
    from django.utils.translation import gettext as _

    from haven.supplies.models import Item
    from haven.training.models import Audience

    Group = Item.ReportingGroup  # noqa: N806
    in_period = "held_on >= ?::DATE AND held_on <= ?::DATE"
    period = (scope.start, scope.end)
    figures = {}
    participants, named, anonymous = q(
        f"""
        WITH sessions AS (SELECT id, headcount FROM training_session WHERE {in_period}),
        listed AS (
            SELECT a.session_id, COALESCE(p.merged_into_id, p.id) AS kept, a.participant_id
            FROM attendee a JOIN sessions s ON s.id = a.session_id
            LEFT JOIN participant p ON p.id = a.participant_id
        )
        SELECT (SELECT COUNT(DISTINCT kept) FROM listed),
               (SELECT COUNT(*) FROM listed WHERE participant_id IS NULL),
               (SELECT COALESCE(SUM(GREATEST(0, s.headcount - (
                    SELECT COUNT(*) FROM listed l WHERE l.session_id = s.id))), 0)
                FROM sessions s)
        """,
        *period,
    )[0]
    for label, n in (
        (_("Participants (each once)"), participants),
        (_("Named for a certificate"), named),
        (_("Others present (headcount)"), anonymous),
        (_("People trained"), participants + named + anonymous),
    ):
        figures[("training_people", label)] = n
    quiz = dict(
        (stage, (right, asked))
        for stage, right, asked in q(
            f"""SELECT stage, SUM("right"), SUM(asked) FROM quiz_attempt WHERE session_id IN
            (SELECT id FROM training_session WHERE {in_period}) GROUP BY 1""",
            *period,
        )
    )

    def percent(stage):
        right, asked = quiz.get(stage, (0, 0))
        return f"{round(100 * right / asked)}%" if asked else "—"

    figures[("training_people", _("Quiz answers right, before → after"))] = (
        f"{percent('pre')} → {percent('post')}"
    )
    by_audience = dict(
        q(f"SELECT audience, COUNT(*) FROM training_session WHERE {in_period} GROUP BY 1", *period)
    )
    for value, label in Audience.choices:
        figures[("training_sessions", str(label))] = by_audience.get(value, 0)
    figures[("training_sessions", _("All sessions"))] = sum(by_audience.values())
    kits = dict(
        q(
            f"""SELECT CASE WHEN i.reporting_group IN ('naloxone_nasal', 'naloxone_injectable')
                       THEN i.reporting_group ELSE 'other' END, -SUM(m.quantity)
            FROM session_kit_movement k JOIN stock_movement m ON m.id = k.movement_id
            JOIN item i ON i.id = m.item_id
            WHERE k.session_id IN (SELECT id FROM training_session WHERE {in_period})
            GROUP BY 1""",
            *period,
        )
    )
    labels = dict(Group.choices)
    for label, group in (
        (str(labels[Group.NALOXONE_NASAL]), Group.NALOXONE_NASAL),
        (str(labels[Group.NALOXONE_INJECTABLE]), Group.NALOXONE_INJECTABLE),
        (_("Other supplies"), "other"),
    ):
        figures[("training_kits", label)] = kits.get(group, 0)
    return figures


def _mail_figures(q, start, end):
    """The mail table (haven/mail/metrics.py), from the raw rows."""
    from django.utils.translation import gettext as _

    from haven.mail.models import MailRequest

    figures = {}
    by_status = dict(
        q(
            "SELECT status, COUNT(*) FROM mail_request WHERE created_at >= ?::TIMESTAMP "
            "AND created_at < ?::TIMESTAMP GROUP BY 1",
            start,
            end,
        )
    )
    for status, label in MailRequest.Status.choices:
        figures[("mail", _("Mail requests: %(status)s") % {"status": label})] = by_status.get(
            status, 0
        )
    kits, doses = q(
        """SELECT COALESCE(SUM(l.quantity), 0), COALESCE(SUM(l.quantity * i.doses_per_unit), 0)
        FROM mail_request_line l JOIN mail_request r ON r.id = l.request_id
        JOIN item i ON i.id = l.item_id
        WHERE i.category = 'naloxone' AND r.packed_at >= ?::TIMESTAMP
        AND r.packed_at < ?::TIMESTAMP""",
        start,
        end,
    )[0]
    figures[("mail", _("Naloxone kits mailed"))] = kits
    figures[("mail", _("Naloxone doses mailed"))] = str(doses)  # a note, as text
    figures[("mail", _("Reversals reported by mail"))] = q(
        """SELECT COUNT(*) FROM mail_reversal m JOIN overdose_report o ON o.id = m.report_id
        WHERE o.occurred_at >= ?::TIMESTAMP AND o.occurred_at < ?::TIMESTAMP""",
        start,
        end,
    )[0][0]
    return figures


def haven_tables(report):
    """The figures of a built report: {(table key, label): count or note text}."""
    figures = {}
    for table in report.tables:
        for label, value in [*table.rows, *table.notes]:
            figures[(table.key, str(label))] = value
    return figures


def _newest_day():
    from django.db.models import Max
    from django.utils import timezone

    from haven.outreach.models import Encounter

    return timezone.localdate(Encounter.objects.aggregate(n=Max("occurred_at"))["n"])


def timed(function, runs):
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return times, result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    setup_django()
    import os

    import duckdb
    from django.db import connection
    from django.utils import timezone

    from haven.reports import standard
    from haven.reports.metrics import CACHED_FIGURES, CachedContactFigures, Scope
    from haven.reports.models import AnswerSets, CachedFigures, ServedMonth
    from haven.reports.served import finished_months, next_month

    start, end = periods()["year"]
    scope = Scope(start, end)
    to_date = Scope(datetime.date(end.year + 1, 1, 1), _newest_day())
    con = duckdb.connect()
    # The same two cores as Haven's database: no more threads than that.
    con.execute(f"SET threads = {min(2, os.cpu_count() or 1)}")
    copied = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        copy_rows(con, folder)
    copied = time.perf_counter() - copied
    now = timezone.now()

    for each in (scope, to_date):
        haven_figures = haven_tables(standard.grant_progress(each))  # and warm-up
        reference = duckdb_tables(con, each, now)
        different = {
            key: (haven_figures.get(key), reference.get(key))
            for key in haven_figures.keys() | reference.keys()
            if haven_figures.get(key) != reference.get(key)
        }
        assert not different, f"Haven and DuckDB disagree on {each}: {different}"

    # What a write into one day of the year spoils: the year's cached figures, and the
    # figures and people served of that day's month (one in the middle).
    written_month = finished_months(start, end, timezone.localdate())[6]
    spoiled = [
        CachedContactFigures.key_of(each, name)
        for each in (scope, Scope(written_month, next_month(written_month) - datetime.timedelta(1)))
        for name in CACHED_FIGURES
    ]
    times = {"cold": [], "warm": [], "to_date": [], "nothing_kept": [], "duckdb": []}
    for _ in range(args.runs):  # alternately, so that all see the same machine load
        # Cold: as after a write into one day of the year.
        CachedFigures.objects.filter(scope__in=spoiled).delete()
        ServedMonth.objects.filter(month=written_month).delete()
        times["cold"] += timed(lambda: standard.grant_progress(scope), 1)[0]
        times["warm"] += timed(lambda: standard.grant_progress(scope), 1)[0]
        times["to_date"] += timed(lambda: standard.grant_progress(to_date), 1)[0]
        times["duckdb"] += timed(lambda: duckdb_tables(con, scope, now), 1)[0]
    for _ in range(args.runs):  # the rare case apart, so that it spoils no other run
        for model in (CachedFigures, ServedMonth, AnswerSets):
            model.objects.all().delete()
        times["nothing_kept"] += timed(lambda: standard.grant_progress(scope), 1)[0]
    medians = {name: statistics.median(values) * 1000 for name, values in times.items()}
    cold_ms, haven_ms, duck_ms = medians["cold"], medians["warm"], medians["duckdb"]
    haven_times = times["warm"]
    warm_cpu = time.process_time()
    for _ in range(args.runs):
        standard.grant_progress(scope)
    warm_cpu_ms = (time.process_time() - warm_cpu) / args.runs * 1000
    summary = {
        "database": connection.vendor,
        "period": f"{start}..{end}",
        "contacts_in_duckdb": con.execute("SELECT COUNT(*) FROM encounter").fetchone()[0],
        "figures_compared": len(reference),
        "runs": args.runs,
        "haven_median_ms": round(haven_ms, 1),
        "haven_worst_ms": round(max(haven_times) * 1000, 1),
        "haven_cpu_ms": round(warm_cpu_ms, 1),
        "haven_cold_median_ms": round(cold_ms, 1),
        "haven_cold_worst_ms": round(max(times["cold"]) * 1000, 1),
        "haven_to_date_median_ms": round(medians["to_date"], 1),
        "to_date_period": f"{to_date.start}..{to_date.end}",
        "haven_nothing_kept_median_ms": round(medians["nothing_kept"], 1),
        "duckdb_median_ms": round(duck_ms, 1),
        "ratio": round(haven_ms / duck_ms, 2),
        "cold_ratio": round(cold_ms / duck_ms, 2),
        "copy_into_duckdb_s": round(copied, 1),
        "load_average": [round(n, 2) for n in os.getloadavg()],
    }
    summary["meets_target"] = all(
        ms <= TARGET_MS and ms / duck_ms <= TARGET_RATIO
        for ms in (haven_ms, cold_ms, medians["to_date"])
    )
    if args.json:
        print(json.dumps(summary))
        return
    print(
        f"{summary['database']}, grant progress report {summary['period']}, "
        f"{summary['contacts_in_duckdb']:,} contacts, {summary['figures_compared']} figures "
        f"equal in Haven and DuckDB"
    )
    print(
        f"Haven  median {haven_ms:7.1f} ms  worst {summary['haven_worst_ms']:7.1f} ms "
        f"(warm: finished-period figures cached; Python CPU {warm_cpu_ms:.1f} ms)\n"
        f"Haven  cold   {cold_ms:7.1f} ms  worst {summary['haven_cold_worst_ms']:7.1f} ms "
        f"(after a write into one month; ratio {summary['cold_ratio']:.2f})\n"
        f"Haven  year to date {summary['to_date_period']}: {medians['to_date']:7.1f} ms "
        f"(an open period)\n"
        f"Haven  nothing kept {medians['nothing_kept']:7.1f} ms (every report cache emptied)\n"
        f"DuckDB median {duck_ms:7.1f} ms\n"
        f"ratio {summary['ratio']:.2f} (target ≤ {TARGET_RATIO}), Haven target ≤ {TARGET_MS} ms "
        f"(warm, cold and year to date): "
        f"{'met' if summary['meets_target'] else 'MISSED'}; load average {summary['load_average']}"
    )


if __name__ == "__main__":
    main()
