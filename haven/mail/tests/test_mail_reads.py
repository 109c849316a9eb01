"""Each page that shows a mail request is a read of it, in the audit log; what leads
to the person who asked (the tracking number, the reason typed for a decline) is
for the mail site's staff alone."""

import pytest
from django.urls import reverse

from haven.core.models import AuditEntry
from haven.mail import actions
from haven.mail.models import MailRequest

from .conftest import request_data

Status = MailRequest.Status


def last_entry_id():
    return AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0


def reads_since(before):
    return {
        (entry.user.username, entry.object_id, entry.page)
        for entry in AuditEntry.objects.filter(pk__gt=before, action=AuditEntry.Action.VIEW)
    }


@pytest.fixture
def shipped(offers, mail_room, mia, sue_at_mail):
    request = actions.do_submit_request(request_data(offers))
    actions.do_approve_request(request, by=sue_at_mail)
    actions.do_pack_request(request, by=mia)
    actions.do_ship_request(request, by=mia, tracking_number="9400 1000 0000")
    return request


@pytest.fixture
def declined(offers, sue_at_mail):
    request = actions.do_submit_request(request_data(offers, zip_code="85282"))
    actions.do_decline_request(request, by=sue_at_mail, reason="Jane Doe moved to her sister's")
    return request


@pytest.mark.parametrize("who", ["sam", "mia"])
def test_opening_a_request_is_a_read_of_it(request, who, login, shipped):
    user = request.getfixturevalue(who)
    before = last_entry_id()
    page = login(user).get(reverse("mail:detail", args=[shipped.pk]))
    assert page.status_code == 200
    assert reads_since(before) == {(who, str(shipped.pk), "mail request")}
    assert "no-store" in page["Cache-Control"]


def test_each_request_the_queue_lists_is_read(login, sam, shipped, declined, offers):
    waiting = actions.do_submit_request(request_data(offers, zip_code="85283"))
    client = login(sam)
    for status, listed in (
        ("", waiting),
        ("shipped", shipped),
        ("declined", declined),
    ):
        before = last_entry_id()
        page = client.get(reverse("mail:queue"), {"status": status} if status else {})
        assert listed.number in page.content.decode()
        assert reads_since(before) == {("sam", str(listed.pk), "mail queue")}
        assert "no-store" in page["Cache-Control"]
    before = last_entry_id()
    client.get(reverse("mail:queue"), {"status": "returned"})
    assert not reads_since(before)


def test_the_label_is_a_read_written_once(login, mia, offers, mail_room, sue_at_mail):
    request = actions.do_submit_request(request_data(offers))
    actions.do_approve_request(request, by=sue_at_mail)
    actions.do_pack_request(request, by=mia)
    client = login(mia)
    before = last_entry_id()
    assert client.get(reverse("mail:label", args=[request.pk])).status_code == 200
    [read] = AuditEntry.objects.filter(pk__gt=before)
    assert (read.user, read.action, read.object_id, read.page) == (
        mia,
        "view",
        str(request.pk),
        "mail label",
    )


def test_the_tracking_number_is_for_the_mail_site_alone(login, sam, mia, shipped):
    """The carrier gives the delivery address to anyone who has the number."""
    url = reverse("mail:detail", args=[shipped.pk])
    assert "9400 1000 0000" in login(mia).get(url).content.decode()
    page = login(sam).get(url).content.decode()
    assert "9400 1000 0000" not in page
    assert "Tracking number" not in page


def test_the_reason_for_a_decline_is_for_the_mail_site_alone(login, sam, sue_at_mail, declined):
    """It is typed by staff, and may name someone."""
    url = reverse("mail:detail", args=[declined.pk])
    assert "Jane Doe" in login(sue_at_mail).get(url).content.decode()
    assert "Jane Doe" not in login(sam).get(url).content.decode()
