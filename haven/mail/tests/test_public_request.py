"""The public request form: limits, rate limits, a form posted twice, and nothing revealed."""

import re

import pytest
from django.test import Client

from haven.core.models import RateCount
from haven.mail.models import MailRequest

from .conftest import form_post

pytestmark = pytest.mark.django_db


def fresh_token(client):
    page = client.get("/public/mail/")
    return re.search(r'name="token" value="([^"]+)"', page.content.decode()).group(1)


def post(client, offers, token=None, **fields):
    return client.post("/public/mail/", form_post(offers, token or fresh_token(client), **fields))


def test_a_visitor_asks_for_naloxone_without_an_account(offers):
    client = Client()
    page = client.get("/public/mail/")
    assert page.status_code == 200
    assert b"Naloxone nasal spray" in page.content and b"Fentanyl test strips" in page.content
    response = post(client, offers, naloxone="2", strips="10")
    assert response.status_code == 200
    assert b"We received your request" in response.content
    request = MailRequest.objects.get()
    assert request.status == "requested" and request.zip_code == "85281"
    assert request.label_name == "Robin"
    assert sorted((line.item.name, line.quantity) for line in request.lines.all()) == [
        ("Fentanyl test strips", 10),
        ("Naloxone nasal spray", 2),
    ]


def test_the_form_asks_for_no_id_insurance_or_birth_date(offers):
    content = Client().get("/public/mail/").content.decode().lower()
    for word in ("birth", "insurance", "social security", "driver"):
        assert word not in content.replace("no id, no insurance, no date of birth", "")


def test_a_form_posted_twice_is_stored_once(offers):
    client = Client()
    token = fresh_token(client)
    post(client, offers, token)
    again = post(client, offers, token)
    assert again.status_code == 200 and b"We received your request" in again.content
    assert MailRequest.objects.count() == 1


def test_a_forged_or_missing_token_is_refused_with_a_fresh_one(offers):
    client = Client()
    response = post(client, offers, "made-up")
    assert response.status_code == 400
    assert b"This form has expired" in response.content
    assert b"made-up" not in response.content
    assert MailRequest.objects.count() == 0


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"naloxone": "3"}, b"Select a valid choice"),
        ({"naloxone": "0", "strips": "0"}, b"Choose at least one thing to receive"),
        ({"zip_code": "8528"}, b"Enter a ZIP code of 5 digits"),
        ({"zip_code": "ABCDE"}, b"Enter a ZIP code of 5 digits"),
        ({"state": "A1"}, b"Enter the state as two letters"),
        (
            {"state": "NM", "zip_code": "87501"},
            b"we can only mail to addresses in our service area",
        ),
        ({"label_name": " "}, b"Enter a name for the label"),
        ({"line1": ""}, b"Enter the street address"),
    ],
)
def test_bad_input_gets_a_clear_message_and_stores_nothing(offers, fields, message):
    response = post(Client(), offers, **fields)
    assert response.status_code == 400
    assert message in response.content
    assert MailRequest.objects.count() == 0


def test_a_zip_list_narrows_the_service_area(offers, mail_settings):
    mail_settings.MAIL_ZIP_CODES = ["85281"]
    assert post(Client(), offers, zip_code="85282").status_code == 400
    assert post(Client(), offers, zip_code="85281-1234").status_code == 200


def test_messages_are_in_the_visitors_language(offers):
    client = Client(headers={"accept-language": "es"})
    page = client.get("/public/mail/")
    assert "Reciba naloxona y suministros por correo" in page.content.decode()
    assert "Naloxona nasal" in page.content.decode()
    response = post(client, offers, zip_code="12")
    assert "Escriba un código postal de 5 dígitos" in response.content.decode()


def without_csrf(content):
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", content)


def test_a_repeat_address_sees_the_same_page_and_is_declined_quietly(offers):
    first = post(Client(), offers)
    # The same address, spelled differently, from another network.
    repeat = Client(REMOTE_ADDR="10.0.0.9").post(
        "/public/mail/",
        form_post(
            offers,
            fresh_token(Client()),
            line1="12 main st.",
            line2="apartment 4",
            city="TEMPE",
            state="az",
        ),
    )
    assert repeat.status_code == first.status_code == 200
    assert without_csrf(repeat.content) == without_csrf(first.content)
    earlier, later = MailRequest.objects.order_by("pk")
    assert earlier.requester_hash == later.requester_hash
    assert (earlier.status, later.status) == ("requested", "declined")
    assert "30 days" in later.decline_reason
    assert (later.address, later.label_name) == ("", "")
    assert later.address_purged_at is not None


def test_after_the_interval_an_address_may_ask_again(offers):
    import datetime

    from django.utils import timezone

    post(Client(), offers)
    MailRequest.objects.update(created_at=timezone.now() - datetime.timedelta(days=31))
    post(Client(), offers)
    later = MailRequest.objects.order_by("pk").last()
    assert later.status == "requested" and not later.first_request


def test_the_hash_is_keyed(offers, mail_settings):
    from haven.mail.addresses import requester_hash

    address = ("12 Main St", "", "Tempe", "AZ", "85281")
    before = requester_hash(*address)
    mail_settings.MAIL_ADDRESS_KEY = "another key"
    assert requester_hash(*address) != before


def test_a_network_that_posts_too_often_is_refused_for_an_hour(offers):
    client = Client()
    for number in range(5):
        assert post(client, offers, line1=f"{number} Elm Street").status_code == 200
    refused = post(client, offers, line1="6 Elm Street")
    assert refused.status_code == 429
    assert b"Please wait an hour" in refused.content
    assert MailRequest.objects.count() == 5
    # Another network is not held back.
    assert post(Client(REMOTE_ADDR="10.0.0.2"), offers, line1="7 Elm St").status_code == 200
    # The rows that count posts hold no network address.
    assert "127.0.0.1" not in str(list(RateCount.objects.values_list("scope", "key")))


def test_a_bot_that_fills_the_honeypot_is_thanked_and_nothing_is_stored(offers):
    response = post(Client(), offers, website="http://spam.example")
    assert response.status_code == 200
    assert MailRequest.objects.count() == 0


def test_the_public_form_carries_no_participant_data_and_no_cache(offers, participant):
    page = Client().get("/public/mail/")
    assert participant.alias.encode() not in page.content
    assert "no-store" in page["Cache-Control"] or "no-cache" in page["Cache-Control"]


def test_posts_with_mistakes_do_not_count_towards_the_rate_limit(offers):
    client = Client()
    for _attempt in range(6):
        assert post(client, offers, zip_code="1").status_code == 400
    assert post(client, offers).status_code == 200
