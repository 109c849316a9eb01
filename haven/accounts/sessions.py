"""Sessions in the database, as Django keeps them, each with its user.

Every signed-in request reads its session, then its user. Django's database
store builds the session's query through the ORM each time, about as much CPU
as a small page's own work, and the user is a second round trip to the
database. Here the session's row carries its user's id (StaffSession, set
when the session is saved) and one hand-written statement reads the session
and that user's row together; the user is kept for this request only, for
django.contrib.auth to take (StaffManager.get), which checks it as always
(active, the session's password hash). Everything else is Django's
(django.contrib.sessions.backends.db): a session ended in one process (a
logout, the idle timeout, a deactivated account) is gone for every other at
once, as before. Set as SESSION_ENGINE in settings.py.
"""

import functools
import threading

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.core.signals import request_finished, request_started
from django.db import connections, router
from django.utils import timezone

from haven.core.db import reads
from haven.core.db.hot import hot

from . import two_factor

FIELDS = ("session_key", "session_data", "expire_date", "user")

# The user read with this thread's request's session; a request runs in one thread.
_read = threading.local()


def user_read_with_session(pk):
    """The user with this id if this request's session read it; taken once."""
    user, _read.user = getattr(_read, "user", None), None
    return user if user is not None and user.pk == pk else None


def _forget_user_read(**kwargs):
    _read.user = None


# Never from one request to the next: a user is read afresh with each session.
request_started.connect(_forget_user_read, dispatch_uid="haven-session-user-started")
request_finished.connect(_forget_user_read, dispatch_uid="haven-session-user-finished")


@functools.cache
def _user_fields(user_model):
    return tuple(field.name for field in user_model._meta.concrete_fields)


class SessionStore(DatabaseSessionStore):
    @classmethod
    def get_model_class(cls):
        from .models import StaffSession

        return StaffSession

    def create_model_instance(self, data):
        session = super().create_model_instance(data)
        try:
            session.user_id = int(data.get(SESSION_KEY))
        except (TypeError, ValueError):  # no one signed in
            session.user_id = None
        return session

    def _get_session_from_db(self):
        from .models import User

        model = self.get_model_class()
        using = router.db_for_read(model)
        connection = connections[using]
        user_fields = _user_fields(User)
        quote = connection.ops.quote_name
        sql = (
            f"SELECT {reads.columns(model, FIELDS, 's', using=using)}, "  # noqa: S608 - names
            f"{reads.columns(User, user_fields, 'u', using=using)}, "
            f"{two_factor.has_device_sql('u.id')} "
            f"FROM {quote(model._meta.db_table)} s "
            f"LEFT JOIN {quote(User._meta.db_table)} u ON u.id = s.user_id "
            "WHERE s.session_key = %s AND s.expire_date > %s"
        )
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        with connection.cursor() as cursor:
            cursor.execute(hot(sql), [self.session_key, now])
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return None
        split, device = len(FIELDS), len(FIELDS) + len(user_fields)
        session = reads.instance(model, FIELDS, row[:split], using)
        if session.user_id is not None and row[split] is not None:
            _read.user = reads.instance(User, user_fields, row[split:device], using)
            setattr(_read.user, two_factor.DEVICE_READ_WITH_SESSION, bool(row[device]))
        return session
