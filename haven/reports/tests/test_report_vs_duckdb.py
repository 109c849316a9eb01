"""The DuckDB side of bench/reports_vs_duckdb.py computes every figure of the grant report.

No timings: this keeps the benchmark's reference (DuckDB over the raw rows)
equal to Haven's figures as the report grows tables, on a small program that
has contacts, merged records, group trainings and mail requests, so that a
table the reference does not compute fails here and not only at full scale.
"""

import datetime
import tempfile
import uuid

import duckdb
from django.utils import timezone

from bench.reports_vs_duckdb import copy_rows, duckdb_tables, haven_tables
from haven.mail import actions as mail
from haven.mail.models import MailRequest
from haven.mail.tests.conftest import (  # noqa: F401 - the mail app's fixtures
    mail_room,
    mail_settings,
    mail_site,
    mia,
    offers,
    request_data,
    strips,
)
from haven.overdose.models import OverdoseReport
from haven.reports import standard
from haven.reports.metrics import Scope
from haven.supplies.models import Item
from haven.training.actions import do_add_attendee
from haven.training.tests.conftest import (  # noqa: F401 - the training app's fixtures
    make_session,
    sams_bag,
    seeded_quiz,
    take_quiz,
)

from .conftest import Q1, at


def test_duckdb_computes_every_figure_of_the_grant_report_as_haven_does(
    program,
    make_session,  # noqa: F811 - the fixture imported above
    sams_bag,  # noqa: F811 - the fixture imported above
    sam,
    sue,
    mia,  # noqa: F811 - the fixture imported above
    downtown,
    catalog,
    offers,  # noqa: F811 - the fixture imported above
    mail_room,  # noqa: F811 - the fixture imported above
):
    # Two group trainings in the quarter: participants (one of them by a merged
    # record), a name for a certificate, kits handed out, quizzes before and after.
    first = make_session(
        site=downtown,
        place="",
        headcount=9,
        held_on=datetime.date(2026, 2, 3),
        supplies={catalog["naloxone"]: 2},
    )
    second = make_session(
        headcount=5, held_on=datetime.date(2026, 3, 9), audience="first_responders"
    )
    for session, who in (
        (first, {"participant": program["p1"]}),
        (second, {"name": "Rosa", "consent": True}),
    ):
        do_add_attendee(session, client_uuid=uuid.uuid4(), by=sam, **who)
    do_add_attendee(first, client_uuid=uuid.uuid4(), by=sam, participant=program["p3"])
    take_quiz("pre", right_areas=("risks",), session=first)
    take_quiz("post", session=first)
    # Mail: one request packed, one declined, one waiting, and a reversal by mail,
    # all moved into the quarter.
    packed = mail.do_submit_request(request_data(offers, naloxone=2, strips=5))
    mail.do_approve_request(packed, by=sue)
    mail.do_pack_request(packed, by=mia)
    declined = mail.do_submit_request(request_data(offers, naloxone=1, line1="8 Oak Rd"))
    mail.do_decline_request(declined, by=sue, reason="No")
    mail.do_submit_request(request_data(offers, naloxone=1, line1="9 Oak Rd"))
    MailRequest.objects.update(created_at=at(2, 20))
    MailRequest.objects.filter(pk=packed.pk).update(packed_at=at(2, 21))
    mail.do_file_reversal(
        mail.ReversalData(
            form_token="r1",
            city="Tempe",
            state="AZ",
            zip_code="85281",
            occurred_on=datetime.date(2026, 3, 1),
            product="nasal spray",
            doses=1,
            emergency_services_called=None,
        )
    )
    OverdoseReport.objects.filter(mail_reversal__isnull=False).update(occurred_at=at(3, 1))

    scope = Scope(*Q1)
    haven = haven_tables(standard.grant_progress(scope))
    con = duckdb.connect()
    with tempfile.TemporaryDirectory() as folder:
        copy_rows(con, folder)
    reference = duckdb_tables(con, scope, timezone.now())

    assert reference == haven
    # Not zeros compared with zeros: the program fills the training and mail tables.
    assert haven[("training_people", "People trained")] == 1 + 1 + (9 - 2) + (5 - 1)
    assert haven[("training_kits", str(Item.ReportingGroup.NALOXONE_NASAL.label))] > 0
    assert haven[("mail", "Naloxone kits mailed")] == 2
    assert haven[("mail", "Mail requests: Declined")] == 1
    assert haven[("mail", "Reversals reported by mail")] == 1
