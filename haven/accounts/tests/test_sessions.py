"""Sessions are Django's database sessions, read by a hand-written statement
(haven/accounts/sessions.py): what one process ends is ended for every other."""

import datetime

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

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
