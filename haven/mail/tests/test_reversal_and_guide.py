"""The public reversal form files an overdose report; the guide is a real page."""

import datetime
import re

import pytest
from django.test import Client
from django.utils import timezone

from haven.mail.models import MailReversal
from haven.overdose.models import Area, OverdoseReport

pytestmark = pytest.mark.django_db


def reversal_post(client, **fields):
    page = client.get("/public/mail/reversal/")
    token = re.search(r'name="token" value="([^"]+)"', page.content.decode()).group(1)
    values = {
        "token": token,
        "website": "",
        "city": "Tempe",
        "state": "AZ",
        "zip_code": "85281",
        "occurred_on": (timezone.localdate() - datetime.timedelta(days=1)).isoformat(),
        "product": "nasal spray",
        "doses": "2",
        "emergency_services_called": "yes",
        "outcome": "survived",
        **fields,
    }
    return client.post("/public/mail/reversal/", values), values


def test_the_public_reversal_form_files_an_overdose_report():
    area = Area.objects.create(code="85281", name="85281 Tempe", kind=Area.Kind.ZIP)
    response, _values = reversal_post(Client())
    assert response.status_code == 200
    assert b"/public/mail/?refill=1" in response.content  # the confidential refill
    report = OverdoseReport.objects.get()
    assert report.area == area
    assert report.naloxone_doses == 2
    assert report.emergency_services_called is True
    assert report.outcome == "survived"
    assert report.reported_by == "anonymous"
    assert report.recorded_by is None
    assert "Tempe" in report.note and "nasal spray" in report.note
    assert MailReversal.objects.get().report == report


def test_a_reversal_from_an_unknown_zip_is_filed_under_an_unknown_area():
    reversal_post(Client(), zip_code="85999")
    assert OverdoseReport.objects.get().area.code == "reported-by-mail"


def test_a_reversal_form_posted_twice_is_one_report():
    client = Client()
    _response, values = reversal_post(client)
    client.post("/public/mail/reversal/", values)
    assert OverdoseReport.objects.count() == 1


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"zip_code": "1234"}, "Enter a ZIP code of 5 digits"),
        ({"occurred_on": "2999-01-01"}, "it cannot be in the future"),
        ({"doses": "40"}, "less than or equal to 10"),
        ({"city": ""}, "Enter the city"),
    ],
)
def test_a_bad_reversal_report_is_refused_with_a_message(fields, message):
    response, _values = reversal_post(Client(), **fields)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert OverdoseReport.objects.count() == 0


def test_a_refill_request_marks_the_overdose_question():
    page = Client().get("/public/mail/?refill=1")
    assert re.search(r'<option value="yes" selected>', page.content.decode())


def test_the_guide_gives_the_steps_with_pictures_in_english_and_spanish():
    english = Client().get("/public/mail/guide/").content.decode()
    assert "Give naloxone" in english and "Call 911" in english
    assert "Xylazine" in english and "Stimulants" in english
    assert len(re.findall(r'<img src="[^"]+\.svg" alt="[^"]+"', english)) == 5
    assert "data-print" in english
    spanish = Client(headers={"accept-language": "es"}).get("/public/mail/guide/").content.decode()
    assert "Dé naloxona" in spanish and "Llame al 911" in spanish


def test_the_guide_links_to_the_training_when_the_program_has_one(settings):
    settings.MAIL_TRAINING_URL = "https://training.example.org/overdose"
    page = Client().get("/public/mail/guide/").content.decode()
    assert 'href="https://training.example.org/overdose"' in page


def test_the_guide_pictures_are_served():
    from django.contrib.staticfiles import finders

    for name in ("check", "call", "naloxone", "recovery", "stay"):
        assert finders.find(f"mail/guide/{name}.svg")


def test_the_reversal_form_is_rate_limited_per_network():
    client = Client()
    for _number in range(5):
        assert reversal_post(client)[0].status_code == 200
    response, _values = reversal_post(client)
    assert response.status_code == 429
    assert OverdoseReport.objects.count() == 5
