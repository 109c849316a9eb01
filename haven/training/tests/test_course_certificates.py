"""A certificate from the public self-paced course: for who passed, in a name they give
with consent, once per quiz, and checked on the same public page as session certificates."""

import io
import re
import uuid

import pytest
import zxingcpp
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from haven.core.models import AuditEntry
from haven.training.actions import do_issue_course_certificate, verify
from haven.training.forms import course_certificate_token
from haven.training.models import Certificate, QuizAttempt

from .conftest import answers, take_quiz

CERTIFICATE = reverse("training:course_certificate")


def course_quiz(client, right_areas=("risks", "signs", "actions", "naloxone"), **headers):
    data = {
        "client_uuid": str(uuid.uuid4()),
        **{f"q{question}": choice for question, choice in answers(right_areas).items()},
    }
    return client.post(reverse("training:course_quiz"), data, **headers), data


def token_on(page):
    return re.search(r'name="token" value="([^"]+)"', page).group(1)


def ask(client, signed, **overrides):
    data = {"token": signed, "name": "Alex Rivera", "consent": "on", "email": "", **overrides}
    return client.post(CERTIFICATE, data, HTTP_ACCEPT_LANGUAGE="en")


def test_who_passes_the_course_gets_a_certificate_the_check_page_confirms(db):
    client = Client()
    response, _data = course_quiz(client)
    page = response.content.decode()
    assert "Get a certificate" in page
    issued = ask(client, token_on(page), email="alex@example.org")
    assert issued.status_code == 200
    certificate = Certificate.objects.get()
    assert (certificate.name, certificate.email, certificate.attendee) == (
        "Alex Rivera",
        "alex@example.org",
        None,
    )
    assert certificate.consent_recorded_at is not None and certificate.issued_by is None
    assert certificate.attempt == QuizAttempt.objects.get()
    assert verify(certificate.code)[0] == "valid"
    assert AuditEntry.objects.filter(
        object_type="training.certificate", object_id=str(certificate.pk), action="create"
    ).exists()

    check = Client().get(reverse("training:verify", args=[certificate.code])).content.decode()
    assert "This certificate is valid." in check
    for shown in ("Alex Rivera", "self-paced course", "Self-paced online course"):
        assert shown in check
    assert "alex@example.org" not in check
    assert check.count("<dt>") == 4


def test_a_failed_course_quiz_offers_and_gets_no_certificate(db):
    client = Client()
    response, _data = course_quiz(client, right_areas=("risks",))
    assert "Get a certificate" not in response.content.decode()
    attempt = QuizAttempt.objects.get()
    # Even with a token made for it, the certificate is refused.
    refused = ask(client, course_certificate_token(attempt))
    assert refused.status_code == 400
    assert "this quiz was not passed" in refused.content.decode()
    assert not Certificate.objects.exists()


def test_a_course_quiz_sent_twice_is_answered_once(db):
    client = Client()
    first, data = course_quiz(client)
    again = client.post(reverse("training:course_quiz"), data, HTTP_ACCEPT_LANGUAGE="en")
    assert again.status_code == 409
    assert "This quiz was already sent" in again.content.decode()
    assert "Get a certificate" not in again.content.decode()
    assert QuizAttempt.objects.count() == 1
    # Asking twice for its certificate (a double tap, a reload) issues one.
    token = token_on(first.content.decode())
    assert ask(client, token).status_code == 200
    assert ask(client, token, name="Someone Else").status_code == 200
    assert list(Certificate.objects.values_list("name", flat=True)) == ["Alex Rivera"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"consent": ""}, "agree to it being printed"),
        ({"name": "  "}, "Write the name to print on the certificate."),
        ({"token": "forged"}, "take the quiz again"),
    ],
)
def test_no_certificate_without_a_name_consent_and_a_real_quiz(db, overrides, message):
    client = Client()
    response, _data = course_quiz(client)
    refused = ask(client, token_on(response.content.decode()), **overrides)
    assert refused.status_code == 400
    assert message in refused.content.decode()
    assert not Certificate.objects.exists()


def test_a_session_quiz_does_not_lead_to_a_course_certificate(named_attendee):
    attempt = take_quiz("post", attendee=named_attendee)
    with pytest.raises(ValidationError):
        do_issue_course_certificate(attempt, name="Rosa", consent=True)
    assert not Certificate.objects.exists()


@pytest.mark.parametrize("size", ["wallet", "letter"])
def test_the_holder_downloads_the_pdf_and_its_qr_code_opens_the_check_page(db, size):
    attempt = take_quiz("post")
    certificate, _created = do_issue_course_certificate(attempt, name="Alex Rivera", consent=True)
    url = reverse("training:course_certificate_pdf", args=[certificate.code])
    response = Client().get(url, {"size": size})
    assert response["Content-Type"] == "application/pdf"
    [page] = PdfReader(io.BytesIO(response.content)).pages
    assert "Alex Rivera" in page.extract_text()
    [image] = page.images
    [barcode] = zxingcpp.read_barcodes(image.image)
    assert barcode.text.endswith(reverse("training:verify", args=[certificate.code]))


def test_no_public_pdf_for_a_session_certificate_or_a_revoked_one(client, named_attendee, sam):
    from haven.training.actions import do_issue_certificate, do_revoke_certificate

    take_quiz("post", attendee=named_attendee)
    session_certificate, _created = do_issue_certificate(named_attendee, by=sam)
    url = reverse("training:course_certificate_pdf", args=[session_certificate.code])
    assert client.get(url).status_code == 404
    course, _created = do_issue_course_certificate(take_quiz("post"), name="Alex", consent=True)
    do_revoke_certificate(course, by=sam)
    assert (
        client.get(reverse("training:course_certificate_pdf", args=[course.code])).status_code
        == 404
    )


def test_the_certificate_form_is_in_spanish(db):
    client = Client()
    response, _data = course_quiz(client, HTTP_ACCEPT_LANGUAGE="es")
    assert "Obtener un certificado" in response.content.decode()
