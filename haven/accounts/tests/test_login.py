import pytest
from django.contrib.auth.hashers import identify_hasher
from django.urls import reverse

from conftest import PASSWORD
from haven.core.models import AuditEntry


def test_passwords_are_hashed_with_argon2(settings, downtown):
    from haven.accounts.models import User

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    user = User.objects.create_user("newbie", password="a long enough password")
    assert identify_hasher(user.password).algorithm == "argon2"


def test_log_in_and_out_are_audited(client, sam):
    response = client.post(reverse("accounts:login"), {"username": "sam", "password": PASSWORD})
    assert response.status_code == 302
    assert response.url == reverse("core:home")
    client.post(reverse("accounts:logout"))
    actions = list(AuditEntry.objects.filter(user=sam).values_list("action", flat=True))
    assert sorted(actions) == ["login", "logout"]
    assert client.get(reverse("core:home")).status_code == 302


def test_wrong_password_shows_an_error_and_does_not_log_in(client, sam):
    response = client.post(reverse("accounts:login"), {"username": "sam", "password": "nope"})
    assert response.status_code == 200
    assert b"correct username and password" in response.content
    assert "_auth_user_id" not in client.session


def test_repeated_failures_lock_the_account_even_with_the_right_password(client, settings, sam):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("accounts:login"), {"username": "sam", "password": "guess"})
    response = client.post(reverse("accounts:login"), {"username": "sam", "password": PASSWORD})
    assert response.status_code == 429
    assert b"Too many failed logins" in response.content
    assert "_auth_user_id" not in client.session


def test_lockout_is_per_account(client, settings, sam, sue):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("accounts:login"), {"username": "sam", "password": "guess"})
    response = client.post(reverse("accounts:login"), {"username": "sue", "password": PASSWORD})
    assert response.status_code == 302


@pytest.mark.parametrize("role", ["specialist", "analyst"])
def test_choosing_the_current_site_only_offers_own_sites(role, personas, login, eastside):
    user = personas[role]
    response = login(user).post(reverse("accounts:settings"), {"current_site": eastside.pk})
    assert response.status_code == 200
    assert b"Select a valid choice" in response.content
    user.refresh_from_db()
    assert user.current_site != eastside


def test_choosing_the_current_site(login, olga, eastside, downtown):
    olga.sites.add(downtown)
    response = login(olga).post(reverse("accounts:settings"), {"current_site": downtown.pk})
    assert response.status_code == 302
    olga.refresh_from_db()
    assert olga.current_site == downtown


def _everything_kept(entry):
    return " ".join(
        str(value) for value in (entry.object_type, entry.object_id, entry.page, entry.detail)
    )


def test_a_failed_login_to_a_real_account_is_audited_against_that_account(client, sam):
    client.post(reverse("accounts:login"), {"username": "sam", "password": "Tr0ub4dor&3"})
    entry = AuditEntry.objects.get(action=AuditEntry.Action.LOGIN_FAILED)
    assert entry.user == sam
    assert "Tr0ub4dor" not in _everything_kept(entry)


def test_a_failed_login_under_an_unknown_name_keeps_neither_the_name_nor_the_password(client, sam):
    # A password typed into the username box must not end up in the log.
    client.post(reverse("accounts:login"), {"username": "Tr0ub4dor&3", "password": "x"})
    entry = AuditEntry.objects.get(action=AuditEntry.Action.LOGIN_FAILED)
    assert entry.user is None
    assert "Tr0ub4dor" not in _everything_kept(entry)
    assert entry.page == reverse("accounts:login")


def test_failed_logins_while_locked_out_are_audited_too(client, settings, sam):
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        client.post(reverse("accounts:login"), {"username": "sam", "password": "guess"})
    failures = AuditEntry.objects.filter(action=AuditEntry.Action.LOGIN_FAILED, user=sam)
    assert failures.count() == settings.AXES_FAILURE_LIMIT + 1


def test_a_visitor_at_the_front_door_finds_the_public_pages(client):
    # A logged-out visitor to / lands on the login page, which links to what needs no account.
    page = client.get(reverse("core:home"), follow=True).content.decode()
    assert f'href="{reverse("public:resource_finder")}"' in page
    assert f'href="{reverse("public:alerts")}"' in page
