"""Haven's own staff management: the admin role only, every change audited."""

import pytest
from django.contrib.auth import SESSION_KEY
from django.core.exceptions import ValidationError
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from conftest import PASSWORD
from haven.accounts import actions
from haven.accounts.models import User
from haven.api.models import DeviceToken
from haven.api.tests.client import api_client
from haven.core.models import AuditEntry

NOT_ADMIN = ["specialist", "other_site_specialist", "supervisor", "manager", "analyst"]


def log_in(client, username, password):
    """Log in through the login page, as a person does (Axes needs the request)."""
    client.post(reverse("accounts:login"), {"username": username, "password": password})
    return SESSION_KEY in client.session


def staff_urls(member):
    """(method, url) of every staff page."""
    return [
        ("get", reverse("accounts:staff")),
        ("get", reverse("accounts:staff_new")),
        ("post", reverse("accounts:staff_new")),
        ("get", reverse("accounts:staff_edit", args=[member.pk])),
        ("post", reverse("accounts:staff_edit", args=[member.pk])),
        ("post", reverse("accounts:staff_deactivate", args=[member.pk])),
        ("post", reverse("accounts:staff_reactivate", args=[member.pk])),
        ("post", reverse("accounts:staff_reset_second_factor", args=[member.pk])),
    ]


def edit_data(member, **changes):
    data = {
        "first_name": member.first_name,
        "last_name": member.last_name,
        "email": member.email,
        "role": member.role,
        "sites": [site.pk for site in member.sites.all()],
    }
    data.update(changes)
    return data


@pytest.mark.parametrize("role", NOT_ADMIN)
def test_every_role_but_admin_is_refused_on_every_staff_page(role, personas, login, sam):
    client = login(personas[role])
    for method, url in staff_urls(sam):
        response = getattr(client, method)(url, {"role": "manager"})
        assert response.status_code == 403, f"{role} {method} {url}"
    sam.refresh_from_db()
    assert sam.is_active and sam.role == "specialist"


def test_logged_out_visitors_are_sent_to_log_in_on_every_staff_page(client, sam):
    for method, url in staff_urls(sam):
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("accounts:login"))


def test_admin_lists_staff_with_role_sites_status_and_last_login(
    login, adam, personas, django_assert_max_num_queries
):
    client = login(adam)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("accounts:staff"))
    page = response.content.decode()
    for user in personas.values():
        assert user.username in page
    assert "Downtown" in page and "Eastside" in page
    assert "Program manager" in page
    assert "never" in page


def test_staff_list_does_not_grow_queries_with_staff(
    login, adam, downtown, django_assert_max_num_queries
):
    for index in range(30):
        User.objects.create_user(f"worker{index}", role="specialist").sites.add(downtown)
    client = login(adam)
    with django_assert_max_num_queries(8):
        assert client.get(reverse("accounts:staff")).status_code == 200


def test_admin_creates_an_account_that_can_log_in(login, adam, downtown, client):
    response = login(adam).post(
        reverse("accounts:staff_new"),
        {
            "username": "rosa",
            "first_name": "Rosa",
            "role": "specialist",
            "sites": [downtown.pk],
            "password": "a quiet river at dawn",
        },
    )
    assert response.status_code == 302
    rosa = User.objects.get(username="rosa")
    assert rosa.role == "specialist"
    assert list(rosa.sites.all()) == [downtown]
    assert log_in(client, "rosa", "a quiet river at dawn")
    entry = AuditEntry.objects.get(action="create", object_type="accounts.user")
    assert entry.user == adam
    assert entry.object_id == str(rosa.pk)
    assert entry.detail == {"role": "specialist", "sites": [downtown.pk]}
    assert "a quiet river" not in str(entry.detail)


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short", "too short"),
        ("password123", "too common"),
        ("rosalinda1", "too similar"),
    ],
)
def test_a_weak_initial_password_is_refused_with_a_reason(login, adam, password, message):
    response = login(adam).post(
        reverse("accounts:staff_new"),
        {"username": "rosalinda", "role": "specialist", "password": password},
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not User.objects.filter(username="rosalinda").exists()
    assert not AuditEntry.objects.filter(action="create").exists()


def test_a_taken_username_is_refused_whatever_its_case(login, adam, sam):
    response = login(adam).post(
        reverse("accounts:staff_new"),
        {"username": "SAM", "role": "specialist", "password": "a quiet river at dawn"},
    )
    assert response.status_code == 400
    assert "That username is taken" in response.content.decode()
    assert User.objects.filter(username__iexact="sam").count() == 1


def test_admin_changes_role_and_sites_and_the_audit_says_from_what_to_what(
    login, adam, sam, downtown, eastside
):
    response = login(adam).post(
        reverse("accounts:staff_edit", args=[sam.pk]),
        edit_data(sam, role="supervisor", sites=[eastside.pk]),
    )
    assert response.status_code == 302
    sam.refresh_from_db()
    assert sam.role == "supervisor"
    assert list(sam.sites.all()) == [eastside]
    entry = AuditEntry.objects.get(action="update", object_type="accounts.user")
    assert entry.user == adam
    assert entry.detail == {
        "fields": ["role", "sites"],
        "old_role": "specialist",
        "new_role": "supervisor",
        "sites_added": [eastside.pk],
        "sites_removed": [downtown.pk],
    }


def test_saving_without_changes_writes_no_audit_entry(login, adam, sam):
    response = login(adam).post(reverse("accounts:staff_edit", args=[sam.pk]), edit_data(sam))
    assert response.status_code == 302
    assert not AuditEntry.objects.filter(action="update").exists()


def test_admin_cannot_change_their_own_role(login, adam):
    response = login(adam).post(
        reverse("accounts:staff_edit", args=[adam.pk]), edit_data(adam, role="manager")
    )
    assert response.status_code == 400
    assert "You cannot change your own role" in response.content.decode()
    adam.refresh_from_db()
    assert adam.role == "admin"
    refused = AuditEntry.objects.get(action="refused")
    assert refused.user == adam
    assert refused.object_id == str(adam.pk)
    assert refused.detail == {"reason": "own role"}
    assert not AuditEntry.objects.filter(action="update").exists()


def test_the_action_itself_refuses_an_own_role_change(adam):
    with pytest.raises(ValidationError):
        actions.do_update_user(adam, adam, role="manager", sites=[])
    adam.refresh_from_db()
    assert adam.role == "admin"
    assert AuditEntry.objects.filter(action="refused", user=adam).count() == 1


def test_admin_may_change_their_own_name(login, adam):
    response = login(adam).post(
        reverse("accounts:staff_edit", args=[adam.pk]), edit_data(adam, first_name="Adam")
    )
    assert response.status_code == 302
    adam.refresh_from_db()
    assert adam.first_name == "Adam"


def test_own_edit_page_explains_role_and_deactivation_are_for_another_admin(login, adam):
    page = login(adam).get(reverse("accounts:staff_edit", args=[adam.pk])).content.decode()
    assert "You cannot change your own role" in page
    assert "You cannot deactivate your own account" in page
    assert reverse("accounts:staff_deactivate", args=[adam.pk]) not in page


def test_admin_cannot_deactivate_themselves(login, adam):
    client = login(adam)
    response = client.post(reverse("accounts:staff_deactivate", args=[adam.pk]), follow=True)
    assert "You cannot deactivate your own account" in response.content.decode()
    adam.refresh_from_db()
    assert adam.is_active
    assert AuditEntry.objects.get(action="refused").detail == {"reason": "deactivate self"}
    assert not AuditEntry.objects.filter(action="deactivate").exists()
    assert client.get(reverse("accounts:staff")).status_code == 200


def test_deactivation_logs_the_person_out_at_once(login, adam, sam):
    sams_phone_browser = login(sam)
    assert sams_phone_browser.get(reverse("core:home")).status_code == 200
    response = login(adam).post(reverse("accounts:staff_deactivate", args=[sam.pk]))
    assert response.status_code == 302
    response = sams_phone_browser.get(reverse("core:home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))
    assert SESSION_KEY not in sams_phone_browser.session


def test_deactivation_ends_the_sessions_so_reactivating_does_not_bring_them_back(login, adam, sam):
    sams_browser = login(sam)
    actions.do_deactivate_user(adam, sam)
    actions.do_reactivate_user(adam, sam)
    response = sams_browser.get(reverse("core:home"))
    assert response.status_code == 302


def test_deactivation_leaves_other_peoples_sessions_alone(login, adam, sam, sue):
    sues_browser = login(sue)
    actions.do_deactivate_user(adam, sam)
    assert sues_browser.get(reverse("core:home")).status_code == 200


def test_deactivation_revokes_device_tokens_at_once(login, adam, sam, downtown):
    phone = api_client(sam)
    assert phone.get("/api/v1/sites").status_code == 200
    login(adam).post(reverse("accounts:staff_deactivate", args=[sam.pk]))
    assert phone.get("/api/v1/sites").status_code == 401
    assert not DeviceToken.objects.filter(user=sam, revoked_at__isnull=True).exists()
    actions.do_reactivate_user(adam, sam)
    assert phone.get("/api/v1/sites").status_code == 401


def test_deactivation_and_reactivation_are_audited(login, adam, sam):
    api_client(sam)
    client = login(adam)
    client.post(reverse("accounts:staff_deactivate", args=[sam.pk]))
    sam.refresh_from_db()
    assert not sam.is_active
    deactivated = AuditEntry.objects.get(action="deactivate")
    assert (deactivated.user, deactivated.object_id) == (adam, str(sam.pk))
    revoked = AuditEntry.objects.get(object_type="api.devicetoken")
    assert revoked.user == adam
    client.post(reverse("accounts:staff_reactivate", args=[sam.pk]))
    sam.refresh_from_db()
    assert sam.is_active
    assert AuditEntry.objects.filter(
        action="update", object_type="accounts.user", detail__fields=["is_active"]
    ).exists()


def test_a_deactivated_person_cannot_log_in(client, adam, sam):
    actions.do_deactivate_user(adam, sam)
    assert not log_in(client, "sam", PASSWORD)


def test_deactivating_twice_writes_one_entry(adam, sam):
    actions.do_deactivate_user(adam, sam)
    actions.do_deactivate_user(adam, sam)
    assert AuditEntry.objects.filter(action="deactivate").count() == 1


def test_deactivate_needs_a_post(login, adam, sam):
    response = login(adam).get(reverse("accounts:staff_deactivate", args=[sam.pk]))
    assert response.status_code == 405
    sam.refresh_from_db()
    assert sam.is_active


def test_unknown_staff_member_is_not_found(login, adam):
    assert login(adam).get(reverse("accounts:staff_edit", args=[99999])).status_code == 404


def test_staff_pages_are_in_spanish(login, adam, sam):
    client = login(adam)
    client.post(reverse("set_language"), {"language": "es"})
    page = client.get(reverse("accounts:staff_edit", args=[sam.pk])).content.decode()
    assert "Desactivar sam" in page
    assert "Sitios" in page


def test_admin_resets_a_lost_phones_second_factor_from_the_staff_page(login, adam, sam):
    TOTPDevice.objects.create(user=sam, name="Authenticator app", confirmed=True)
    client = login(adam)
    page = client.get(reverse("accounts:staff_edit", args=[sam.pk])).content.decode()
    reset = reverse("accounts:staff_reset_second_factor", args=[sam.pk])
    assert reset in page
    response = client.post(reset, follow=True)
    assert "is logged out everywhere and will set up a second factor again" in (
        response.content.decode()
    )
    assert not TOTPDevice.objects.filter(user=sam).exists()
    entry = AuditEntry.objects.get(action="update", object_id=str(sam.pk))
    assert entry.user == adam
    assert entry.detail == {"second_factor": "reset", "devices": 1}


def test_admin_cannot_reset_their_own_second_factor_from_the_staff_page(login, adam):
    client = login(adam)
    page = client.get(reverse("accounts:staff_edit", args=[adam.pk])).content.decode()
    assert "You cannot reset your own second factor" in page
    assert reverse("accounts:staff_reset_second_factor", args=[adam.pk]) not in page
    response = client.post(
        reverse("accounts:staff_reset_second_factor", args=[adam.pk]), follow=True
    )
    assert "You cannot reset your own second factor" in response.content.decode()
    assert not AuditEntry.objects.filter(detail__second_factor="reset").exists()
