"""Haven's own site management: the admin role only; sites are closed, never deleted."""

import pytest
from django.urls import reverse

from haven.accounts.models import Site
from haven.core.models import AuditEntry

NOT_ADMIN = ["specialist", "other_site_specialist", "supervisor", "manager", "analyst"]


def site_urls(site):
    return [
        ("get", reverse("accounts:sites")),
        ("get", reverse("accounts:site_new")),
        ("post", reverse("accounts:site_new")),
        ("get", reverse("accounts:site_edit", args=[site.pk])),
        ("post", reverse("accounts:site_edit", args=[site.pk])),
        ("post", reverse("accounts:site_deactivate", args=[site.pk])),
        ("post", reverse("accounts:site_reactivate", args=[site.pk])),
    ]


@pytest.mark.parametrize("role", NOT_ADMIN)
def test_every_role_but_admin_is_refused_on_every_site_page(role, personas, login, downtown):
    client = login(personas[role])
    for method, url in site_urls(downtown):
        response = getattr(client, method)(url, {"name": "Renamed", "kind": "fixed"})
        assert response.status_code == 403, f"{role} {method} {url}"
    downtown.refresh_from_db()
    assert downtown.name == "Downtown" and downtown.active


def test_logged_out_visitors_are_sent_to_log_in_on_every_site_page(client, downtown):
    for method, url in site_urls(downtown):
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("accounts:login"))


def test_admin_lists_sites_with_kind_area_and_staff_count(
    login, adam, sam, sue, downtown, eastside, django_assert_max_num_queries
):
    client = login(adam)
    with django_assert_max_num_queries(6):
        page = client.get(reverse("accounts:sites")).content.decode()
    assert "Downtown" in page and "Eastside" in page
    assert "Drop-in" in page and "Mobile unit" in page
    assert "85281" in page
    assert "<td>2</td>" in page  # Sam and Sue work Downtown.


def test_admin_creates_a_site_and_it_is_audited(login, adam):
    response = login(adam).post(
        reverse("accounts:site_new"), {"name": "Westside Van", "kind": "mobile", "area": "85283"}
    )
    assert response.status_code == 302
    site = Site.objects.get(name="Westside Van")
    assert (site.kind, site.area, site.active) == ("mobile", "85283", True)
    entry = AuditEntry.objects.get(action="create", object_type="accounts.site")
    assert (entry.user, entry.object_id) == (adam, str(site.pk))


def test_a_site_name_already_used_is_refused(login, adam, downtown):
    response = login(adam).post(reverse("accounts:site_new"), {"name": "downtown", "kind": "fixed"})
    assert response.status_code == 400
    assert "There is already a site with that name" in response.content.decode()
    assert Site.objects.count() == 1
    assert not AuditEntry.objects.filter(object_type="accounts.site").exists()


def test_a_site_needs_a_name_and_a_kind(login, adam):
    response = login(adam).post(reverse("accounts:site_new"), {"name": " ", "kind": "castle"})
    assert response.status_code == 400
    assert not Site.objects.exists()


def test_admin_edits_a_site_and_the_audit_names_the_fields(login, adam, downtown):
    response = login(adam).post(
        reverse("accounts:site_edit", args=[downtown.pk]),
        {"name": "Downtown Drop-in", "kind": "drop_in", "area": "85281"},
    )
    assert response.status_code == 302
    downtown.refresh_from_db()
    assert downtown.name == "Downtown Drop-in"
    entry = AuditEntry.objects.get(action="update", object_type="accounts.site")
    assert entry.detail == {"fields": ["name"]}


def test_closing_a_site_keeps_it_and_its_records(login, adam, downtown, participant):
    client = login(adam)
    response = client.post(reverse("accounts:site_deactivate", args=[downtown.pk]))
    assert response.status_code == 302
    downtown.refresh_from_db()
    assert not downtown.active
    participant.refresh_from_db()
    assert participant.enrolled_site == downtown
    assert AuditEntry.objects.filter(action="deactivate", object_type="accounts.site").exists()
    client.post(reverse("accounts:site_reactivate", args=[downtown.pk]))
    downtown.refresh_from_db()
    assert downtown.active
    assert AuditEntry.objects.filter(
        action="update", object_type="accounts.site", detail__fields=["active"]
    ).exists()


def test_a_closed_site_is_not_offered_to_new_staff_but_stays_on_its_people(
    login, adam, sam, downtown, eastside
):
    client = login(adam)
    client.post(reverse("accounts:site_deactivate", args=[downtown.pk]))
    new_page = client.get(reverse("accounts:staff_new")).content.decode()
    assert ">Eastside</label>" in new_page
    assert ">Downtown</label>" not in new_page
    sams_page = client.get(reverse("accounts:staff_edit", args=[sam.pk])).content.decode()
    assert ">Downtown</label>" in sams_page


def test_there_is_no_way_to_delete_a_site(login, adam, downtown):
    page = login(adam).get(reverse("accounts:site_edit", args=[downtown.pk])).content.decode()
    assert "Sites are never deleted" in page
    assert "delete" not in page.lower().replace("sites are never deleted", "")
