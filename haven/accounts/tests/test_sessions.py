"""Sessions are Django's database sessions, read by a hand-written statement
(haven/accounts/sessions.py): what one process ends is ended for every other."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from haven.accounts.models import StaffSession as Session
from haven.accounts.sessions import SessionStore

pytestmark = pytest.mark.django_db


def test_a_stored_session_reads_back_whole():
    store = SessionStore()
    store["answer"] = 42
    store.create()
    again = SessionStore(session_key=store.session_key)
    assert again["answer"] == 42
    assert again.get_expiry_date() > timezone.now()


def test_a_session_deleted_elsewhere_is_gone_at_once(login, sam):
    client = login(sam)
    assert client.get(reverse("outreach:quick_log")).status_code == 200
    # Another process (a logout there, a deactivation) deletes the row.
    Session.objects.all().delete()
    response = client.get(reverse("outreach:quick_log"))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_an_expired_session_is_not_read():
    store = SessionStore()
    store["answer"] = 42
    store.create()
    Session.objects.filter(session_key=store.session_key).update(
        expire_date=timezone.now() - datetime.timedelta(seconds=1)
    )
    again = SessionStore(session_key=store.session_key)
    assert "answer" not in again
    assert again.session_key is None  # a new one is made if anything is stored


def test_a_user_read_by_id_is_the_user_the_orm_reads(sam, downtown):
    """StaffManager.get(pk=…), how each signed-in request reads its user."""
    from haven.accounts.models import User

    read = User.objects.get(pk=sam.pk)
    assert isinstance(read, User) and not read._state.adding
    for field in User._meta.concrete_fields:
        assert getattr(read, field.attname) == getattr(sam, field.attname), field.name
    assert read.date_joined.tzinfo is not None
    with pytest.raises(User.DoesNotExist):
        User.objects.get(pk=sam.pk + 1000)
    assert User.objects.get(username="sam") == sam  # any other lookup as Django does it


def test_a_signed_in_session_names_its_user_and_an_anonymous_one_no_one(login, sam):
    client = login(sam)
    assert client.get(reverse("outreach:quick_log")).status_code == 200
    assert list(Session.objects.values_list("user", flat=True)) == [sam.pk]
    store = SessionStore()
    store["answer"] = 42
    store.create()
    assert Session.objects.get(session_key=store.session_key).user_id is None


def test_the_session_and_its_user_are_one_statement(login, sam, django_assert_num_queries):
    from django.contrib.auth import get_user
    from django.test import RequestFactory

    client = login(sam)
    request = RequestFactory().get("/")
    request.session = SessionStore(session_key=client.cookies["sessionid"].value)
    with django_assert_num_queries(1):
        assert get_user(request) == sam


@pytest.mark.parametrize("confirmed", [True, False])
def test_the_session_read_answers_whether_its_user_has_a_second_factor(
    login, sam, confirmed, django_assert_num_queries
):
    """An unverified session's every request asks it (two_factor.step_needed):
    the session's own statement answers it, for devices of every kind."""
    from django.contrib.auth import get_user
    from django.test import RequestFactory
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from haven.accounts import two_factor

    client = login(sam)
    TOTPDevice.objects.create(user=sam, name="Authenticator app", confirmed=confirmed)
    request = RequestFactory().get("/")
    request.session = SessionStore(session_key=client.cookies["sessionid"].value)
    with django_assert_num_queries(1):
        user = get_user(request)
        assert two_factor.has_device(user) is confirmed
    # Asked of a user not read with a session, it is asked of the database.
    assert two_factor.has_device(type(sam).objects.get(pk=sam.pk)) is confirmed


def test_a_second_factor_set_up_elsewhere_holds_the_next_request_at_the_code(login, sam):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client = login(sam)
    assert client.get(reverse("outreach:quick_log")).status_code == 200
    TOTPDevice.objects.create(user=sam, name="Authenticator app", confirmed=True)
    response = client.get(reverse("outreach:quick_log"))
    assert response.status_code == 302 and reverse("accounts:verify") in response["Location"]


def test_a_user_read_with_a_session_serves_that_request_only(login, sam):
    from django.test import Client

    from haven.accounts import sessions

    key = login(sam).cookies["sessionid"].value
    SessionStore(session_key=key).load()
    Client().get("/healthz")  # another request, before the user was asked for
    assert sessions.user_read_with_session(sam.pk) is None
    SessionStore(session_key=key).load()
    assert sessions.user_read_with_session(sam.pk + 1) is None  # someone else's id: read afresh
    assert sessions.user_read_with_session(sam.pk) is None  # and taken once


def test_deactivating_someone_ends_every_session_of_theirs_only(login, sam, sue, adam):
    from haven.accounts.actions import do_deactivate_user

    for _ in range(2):
        login(sam).get(reverse("outreach:quick_log"))
    login(sue).get(reverse("outreach:quick_log"))
    do_deactivate_user(adam, sam)
    assert list(Session.objects.values_list("user", flat=True)) == [sue.pk]


@pytest.mark.django_db(transaction=True)
def test_sessions_running_at_the_upgrade_are_carried_over_with_their_user(migrator):
    from django.contrib.auth import SESSION_KEY

    old = migrator.apply_initial_migration(("accounts", "0003_user_manager_for_break_glass"))
    user = old.apps.get_model("accounts", "User").objects.create(username="sam", role="specialist")
    sessions = old.apps.get_model("sessions", "Session").objects
    later = timezone.now() + datetime.timedelta(hours=1)
    encode = SessionStore().encode
    sessions.create(
        session_key="a" * 32, session_data=encode({SESSION_KEY: str(user.pk)}), expire_date=later
    )
    sessions.create(session_key="b" * 32, session_data=encode({"answer": 42}), expire_date=later)
    sessions.create(
        session_key="c" * 32,
        session_data=encode({SESSION_KEY: str(user.pk)}),
        expire_date=timezone.now() - datetime.timedelta(hours=1),
    )
    new = migrator.apply_tested_migration(("accounts", "0004_staff_sessions"))
    carried = new.apps.get_model("accounts", "StaffSession").objects.order_by("session_key")
    assert [(s.session_key[0], s.user_id) for s in carried] == [("a", user.pk), ("b", None)]
