"""Certificates: only for a named, consenting attendee who passed; the PDF
read back, its QR code decoded; the public check shows only what it should."""

import datetime
import io
import uuid

import pytest
import zxingcpp
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from haven.consents.actions import do_withdraw_consent
from haven.consents.models import Consent
from haven.core.tests.pdf_pictures import assert_printable, letters_drawn, page_text, qr_codes
from haven.training import certificates
from haven.training.actions import (
    do_add_attendee,
    do_issue_certificate,
    do_revoke_certificate,
    verify,
)
from haven.training.models import Attendee, Certificate

from .conftest import answer_on_their_consents_page, named_participant, take_quiz


@pytest.fixture
def certificate(named_attendee, sam):
    take_quiz("post", attendee=named_attendee)
    return do_issue_certificate(named_attendee, by=sam)[0]


def test_no_certificate_for_someone_who_did_not_pass(named_attendee, sam):
    take_quiz("post", right_areas=("risks",), attendee=named_attendee)
    with pytest.raises(ValidationError) as error:
        do_issue_certificate(named_attendee, by=sam)
    assert "has not passed" in str(error.value)
    assert not Certificate.objects.exists()


def test_no_certificate_for_a_participant_who_gave_no_name(session, sam, participant):
    attendee, _ = do_add_attendee(
        session, client_uuid=uuid.uuid4(), by=sam, participant=participant
    )
    take_quiz("post", attendee=attendee)
    with pytest.raises(ValidationError) as error:
        do_issue_certificate(attendee, by=sam)
    assert "name and consent" in str(error.value)


def test_a_certificate_lasts_three_years_by_default(certificate):
    today = timezone.localdate()
    assert certificate.issued_on == today
    assert certificate.expires_on == today.replace(year=today.year + 3)
    assert len(certificate.code) >= 20


@override_settings(TRAINING_CERTIFICATE_YEARS=1)
def test_the_validity_is_a_setting(named_attendee, sam):
    take_quiz("post", attendee=named_attendee)
    certificate, _ = do_issue_certificate(named_attendee, by=sam)
    assert certificate.expires_on.year == timezone.localdate().year + 1


@pytest.mark.parametrize("size", ["wallet", "letter"])
def test_the_pdf_reads_back_and_its_qr_code_opens_the_check_page(certificate, size):
    url = "https://haven.example.org" + reverse("training:verify", args=[certificate.code])
    reader = PdfReader(io.BytesIO(certificates.render(certificate, size, url)))
    [page] = reader.pages
    text = page.extract_text()
    assert "Rosa Díaz" in text
    assert "Overdose response and naloxone" in text
    assert "sam" in text
    width = float(page.mediabox.width)
    assert width == pytest.approx(242.6, abs=0.2) if size == "wallet" else width == 612
    [image] = page.images
    [barcode] = zxingcpp.read_barcodes(image.image)
    assert barcode.text == url


@pytest.mark.parametrize("size", ["wallet", "letter"])
def test_the_certificate_looks_right_as_a_picture_even_with_a_long_name(session, sam, size):
    attendee, _ = do_add_attendee(
        session,
        client_uuid=uuid.uuid4(),
        by=sam,
        name="María José Nguyễn-Ødegård 🌈 de la Santísima Trinidad y Todos los Santos",
        consent=True,
    )
    take_quiz("post", attendee=attendee)
    certificate, _ = do_issue_certificate(attendee, by=sam)
    url = "https://haven.example.org" + reverse("training:verify", args=[certificate.code])
    pdf = certificates.render(certificate, size, url, language="es")
    # A card is cut from the sheet: 3 mm inside its edge is safe; a letter page keeps 12 pt.
    assert_printable(pdf, margin=8.5 if size == "wallet" else 12)
    assert "María José Nguyễn-Ødegård [rainbow]" in page_text(pdf)
    # The code is read from the printed picture, as a phone's camera would.
    assert qr_codes(pdf) == [url]


@pytest.mark.parametrize(
    "name", ["<b>Bo</b>\x00", "<font size=40>Bo</font>", '<a href="http://evil">Bo', "Bo <b"]
)
def test_markup_in_a_name_prints_as_typed(session, sam, name):
    attendee, _ = do_add_attendee(
        session, client_uuid=uuid.uuid4(), by=sam, name=name, consent=True
    )
    take_quiz("post", attendee=attendee)
    certificate, _ = do_issue_certificate(attendee, by=sam)
    page = PdfReader(io.BytesIO(certificates.render(certificate, "letter", "x"))).pages[0]
    assert name.replace("\x00", "") in page.extract_text()
    assert "/Annots" not in page  # no link was made of it


def test_the_check_page_shows_name_topic_date_and_trainer_only(client, certificate, participant):
    response = client.get(reverse("training:verify", args=[certificate.code]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "This certificate is valid." in page
    for shown in ("Rosa Díaz", "Overdose response and naloxone", "sam"):
        assert shown in page
    assert page.count("<dt>") == 4  # name, topic, date, trainer
    session = certificate.attendee.session
    for hidden in ("Downtown", session.get_audience_display(), session.quiz_token, "Log out"):
        assert hidden not in page


def test_a_revoked_certificate_is_answered_clearly_and_shows_no_name(client, certificate, sue):
    do_revoke_certificate(certificate, by=sue)
    response = client.get(reverse("training:verify", args=[certificate.code]))
    page = response.content.decode()
    assert "This certificate was revoked" in page
    assert "Rosa" not in page
    with pytest.raises(ValidationError):
        do_issue_certificate(certificate.attendee, by=sue)


def test_an_unknown_code_is_answered_clearly(client, db):
    response = client.get(reverse("training:verify", args=["no-such-code"]))
    assert response.status_code == 404
    assert "No certificate has this code" in response.content.decode()


def test_an_expired_certificate_says_a_refresher_is_due(client, certificate):
    Certificate.objects.filter(pk=certificate.pk).update(
        expires_on=timezone.localdate() - datetime.timedelta(days=1)
    )
    assert verify(certificate.code)[0] == "expired"
    response = client.get(reverse("training:verify", args=[certificate.code]))
    assert "has expired" in response.content.decode()


def test_the_trainer_downloads_both_sizes(login, sam, certificate):
    for size in ("wallet", "letter"):
        response = login(sam).get(
            reverse("training:certificate_pdf", args=[certificate.attendee_id]), {"size": size}
        )
        assert response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF")


@pytest.mark.parametrize("size", ["wallet", "letter"])
def test_a_chinese_name_prints_in_letters_not_question_marks(session, sam, size):
    attendee, _ = do_add_attendee(
        session, client_uuid=uuid.uuid4(), by=sam, name="王秀英 (Wang Xiuying)", consent=True
    )
    take_quiz("post", attendee=attendee)
    certificate, _ = do_issue_certificate(attendee, by=sam)
    pdf = certificates.render(certificate, size, "https://haven.example.org/v/x", language="es")
    assert_printable(pdf, margin=8.5 if size == "wallet" else 12)
    drawn = letters_drawn(pdf, "王秀英 (Wang Xiuying)")
    for letter in "王秀英":
        font, inked = drawn[letter]
        assert "DroidSansFallback" in font and inked


# A participant's consent to a name on a certificate is also one of their consent
# records (haven/consents): the newest answer wins, wherever it was given.


def test_a_participant_who_withdrew_their_name_consent_gets_no_named_certificate(
    session, sam, participant
):
    given = answer_on_their_consents_page(participant, sam, "given")
    attendee = named_participant(session, sam, participant)
    do_withdraw_consent(given, by=sam)
    with pytest.raises(ValidationError) as error:
        do_issue_certificate(attendee, by=sam)
    assert "was withdrawn, refused or has run out" in str(error.value)
    assert not Certificate.objects.exists()


def test_a_name_consent_withdrawn_after_the_certificate_hides_the_name_everywhere(
    client, login, session, sam, participant
):
    attendee = named_participant(session, sam, participant)
    certificate, _ = do_issue_certificate(attendee, by=sam)
    answer_on_their_consents_page(participant, sam, "refused")
    # The public check page still answers, without the name.
    page = client.get(reverse("training:verify", args=[certificate.code])).content.decode()
    assert "This certificate is valid." in page
    assert "Rosa" not in page
    assert "Not shown, at its holder's request." in page
    # Staff can no longer print it with the name.
    staff = login(sam)
    response = staff.get(reverse("training:certificate_pdf", args=[attendee.pk]), follow=True)
    assert response.headers["Content-Type"].startswith("text/html")
    assert "was withdrawn, refused or has run out" in response.content.decode()
    # Nor read it on the session's page or among the certificates expiring soon.
    for page in ("training:session", "training:expiring"):
        args = [session.pk] if page == "training:session" else []
        response = staff.get(reverse(page, args=args))
        assert response.status_code == 200
        assert "Rosa" not in response.content.decode(), page
    # Given again later, the name is back.
    answer_on_their_consents_page(participant, sam, "given")
    page = client.get(reverse("training:verify", args=[certificate.code])).content.decode()
    assert "Rosa Díaz" in page
    assert "Rosa Díaz" in staff.get(reverse("training:session", args=[session.pk])).content.decode()


def test_a_refusal_older_than_the_trainings_own_consent_does_not_take_it_back(
    session, sam, participant
):
    answer_on_their_consents_page(participant, sam, "refused")
    attendee = named_participant(session, sam, participant)
    certificate, created = do_issue_certificate(attendee, by=sam)
    assert created and certificate.holder_name == "Rosa Díaz"


def test_a_later_name_consent_that_ran_out_hides_the_name_until_a_new_one(
    client, login, session, sam, participant
):
    attendee = named_participant(session, sam, participant)
    certificate, _ = do_issue_certificate(attendee, by=sam)
    now = timezone.now()
    Attendee.objects.filter(pk=attendee.pk).update(
        consent_recorded_at=now - datetime.timedelta(days=10)
    )
    # Ten days after the training's box, five days ago: "yes, until today".
    limited = answer_on_their_consents_page(
        participant, sam, "given", expires_on=timezone.localdate()
    )
    Consent.objects.filter(pk=limited.pk).update(recorded_at=now - datetime.timedelta(days=5))
    check = reverse("training:verify", args=[certificate.code])
    pdf = reverse("training:certificate_pdf", args=[attendee.pk])
    staff = login(sam)
    assert "Rosa Díaz" in client.get(check).content.decode()

    # It ran out yesterday: the newest answer was a "yes" that has ended.
    Consent.objects.filter(pk=limited.pk).update(
        expires_on=timezone.localdate() - datetime.timedelta(days=1)
    )
    page = client.get(check).content.decode()
    assert "This certificate is valid." in page
    assert "Rosa" not in page
    assert "Not shown, at its holder's request." in page
    response = staff.get(pdf, follow=True)
    assert response.headers["Content-Type"].startswith("text/html")
    assert "was withdrawn, refused or has run out" in response.content.decode()
    assert Certificate.objects.get(pk=certificate.pk).holder_name == ""

    # A new consent brings the name back, on the check page and the PDF.
    answer_on_their_consents_page(participant, sam, "given")
    assert "Rosa Díaz" in client.get(check).content.decode()
    response = staff.get(pdf)
    assert response.headers["Content-Type"] == "application/pdf"
    assert "Rosa Díaz" in page_text(response.content)


def test_a_name_consent_that_ran_out_before_the_training_does_not_take_the_box_back(
    session, sam, participant
):
    limited = answer_on_their_consents_page(
        participant, sam, "given", expires_on=timezone.localdate()
    )
    Consent.objects.filter(pk=limited.pk).update(
        recorded_at=timezone.now() - datetime.timedelta(days=30),
        expires_on=timezone.localdate() - datetime.timedelta(days=20),
    )
    attendee = named_participant(session, sam, participant)
    certificate, created = do_issue_certificate(attendee, by=sam)
    assert created and certificate.holder_name == "Rosa Díaz"
