"""The public drug alerts page and feed: no login, no staff-only alerts, no counts."""

import datetime
import re
import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse
from django.utils import timezone

from haven.overdose.actions import AlertData, do_create_alert, do_detect_spikes, do_publish_alert
from haven.overdose.models import Area, DrugAlert, OverdoseReport

ATOM = "{http://www.w3.org/2005/Atom}"


def alert(by, publisher, publish=True, **changes):
    now = timezone.now()
    values = {
        "title": "Blue pills with fentanyl",
        "body": "Pressed blue pills sold as oxy are testing positive for fentanyl.",
        "title_es": "Pastillas azules con fentanilo",
        "body_es": "Pastillas azules vendidas como oxi dan positivo para fentanilo.",
        "severity": "urgent",
        "audience": "public",
        "substances": ["fentanyl"],
        "starts_at": now - datetime.timedelta(hours=1),
        "expires_at": now + datetime.timedelta(days=3),
    }
    values.update(changes)
    created = do_create_alert(AlertData(**values), by=by)
    return do_publish_alert(created, by=publisher) if publish else created


@pytest.fixture
def alerts(sam, sue):
    return {
        "public": alert(sam, sue),
        "staff": alert(
            sam, sue, title="Staff only heads-up", audience="staff", title_es="", body_es=""
        ),
        "draft": alert(sam, sue, publish=False, title="Draft not published"),
    }


def test_public_page_shows_only_published_public_alerts_without_login(client, alerts):
    response = client.get(reverse("public:alerts"))
    assert response.status_code == 200
    assert b"Blue pills with fentanyl" in response.content
    assert b"Staff only heads-up" not in response.content
    assert b"Draft not published" not in response.content


def test_expired_public_alert_drops_off(client, alerts):
    DrugAlert.objects.filter(pk=alerts["public"].pk).update(
        expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    assert b"Blue pills" not in client.get(reverse("public:alerts")).content
    assert client.get(reverse("public:alert_detail", args=[alerts["public"].pk])).status_code == 404


def test_staff_only_alert_has_no_public_page(client, alerts):
    response = client.get(reverse("public:alert_detail", args=[alerts["staff"].pk]))
    assert response.status_code == 404


def test_spanish_readers_get_the_spanish_text(client, alerts):
    client.cookies["django_language"] = "es"
    response = client.get(reverse("public:alerts"))
    assert "Pastillas azules con fentanilo" in response.content.decode()
    assert "Alertas sobre drogas" in response.content.decode()


def test_atom_feed_lists_public_alerts_in_each_language(client, alerts):
    english = ET.fromstring(client.get(reverse("public:alert_feed")).content)
    spanish = ET.fromstring(client.get(reverse("public:alert_feed_in", args=["es"])).content)

    assert [e.findtext(f"{ATOM}title") for e in english.iter(f"{ATOM}entry")] == [
        "Blue pills with fentanyl"
    ]
    assert [e.findtext(f"{ATOM}title") for e in spanish.iter(f"{ATOM}entry")] == [
        "Pastillas azules con fentanilo"
    ]
    assert spanish.findtext(f"{ATOM}title") == "Alertas sobre drogas"


def test_markup_typed_in_an_alert_reaches_feed_readers_as_text(client, sam, sue):
    """A feed reader shows an Atom summary as HTML: typed markup must arrive escaped,
    as on the alert's page, or a tracking picture would be fetched by every reader."""
    markup = '<img src="https://tracker.example/p.gif"> <a href="https://evil.example">refill</a>'
    area = Area.objects.create(code="tempe-north", name="Tempe <b>north</b>", kind="neighbourhood")
    alert(sam, sue, body=f"Test your pills.\n{markup}", area=area)
    feed = ET.fromstring(client.get(reverse("public:alert_feed")).content)
    (summary,) = [e.find(f"{ATOM}summary") for e in feed.iter(f"{ATOM}entry")]
    assert summary.get("type") == "html"
    # What the reader renders as HTML: the text, escaped, with its line break.
    assert "<img" not in summary.text and "<a " not in summary.text and "<b>" not in summary.text
    assert "&lt;img src=&quot;https://tracker.example/p.gif&quot;&gt;" in summary.text
    assert summary.text.startswith("Tempe &lt;b&gt;north&lt;/b&gt;: Test your pills.<br>")
    page = client.get(reverse("public:alerts")).content.decode()
    assert "&lt;img src=&quot;https://tracker.example/p.gif&quot;&gt;" in page


def test_feed_in_an_unknown_language_is_not_found(client, alerts):
    assert client.get(reverse("public:alert_feed_in", args=["fr"])).status_code == 404


def test_a_published_spike_alert_shows_no_counts_or_places(client, sue):
    area = Area.objects.create(code="85281", name="Tempe 85281", kind="zip")
    now = timezone.now()
    for minutes in range(7):
        OverdoseReport.objects.create(
            occurred_at=now - datetime.timedelta(minutes=10 + minutes),
            area=area,
            reported_by="staff",
        )
    [flag] = do_detect_spikes(now, notify=False)
    spike_alert = flag.alert
    spike_alert.audience = "public"
    spike_alert.save()
    do_publish_alert(spike_alert, by=sue)

    text = client.get(reverse("public:alerts")).content.decode()
    assert "More overdoses than usual" in text
    assert "Tempe 85281" in text
    main = re.sub(r"\d{4}-\d{2}-\d{2}", "", text.split("<main", 1)[1])
    assert not re.search(r"\b7\b", main), "the count must not be shown"


def test_public_pages_work_for_staff_of_every_role_too(personas, login, alerts):
    for user in personas.values():
        assert login(user).get(reverse("public:alerts")).status_code == 200
