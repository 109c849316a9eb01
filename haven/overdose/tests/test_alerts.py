"""Drug alerts: drafted by staff, published by supervisors, shown until they expire."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from haven.overdose.actions import AlertData, do_create_alert, do_publish_alert
from haven.overdose.models import DrugAlert


def local(value):
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")


def alert_form(area, **changes):
    now = timezone.now()
    data = {
        "title": "Blue pills with fentanyl",
        "body": "Pressed blue pills sold as oxy are testing positive for fentanyl.",
        "substances": ["fentanyl", "counterfeit_pills"],
        "area": area.pk,
        "severity": "urgent",
        "audience": "public",
        "starts_at": local(now - datetime.timedelta(minutes=5)),
        "expires_at": local(now + datetime.timedelta(days=7)),
        "title_es": "Pastillas azules con fentanilo",
        "body_es": "Pastillas azules vendidas como oxi dan positivo para fentanilo.",
    }
    data.update(changes)
    return data


def make_alert(by, **changes):
    now = timezone.now()
    values = {
        "title": "Strong batch",
        "body": "Watch out.",
        "severity": "warning",
        "audience": "public",
        "starts_at": now - datetime.timedelta(hours=1),
        "expires_at": now + datetime.timedelta(days=2),
    }
    values.update(changes)
    return do_create_alert(AlertData(**values), by=by)


def test_specialist_drafts_and_supervisor_publishes(sam, sue, login, area):
    response = login(sam).post(reverse("overdose:alert_new"), alert_form(area))
    alert = DrugAlert.objects.get()
    assert response.status_code == 302
    assert alert.status == "draft"
    assert login(sam).post(reverse("overdose:alert_publish", args=[alert.pk])).status_code == 403

    response = login(sue).post(reverse("overdose:alert_publish", args=[alert.pk]))

    alert.refresh_from_db()
    assert response.status_code == 302
    assert (alert.status, alert.published_by) == ("published", sue)
    assert list(DrugAlert.objects.current()) == [alert]


def test_only_supervisors_and_managers_may_publish(sam, area):
    alert = make_alert(sam)
    with pytest.raises(PermissionDenied):
        do_publish_alert(alert, by=sam)


def test_alert_that_expires_before_it_starts_is_refused_next_to_the_expiry(sam, login, area):
    now = timezone.now()
    data = alert_form(area, expires_at=local(now - datetime.timedelta(days=1)))
    response = login(sam).post(reverse("overdose:alert_new"), data)
    assert response.status_code == 400
    assert response.context["form"].errors["expires_at"] == [
        "An alert must expire after it starts."
    ]
    assert not DrugAlert.objects.exists()


def test_a_spanish_title_without_text_is_refused(sam, login, area):
    response = login(sam).post(reverse("overdose:alert_new"), alert_form(area, body_es=""))
    assert "body_es" in response.context["form"].errors
    assert not DrugAlert.objects.exists()


def test_expired_and_withdrawn_alerts_drop_off(sam, sue, login):
    expired = make_alert(
        sam,
        title="Old",
        starts_at=timezone.now() - datetime.timedelta(days=9),
        expires_at=timezone.now() - datetime.timedelta(days=1),
    )
    DrugAlert.objects.filter(pk=expired.pk).update(status="published")
    live = do_publish_alert(make_alert(sam, title="Live"), by=sue)
    assert list(DrugAlert.objects.current()) == [live]

    login(sue).post(reverse("overdose:alert_withdraw", args=[live.pk]))

    assert not DrugAlert.objects.current().exists()


def test_publishing_an_expired_alert_says_to_change_the_expiry(sam, sue, login):
    alert = make_alert(
        sam,
        starts_at=timezone.now() - datetime.timedelta(days=9),
        expires_at=timezone.now() - datetime.timedelta(days=1),
    )
    response = login(sue).post(reverse("overdose:alert_publish", args=[alert.pk]), follow=True)
    assert b"already expired" in response.content
    alert.refresh_from_db()
    assert alert.status == "draft"


def test_current_alerts_show_on_the_staff_home_page(sam, sue, login):
    do_publish_alert(make_alert(sam, title="Staff heads-up", audience="staff"), by=sue)
    make_alert(sam, title="Not yet published")
    home = login(sam).get(reverse("core:home"))
    assert b"Staff heads-up" in home.content
    assert b"Not yet published" not in home.content
    supervisor_home = login(sue).get(reverse("core:home"))
    assert b"1 draft alert to review" in supervisor_home.content


def test_edit_keeps_the_alert_and_records_the_change(sam, login, area):
    alert = make_alert(sam)
    response = login(sam).post(
        reverse("overdose:alert_edit", args=[alert.pk]), alert_form(area, title="Stronger batch")
    )
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.title == "Stronger batch"


@pytest.mark.parametrize("role", ["analyst", "admin"])
def test_alert_pages_refuse_analysts_and_admins(role, personas, login, sam, area):
    alert = make_alert(sam)
    client = login(personas[role])
    for url in (
        reverse("overdose:alerts"),
        reverse("overdose:alert_new"),
        reverse("overdose:alert_edit", args=[alert.pk]),
    ):
        assert client.get(url).status_code == 403, url
    for name in ("overdose:alert_publish", "overdose:alert_withdraw"):
        assert client.post(reverse(name, args=[alert.pk])).status_code == 403


def test_alert_list_in_few_queries(sam, sue, login, django_assert_max_num_queries, area):
    for number in range(15):
        alert = make_alert(sam, title=f"Alert {number}", area=area)
        if number % 2:
            do_publish_alert(alert, by=sue)
    client = login(sue)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("overdose:alerts"))
    assert response.content.count(b"Alert ") >= 15
