"""From a request to delivery, with the stock exact; the purge; staff roles."""

import datetime
import io

import pytest
from django.core import mail as outbox
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone
from pypdf import PdfReader

from haven.core.models import AuditEntry
from haven.core.tests.pdf_pictures import assert_printable, letters_drawn, page_text
from haven.mail import actions
from haven.mail.models import MailRequest
from haven.outreach.models import Encounter
from haven.supplies.actions import NotEnoughStock
from haven.supplies.models import StockMovement
from haven.supplies.stock import on_hand

from .conftest import request_data

Status = MailRequest.Status


def submitted(offers, **overrides):
    return actions.do_submit_request(request_data(offers, **overrides))


def pdf_text(response):
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)


def test_a_request_goes_from_requested_to_delivered_with_the_stock_exact(
    login, offers, mail_room, mia, sue_at_mail, catalog, strips, django_capture_on_commit_callbacks
):
    request = submitted(offers, naloxone=2, strips=5, contact_email="robin@example.org")
    assert request.status == Status.REQUESTED
    assert request.first_request
    sue, packer = login(sue_at_mail), login(mia)

    assert sue.post(f"/mail/{request.pk}/approve/").status_code == 302
    assert packer.post(f"/mail/{request.pk}/pack/").status_code == 302
    request.refresh_from_db()
    assert request.status == Status.PACKED
    assert on_hand(mail_room, catalog["naloxone"]) == 8
    assert on_hand(mail_room, strips) == 45
    encounter = request.encounter
    assert encounter.contact_type == Encounter.ContactType.MAIL
    assert encounter.anonymous_people == 1
    assert sorted(
        StockMovement.objects.filter(encounter=encounter).values_list("item__name", "quantity")
    ) == [("Fentanyl test strips", -5), ("Naloxone nasal spray", -2)]

    label = packer.get(f"/mail/{request.pk}/label/")
    assert label["Content-Type"] == "application/pdf"
    text = pdf_text(label)
    assert "Robin" in text and "12 Main Street" in text and "Tempe AZ 85281" in text
    assert "2 × Naloxone nasal spray" in text
    assert AuditEntry.objects.filter(
        user=mia, action="view", object_type="mail.mailrequest", object_id=str(request.pk)
    ).exists()

    with django_capture_on_commit_callbacks(execute=True):
        packer.post(f"/mail/{request.pk}/ship/", {"tracking_number": "9400 1000 0000"})
    request.refresh_from_db()
    assert (request.status, request.tracking_number) == (Status.SHIPPED, "9400 1000 0000")
    assert "9400 1000 0000" in outbox.outbox[-1].body
    packer.post(f"/mail/{request.pk}/delivered/")
    request.refresh_from_db()
    assert request.status == Status.DELIVERED
    assert on_hand(mail_room, catalog["naloxone"]) == 8


def test_the_label_of_a_discreet_package_has_no_program_name_outside(
    login, offers, mail_room, mia, sue, mail_settings
):
    request = submitted(offers)
    actions.do_approve_request(request, by=sue)
    actions.do_pack_request(request, by=mia)
    pages = PdfReader(io.BytesIO(login(mia).get(f"/mail/{request.pk}/label/").content)).pages
    assert "Desert Harm Reduction" not in pages[0].extract_text()
    assert "Desert Harm Reduction" in pages[1].extract_text()  # the slip, inside

    mail_settings.MAIL_DISCREET = False
    other = submitted(offers, line1="99 Oak Road")
    actions.do_approve_request(other, by=sue)
    actions.do_pack_request(other, by=mia)
    first = PdfReader(io.BytesIO(login(mia).get(f"/mail/{other.pk}/label/").content)).pages[0]
    assert "Desert Harm Reduction" in first.extract_text()


def test_the_label_and_slip_look_right_as_pictures_with_a_long_address(
    login, offers, mail_room, mia, sue, mail_settings
):
    request = submitted(
        offers,
        label_name="José Ñúñez 🙂",
        line1="Apartamento 4B, Edificio Los Álamos, Calle de la Constitución 1234 esquina con "
        "Avenida Insurgentes Sur",
    )
    actions.do_approve_request(request, by=sue)
    actions.do_pack_request(request, by=mia)
    pdf = login(mia).get(f"/mail/{request.pk}/label/").content
    # Wrapped within the label's box, never run off the page.
    assert_printable(pdf)
    text = " ".join(page_text(pdf).split())
    assert "José Ñúñez [slightly smiling face]" in text
    assert "Avenida Insurgentes Sur" in text
    # The guide's full address, which a reader can type: a path alone leads nowhere.
    assert "http://testserver/public/mail/guide/" in text


def test_markup_typed_in_a_name_or_address_prints_as_typed_on_the_label(
    login, offers, mail_room, mia, sue, mail_settings
):
    # The public types these: as PDF markup they would enlarge text, add a link or
    # break the document; drawn as text they are only letters.
    name = "<font size=40>x</font> <b"
    line1 = '<a href="http://evil.example">12 Main St</a> <img src="/etc/passwd"/>'
    request = submitted(offers, label_name=name, line1=line1)
    actions.do_approve_request(request, by=sue)
    actions.do_pack_request(request, by=mia)
    pdf = login(mia).get(f"/mail/{request.pk}/label/").content
    assert_printable(pdf)
    text = " ".join(page_text(pdf).split())
    assert name in text and line1 in text
    first = PdfReader(io.BytesIO(pdf)).pages[0]
    assert "/Annots" not in first and "/XObject" not in first["/Resources"]


def test_a_chinese_name_and_address_print_in_letters_on_the_label(
    login, offers, mail_room, mia, sue, mail_settings
):
    address = "北京市朝阳区建国路八十八号现代城五号楼一单元二零三室北京市朝阳区建国路八十八号"
    request = submitted(offers, label_name="王秀英", line1=address)
    actions.do_approve_request(request, by=sue)
    actions.do_pack_request(request, by=mia)
    pdf = login(mia).get(f"/mail/{request.pk}/label/").content
    # The address has no spaces: it wraps between letters, within the label's box.
    assert_printable(pdf)
    drawn = letters_drawn(pdf, "王秀英")
    drawn.update(letters_drawn(pdf, address[:20]))
    for letter, (font, inked) in drawn.items():
        assert "DroidSansFallback" in font and inked, letter


def test_packing_short_of_stock_is_refused_and_writes_nothing(offers, mail_room, mia, sue, strips):
    request = submitted(offers, naloxone=0, strips=10)
    actions.do_approve_request(request, by=sue)
    actions.do_pack_request(request, by=mia)  # 40 strips left
    for _n in range(4):
        more = submitted(offers, naloxone=0, strips=10, line1=f"{_n} Elm Street")
        actions.do_approve_request(more, by=sue)
        actions.do_pack_request(more, by=mia)
    last = submitted(offers, naloxone=0, strips=10, line1="7 Pine Street")
    actions.do_approve_request(last, by=sue)
    encounters, movements = Encounter.objects.count(), StockMovement.objects.count()
    with pytest.raises(NotEnoughStock, match="Not enough Fentanyl test strips"):
        actions.do_pack_request(last, by=mia)
    last.refresh_from_db()
    assert last.status == Status.APPROVED and last.encounter is None
    assert (Encounter.objects.count(), StockMovement.objects.count()) == (encounters, movements)
    assert on_hand(mail_room, strips) == 0


def test_steps_out_of_order_are_refused(offers, mail_room, mia, sue):
    request = submitted(offers)
    with pytest.raises(ValidationError, match="cannot be done now"):
        actions.do_pack_request(request, by=mia)
    with pytest.raises(ValidationError, match="tracking number"):
        actions.do_ship_request(request, by=mia, tracking_number=" ")
    with pytest.raises(ValidationError, match="Say why"):
        actions.do_decline_request(request, by=sue, reason="")


def test_a_declined_request_tells_the_requester_why_in_their_language(
    offers, sue, django_capture_on_commit_callbacks
):
    request = submitted(offers, contact_email="r@example.org", language="es")
    with django_capture_on_commit_callbacks(execute=True):
        actions.do_decline_request(request, by=sue, reason="Fuera de la zona")
    request.refresh_from_db()
    assert request.status == Status.DECLINED and request.finished_at is not None
    assert outbox.outbox[-1].subject == "Su solicitud por correo"
    assert "Fuera de la zona" in outbox.outbox[-1].body


def test_the_purge_removes_the_address_and_keeps_the_counts(offers, mail_room, mia, sue):
    request = submitted(offers, contact_phone="480-555-0100")
    actions.do_approve_request(request, by=sue)
    actions.do_pack_request(request, by=mia)
    actions.do_ship_request(request, by=mia, tracking_number="T1")
    actions.do_finish_request(request, by=mia, status=Status.DELIVERED)
    delivered_at = MailRequest.objects.get(pk=request.pk).finished_at

    assert actions.do_purge_addresses(now=delivered_at + datetime.timedelta(days=13)) == 0
    assert MailRequest.objects.get(pk=request.pk).address

    assert actions.do_purge_addresses(now=delivered_at + datetime.timedelta(days=14)) == 1
    purged = MailRequest.objects.get(pk=request.pk)
    assert (purged.label_name, purged.address, purged.contact_phone) == ("", "", "")
    assert purged.address_purged_at is not None
    assert (purged.state, purged.zip_code, purged.status) == ("AZ", "85281", Status.DELIVERED)
    assert [(line.item.name, line.quantity) for line in purged.lines.all()] == [
        ("Naloxone nasal spray", 2)
    ]
    assert AuditEntry.objects.filter(
        action="delete", object_type="mail.mailrequest", object_id=str(request.pk)
    ).exists()
    # Run again: nothing more to purge.
    assert actions.do_purge_addresses(now=delivered_at + datetime.timedelta(days=20)) == 0


def test_the_purge_removes_the_tracking_number_too(offers, mail_room, mia, sue):
    """A carrier hands a proof of delivery (the address, the date, who signed) to anyone
    who gives the tracking number: kept after the purge, it would give the address back."""
    request = submitted(offers)
    actions.do_approve_request(request, by=sue)
    actions.do_pack_request(request, by=mia)
    actions.do_ship_request(request, by=mia, tracking_number="9400 1000 0000 0000 0000 00")
    actions.do_finish_request(request, by=mia, status=Status.DELIVERED)
    delivered_at = MailRequest.objects.get(pk=request.pk).finished_at

    assert actions.do_purge_addresses(now=delivered_at + datetime.timedelta(days=14)) == 1
    purged = MailRequest.objects.get(pk=request.pk)
    assert purged.tracking_number == ""
    assert purged.status == Status.DELIVERED and purged.shipped_at is not None
    entry = AuditEntry.objects.get(
        action="delete", object_type="mail.mailrequest", object_id=str(request.pk)
    )
    assert "tracking number" in entry.detail["purged"]


def test_the_purge_runs_as_a_scheduled_task(settings, offers, sue):
    from haven.core.schedule import Schedule
    from haven.mail.tasks import purge_addresses

    assert "haven.mail.tasks.purge_addresses" in settings.SCHEDULED_TASKS
    assert purge_addresses in [entry.task for entry in Schedule.from_settings().entries]
    request = submitted(offers)
    actions.do_decline_request(request, by=sue, reason="Out of area")
    MailRequest.objects.filter(pk=request.pk).update(
        finished_at=timezone.now() - datetime.timedelta(days=15)
    )
    assert purge_addresses.call() == 1
    assert MailRequest.objects.get(pk=request.pk).address == ""


def test_the_address_is_encrypted_at_rest(offers):
    from django.db import connection

    request = submitted(offers)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT address, label_name FROM mail_mailrequest WHERE id = %s", [request.pk]
        )
        address, label_name = cursor.fetchone()
    assert "Main" not in address and "Robin" not in label_name


def test_the_queue_puts_first_requests_and_witnessed_overdoses_first(login, offers, sam):
    repeat_old = submitted(offers, line1="1 A Street")
    MailRequest.objects.filter(pk=repeat_old.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=60)
    )
    later = submitted(offers, line1="1 A Street")  # asked before, 60 days ago
    witnessed = submitted(offers, line1="2 B Street", witnessed_overdose=True)
    plain = submitted(offers, line1="3 C Street")
    assert not later.first_request
    page = login(sam).get("/mail/")
    order = [r.pk for r in page.context["requests"]]
    assert order == [witnessed.pk, repeat_old.pk, plain.pk, later.pk]
    assert b"Main Street" not in page.content and b"B Street" not in page.content


@pytest.mark.parametrize("path", ["approve", "decline"])
def test_specialists_cannot_decide_on_requests(login, offers, mia, path):
    request = submitted(offers)
    assert login(mia).post(f"/mail/{request.pk}/{path}/", {"reason": "x"}).status_code == 403


def test_staff_of_other_sites_cannot_pack_or_print_labels(login, offers, mail_room, sam, sue):
    request = submitted(offers)
    actions.do_approve_request(request, by=sue)
    assert login(sam).post(f"/mail/{request.pk}/pack/").status_code == 403
    actions.do_pack_request(request, by=sue)
    assert login(sam).get(f"/mail/{request.pk}/label/").status_code == 403
    assert login(sam).get(f"/mail/{request.pk}/").status_code == 200


@pytest.mark.parametrize("who", ["ana", "adam"])
def test_analysts_and_admins_see_no_mail_pages(login, offers, who, request):
    user = request.getfixturevalue(who)
    mail_request = submitted(offers)
    assert login(user).get("/mail/").status_code == 403
    assert login(user).get(f"/mail/{mail_request.pk}/").status_code == 403


def test_no_staff_page_shows_the_address_or_label_name(login, offers, personas, mia, mail_room):
    request = submitted(offers, line1="Xaddress 77", label_name="Xlabelname")
    actions.do_approve_request(request, by=personas["supervisor"])
    for user in [*personas.values(), mia]:
        client = login(user)
        for path in ("/mail/", "/mail/?status=approved", f"/mail/{request.pk}/"):
            content = client.get(path).content
            assert b"Xaddress" not in content and b"Xlabelname" not in content, (user, path)


def test_the_queue_costs_the_same_queries_however_long(
    login, offers, sam, django_assert_num_queries
):
    submitted(offers, line1="1 A Street")
    client = login(sam)
    client.get("/mail/")
    with django_assert_num_queries(count := _queries(client)):
        client.get("/mail/")
    for number in range(5):
        submitted(offers, line1=f"{number} B Street")
    with django_assert_num_queries(count):
        assert len(client.get("/mail/").context["requests"]) == 6


def _queries(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        client.get("/mail/")
    return len(queries)


SHIPPED_ON = datetime.datetime(2026, 3, 2, 15, 0, tzinfo=datetime.UTC)


@pytest.fixture
def pinned_clock(monkeypatch):
    """timezone.now() answers what the test says, everywhere in Haven."""

    class Clock:
        now = SHIPPED_ON

    clock = Clock()
    monkeypatch.setattr(timezone, "now", lambda: clock.now)
    return clock


def test_a_package_shipped_long_ago_and_never_marked_delivered_loses_its_address(
    pinned_clock, offers, mail_room, mia, sue, mail_settings, login
):
    mail_settings.MAIL_SHIPPED_PURGE_DAYS = 60
    request = submitted(offers, naloxone=2, contact_email="robin@example.org")
    actions.do_approve_request(request, by=sue)
    actions.do_pack_request(request, by=mia)
    actions.do_ship_request(request, by=mia, tracking_number="T1")
    # Another package, shipped later, is not due yet.
    later = submitted(offers, line1="99 Oak Street")
    actions.do_approve_request(later, by=sue)
    actions.do_pack_request(later, by=mia)
    pinned_clock.now = SHIPPED_ON + datetime.timedelta(days=10)
    actions.do_ship_request(later, by=mia, tracking_number="T2")

    pinned_clock.now = SHIPPED_ON + datetime.timedelta(days=60) - datetime.timedelta(seconds=1)
    assert actions.do_purge_addresses() == 0
    pinned_clock.now = SHIPPED_ON + datetime.timedelta(days=60)
    assert actions.do_purge_addresses() == 1

    purged = MailRequest.objects.get(pk=request.pk)
    assert (purged.label_name, purged.address, purged.contact_email) == ("", "", "")
    assert purged.address_purged_at == pinned_clock.now
    assert (purged.state, purged.zip_code, purged.status) == ("AZ", "85281", Status.SHIPPED)
    assert [(line.item.name, line.quantity) for line in purged.lines.all()] == [
        ("Naloxone nasal spray", 2)
    ]
    entry = AuditEntry.objects.get(
        action="delete", object_type="mail.mailrequest", object_id=str(request.pk)
    )
    assert entry.detail["reason"] == "shipped, never marked delivered"
    assert MailRequest.objects.get(pk=later.pk).address  # shipped 50 days ago: kept
    # The label cannot be printed any more; the package can still be marked delivered.
    assert login(mia).get(f"/mail/{request.pk}/label/").status_code == 302
    actions.do_finish_request(purged, by=mia, status=Status.DELIVERED)
    assert MailRequest.objects.get(pk=request.pk).status == Status.DELIVERED
    # Purged once: a later run neither purges nor audits it again.
    pinned_clock.now += datetime.timedelta(days=30)
    assert actions.do_purge_addresses() == 1  # only the later package
    assert (
        AuditEntry.objects.filter(
            action="delete", object_type="mail.mailrequest", object_id=str(request.pk)
        ).count()
        == 1
    )


def test_the_shipped_purge_keeps_the_mail_figures(pinned_clock, offers, mail_room, mia, sue):
    from haven.mail import metrics as mail_metrics
    from haven.reports.metrics import Scope

    def figures():
        scope = Scope(SHIPPED_ON.date() - datetime.timedelta(days=1), SHIPPED_ON.date())
        return (mail_metrics.requests_by_status(scope), mail_metrics.naloxone_mailed(scope))

    request = submitted(offers, naloxone=2)
    actions.do_approve_request(request, by=sue)
    actions.do_pack_request(request, by=mia)
    actions.do_ship_request(request, by=mia, tracking_number="T1")
    before = figures()
    assert before[1] == {"kits": 2, "doses": 2 * offers["naloxone"].item.doses_per_unit}
    pinned_clock.now = SHIPPED_ON + datetime.timedelta(days=365)
    assert actions.do_purge_addresses() == 1
    assert figures() == before


def test_a_typed_decline_reason_is_stored_encrypted_and_purged_with_the_address(
    offers, sue, settings
):
    request = submitted(offers)
    actions.do_decline_request(request, by=sue, reason="Jane Doe moved to her sister's")
    assert MailRequest.objects.get(pk=request.pk).decline_reason == "Jane Doe moved to her sister's"
    with connection.cursor() as cursor:
        cursor.execute("SELECT decline_reason FROM mail_mailrequest WHERE id = %s", [request.pk])
        (stored,) = cursor.fetchone()
    assert "Jane" not in stored

    declined_at = MailRequest.objects.get(pk=request.pk).finished_at
    later = declined_at + datetime.timedelta(days=settings.MAIL_PURGE_DAYS)
    assert actions.do_purge_addresses(now=later) == 1
    purged = MailRequest.objects.get(pk=request.pk)
    assert (purged.decline_reason, purged.address, purged.status) == ("", "", Status.DECLINED)


@pytest.mark.django_db(transaction=True)
def test_reasons_typed_before_encryption_are_encrypted_by_the_migration(migrator):
    old = migrator.apply_initial_migration(("mail", "0003_returned_kits"))
    OldRequest = old.apps.get_model("mail", "MailRequest")
    common = {"state": "AZ", "zip_code": "85281", "requester_hash": "h", "first_request": True}
    typed = OldRequest.objects.create(
        form_token="a", status="declined", decline_reason="Jane Doe moved", **common
    )
    blank = OldRequest.objects.create(form_token="b", status="requested", **common)

    new = migrator.apply_tested_migration(("mail", "0004_decline_reason_encrypted"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT decline_reason FROM mail_mailrequest WHERE id = %s", [typed.pk])
        (stored,) = cursor.fetchone()
    assert "Jane" not in stored
    NewRequest = new.apps.get_model("mail", "MailRequest")
    assert NewRequest.objects.get(pk=typed.pk).decline_reason == "Jane Doe moved"
    assert NewRequest.objects.get(pk=blank.pk).decline_reason == ""

    # And back.
    back = migrator.apply_tested_migration(("mail", "0003_returned_kits"))
    assert back.apps.get_model("mail", "MailRequest").objects.get(pk=typed.pk).decline_reason == (
        "Jane Doe moved"
    )
