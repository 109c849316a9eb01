"""The mail figures of the standard reports."""

import datetime

from django.utils import timezone

from haven.mail import actions
from haven.reports import metrics
from haven.reports.standard import naloxone_quarterly

from .conftest import request_data


def scope_today():
    today = timezone.localdate()
    return metrics.Scope(today - datetime.timedelta(days=1), today)


def test_requests_by_status_kits_and_doses_mailed_and_reversals_by_mail(
    offers, mail_room, mia, sue
):
    packed = actions.do_submit_request(request_data(offers, naloxone=2, strips=5))
    actions.do_approve_request(packed, by=sue)
    actions.do_pack_request(packed, by=mia)
    waiting = actions.do_submit_request(request_data(offers, naloxone=1, line1="9 Oak Rd"))
    declined = actions.do_submit_request(request_data(offers, naloxone=1, line1="8 Oak Rd"))
    actions.do_decline_request(declined, by=sue, reason="No")
    actions.do_file_reversal(
        actions.ReversalData(
            form_token="r1",
            city="Tempe",
            state="AZ",
            zip_code="85281",
            occurred_on=timezone.localdate(),
            product="nasal spray",
            doses=1,
            emergency_services_called=None,
        )
    )
    assert waiting.status == "requested"
    report = naloxone_quarterly(scope_today())
    [table] = [t for t in report.tables if t.key == "mail"]
    rows = dict(table.rows)
    assert rows["Mail requests: Requested"] == 1
    assert rows["Mail requests: Packed"] == 1
    assert rows["Mail requests: Declined"] == 1
    assert rows["Mail requests: Shipped"] == 0
    assert rows["Naloxone kits mailed"] == 2
    assert rows["Naloxone doses mailed"] == 4  # 2 doses a kit
    assert rows["Reversals reported by mail"] == 1
    # The kits went out through the ledger: the naloxone tables count them too.
    [nasal] = [t for t in report.tables if t.key == "naloxone_naloxone_nasal"]
    assert dict(nasal.rows)["To anonymous contacts"] == 2
