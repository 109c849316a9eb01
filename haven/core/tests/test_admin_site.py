"""The Django admin is break-glass only, shows no participant, and every change is audited."""

import datetime
import uuid

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.admin.utils import quote
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from conftest import PASSWORD
from haven.accounts.models import RecoveryCode, RecoveryCodeDevice, User
from haven.api.models import DeviceToken
from haven.api.tests.client import api_client
from haven.core.models import AuditEntry
from haven.mail.models import MailOffer
from haven.outreach.actions import EncounterData, do_record_encounter
from haven.overdose.models import Area
from haven.overdose.tasks import detect_spikes
from haven.participants.models import Participant

# Aliases nobody would type by chance, so that finding one on a page means a leak.
ALIASES = ["Zephyrine", "Quillon", "Marigoldia"]


def admin_url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def program(sam, olga, sue, max_manager, ana, adam, root, downtown, eastside, catalog):
    """Participants linked to every user, site, item and service the admin can open."""
    participants = []
    for index, alias in enumerate(ALIASES):
        site, staff = [(downtown, sam), (eastside, olga), (downtown, sue)][index]
        person = Participant.objects.create(
            alias=alias, year_of_birth=1980 + index, created_by=staff, enrolled_site=site
        )
        participants.append(person)
        do_record_encounter(
            EncounterData(
                client_uuid=uuid.uuid4(),
                site=site,
                contact_type="fixed",
                participant=person,
                services=[catalog["support"], catalog["hiv_test"]],
                supplies={catalog["syringes"]: 10},
                note=f"Saw {alias} today",
            ),
            staff=staff,
        )
    Area.objects.create(code="85281", name="85281 Downtown", kind=Area.Kind.ZIP)
    group = Group.objects.create(name="Night shift")
    sam.groups.add(group)
    DeviceToken.issue(sam, "Work phone")
    TOTPDevice.objects.create(user=sam, name="Authenticator app", confirmed=True)
    codes = RecoveryCodeDevice.objects.create(user=sam, name="Recovery codes", confirmed=True)
    RecoveryCode.hashed(codes, "aaaa2222").save()
    AccessAttempt.objects.create(
        username="sam", ip_address="127.0.0.1", user_agent="test", failures_since_start=1
    )
    AccessLog.objects.create(username="sam", ip_address="127.0.0.1", user_agent="test")
    AccessFailureLog.objects.create(username="sam", ip_address="127.0.0.1", user_agent="test")
    detect_spikes.enqueue()
    MailOffer.objects.create(item=catalog["naloxone"])
    return participants


def identifiers(participants):
    found = []
    for person in participants:
        found += [person.card_code, person.display_code, person.alias]
    return found


def every_django_admin_url():
    """Every page of the admin: the site's own, and every view of every registered
    model (as the ModelAdmin declares them, so a new view is walked too) with the
    id of a real object; for users, of every user."""
    urls = [
        reverse("admin:index"),
        reverse("admin:password_change"),
        reverse("admin:jsi18n"),
    ]
    registry = admin.site._registry
    for app_label in {model._meta.app_label for model in registry}:
        urls.append(reverse("admin:app_list", args=[app_label]))
    for model, model_admin in registry.items():
        objects = list(model._default_manager.all()[:10])
        assert objects, f"the sweep needs a {model._meta.label} to open"
        for pattern in model_admin.get_urls():
            if not pattern.name:
                continue  # the old-style redirect to the change page
            params = list(pattern.pattern.converters)
            if not params:
                urls.append(reverse(f"admin:{pattern.name}"))
                continue
            for obj in objects:
                kwargs = dict.fromkeys(params, quote(obj.pk))
                urls.append(reverse(f"admin:{pattern.name}", kwargs=kwargs))
    return urls


def every_haven_admin_page():
    urls = [
        reverse("accounts:staff"),
        reverse("accounts:staff_new"),
        reverse("accounts:sites"),
        reverse("accounts:site_new"),
    ]
    urls += [reverse("accounts:staff_edit", args=[user.pk]) for user in User.objects.all()]
    from haven.accounts.models import Site

    urls += [reverse("accounts:site_edit", args=[site.pk]) for site in Site.objects.all()]
    return urls


def test_no_admin_page_shows_a_participant(program, login, root, adam):
    secrets = identifiers(program)
    for person, client in [("break-glass", login(root)), ("admin role", login(adam))]:
        for url in every_django_admin_url() + every_haven_admin_page():
            response = client.get(url)
            assert response.status_code in {200, 302, 403}, f"{person} {url}"
            page = response.content.decode()
            for secret in secrets:
                assert secret not in page, f"{person} saw {secret!r} at {url}"


def test_the_sweep_really_opens_the_admin_pages_for_the_break_glass_account(program, login, root):
    client = login(root)
    opened = [url for url in every_django_admin_url() if client.get(url).status_code == 200]
    assert admin_url(User, "change", quote(root.pk)) in opened
    assert admin_url(Group, "delete", quote(Group.objects.get().pk)) in opened
    assert len(opened) > 30


def test_admin_role_without_superuser_is_refused_everywhere_in_the_django_admin(
    program, login, adam
):
    client = login(adam)
    for url in every_django_admin_url():
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("admin:login")), url


def test_an_admin_role_trying_the_django_admin_is_refused_and_audited(login, adam):
    response = login(adam).get(admin_url(User, "changelist"), follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("admin:login"))
    refused = AuditEntry.objects.get(action="refused")
    assert refused.user == adam
    assert refused.detail == {"reason": "django admin"}
    assert refused.page == reverse("admin:login")


def test_the_django_admin_login_refuses_a_staff_account_that_is_not_superuser(client, adam):
    adam.is_staff = True
    adam.save()
    response = client.post(
        reverse("admin:login"), {"username": "adam", "password": PASSWORD, "next": "/admin/"}
    )
    assert response.status_code == 200
    assert "Only a break-glass superuser account" in response.content.decode()
    assert SESSION_KEY not in client.session


def test_the_django_admin_login_lets_the_break_glass_superuser_in(client, root):
    response = client.post(
        reverse("admin:login"), {"username": "root", "password": PASSWORD, "next": "/admin/"}
    )
    assert response.status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200


def test_createsuperuser_accounts_have_the_admin_role_so_they_never_read_participants(root):
    assert root.role == "admin"


@pytest.mark.parametrize("model_name", ["user", "site", "item", "service", "area", "devicetoken"])
def test_records_people_point_at_cannot_be_deleted_in_the_django_admin(
    model_name, program, login, root
):
    model = next(m for m in admin.site._registry if m._meta.model_name == model_name)
    obj = model._default_manager.first()
    client = login(root)
    assert client.get(admin_url(model, "delete", quote(obj.pk))).status_code == 403
    assert (
        client.post(admin_url(model, "delete", quote(obj.pk)), {"post": "yes"}).status_code == 403
    )
    assert model._default_manager.filter(pk=obj.pk).exists()


def test_deleting_many_at_once_is_not_offered(program, login, root):
    response = login(root).get(admin_url(Group, "changelist"))
    assert "delete_selected" not in response.content.decode()


def user_change_data(user, **changes):
    local_joined = timezone.localtime(user.date_joined)
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "role": user.role,
        "sites": [site.pk for site in user.sites.all()],
        "current_site": user.current_site_id or "",
        "date_joined_0": local_joined.strftime("%Y-%m-%d"),
        "date_joined_1": local_joined.strftime("%H:%M:%S"),
        # The admin form keeps the join date as it was shown, to tell a change.
        "initial-date_joined_0": local_joined.strftime("%Y-%m-%d"),
        "initial-date_joined_1": local_joined.strftime("%H:%M:%S"),
        "last_login_0": "",
        "last_login_1": "",
    }
    if user.is_active:
        data["is_active"] = "on"
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


@pytest.fixture
def round_join_date(sam):
    joined = datetime.datetime(2026, 1, 5, 9, 30, tzinfo=datetime.UTC)
    User.objects.filter(pk=sam.pk).update(date_joined=joined)
    sam.refresh_from_db()
    return sam


def test_a_role_change_in_the_django_admin_lands_in_havens_audit_log(login, root, round_join_date):
    sam = round_join_date
    response = login(root).post(
        admin_url(User, "change", sam.pk), user_change_data(sam, role="manager")
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    sam.refresh_from_db()
    assert sam.role == "manager"
    entry = AuditEntry.objects.get(action="update", object_type="accounts.user")
    assert entry.user == root
    assert entry.object_id == str(sam.pk)
    assert entry.page == "django admin"
    assert entry.detail == {"via": "django admin", "fields": ["role"], "role": "manager"}


def test_superuser_staff_and_sites_changes_in_the_django_admin_are_audited(
    login, root, round_join_date, eastside
):
    sam = round_join_date
    login(root).post(
        admin_url(User, "change", sam.pk),
        user_change_data(sam, is_superuser="on", is_staff="on", sites=[eastside.pk]),
    )
    entry = AuditEntry.objects.get(action="update", object_type="accounts.user")
    assert sorted(entry.detail["fields"]) == ["is_staff", "is_superuser", "sites"]
    assert entry.detail["is_superuser"] is True
    assert entry.detail["is_staff"] is True
    assert entry.detail["sites"] == [eastside.pk]


def test_adding_a_user_in_the_django_admin_is_audited_with_role_and_superuser(
    login, root, downtown
):
    response = login(root).post(
        admin_url(User, "add"),
        {
            "username": "newbie",
            "usable_password": "true",
            "password1": "a quiet river at dawn",
            "password2": "a quiet river at dawn",
            "role": "specialist",
            "sites": [downtown.pk],
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    newbie = User.objects.get(username="newbie")
    entry = AuditEntry.objects.get(action="create", object_type="accounts.user")
    assert entry.user == root
    assert entry.object_id == str(newbie.pk)
    assert entry.detail["role"] == "specialist"
    assert entry.detail["is_superuser"] is False
    assert entry.detail["sites"] == [downtown.pk]


def test_a_deletion_in_the_django_admin_is_audited(login, root):
    group = Group.objects.create(name="Night shift")
    response = login(root).post(admin_url(Group, "delete", group.pk), {"post": "yes"})
    assert response.status_code == 302
    assert not Group.objects.exists()
    entry = AuditEntry.objects.get(action="delete")
    assert (entry.user, entry.object_type, entry.object_id) == (root, "auth.group", str(group.pk))


def test_a_change_to_a_site_in_the_django_admin_is_audited(login, root, downtown):
    login(root).post(
        admin_url(type(downtown), "change", downtown.pk),
        {"name": "Downtown", "kind": "fixed", "area": "85281", "active": "on"},
    )
    entry = AuditEntry.objects.get(action="update", object_type="accounts.site")
    assert entry.detail == {"via": "django admin", "fields": ["kind"]}


def test_deactivating_in_the_django_admin_ends_sessions_and_devices(
    login, root, round_join_date, downtown
):
    sam = round_join_date
    sams_browser = login(sam)
    phone = api_client(sam)
    login(root).post(admin_url(User, "change", sam.pk), user_change_data(sam, is_active=None))
    sam.refresh_from_db()
    assert not sam.is_active
    assert sams_browser.get(reverse("core:home")).status_code == 302
    assert phone.get("/api/v1/sites").status_code == 401
    assert not DeviceToken.objects.filter(user=sam, revoked_at__isnull=True).exists()
    entry = AuditEntry.objects.get(action="update", object_type="accounts.user")
    assert entry.detail["is_active"] is False


def test_only_the_break_glass_account_sees_the_django_admin_link(login, root, adam):
    assert reverse("admin:index") in login(root).get(reverse("core:home")).content.decode()
    assert reverse("admin:index") not in login(adam).get(reverse("core:home")).content.decode()
