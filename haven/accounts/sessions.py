"""Sessions in the database, as Django keeps them, read with a hand-written statement.

Every signed-in request reads its session first. Django's database store
builds that query through the ORM each time, about as much CPU as a small
page's own work. The rows, the table and everything else are Django's
(django.contrib.sessions.backends.db): a session ended in one process (a
logout, the idle timeout, a deactivated account) is gone for every other at
once, as before. Set as SESSION_ENGINE in settings.py.
"""

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.db import connections, router
from django.utils import timezone

from haven.core.db import reads

FIELDS = ("session_key", "session_data", "expire_date")


class SessionStore(DatabaseSessionStore):
    def _get_session_from_db(self):
        model = self.get_model_class()
        using = router.db_for_read(model)
        where = "WHERE session_key = %s AND expire_date > %s"
        sql = f"{reads.select(model, FIELDS, using=using)} {where}"
        now = connections[using].ops.adapt_datetimefield_value(timezone.now())
        found = reads.instances(model, FIELDS, sql, [self.session_key, now], using=using)
        if not found:
            self._session_key = None
            return None
        return found[0]
