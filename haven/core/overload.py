"""Overload answers 503 with Retry-After, before anything is half-stored.

When the database is too busy to take a write within a bounded wait, the
request fails before its transaction starts (or its transaction is rolled back
whole), and the client is told to come back: the field app's outbox retries.
Which failures count as "busy":

- ServerBusy: no turn at SQLite's write lock within HAVEN_WRITE_WAIT_SECONDS
  (haven/core/db/sqlite/base.py);
- SQLite's own "database is locked" after its busy timeout;
- PostgreSQL: a lock not granted within lock_timeout, too many connections,
  or PgBouncer finding no server connection in time.
"""

from django.conf import settings
from django.db import OperationalError
from django.http import HttpResponse
from django.utils.translation import gettext as _

# SQLSTATEs: lock_not_available, too_many_connections, cannot_connect_now.
BUSY_SQLSTATES = {"55P03", "53300", "57P03"}
BUSY_MESSAGES = ("database is locked", "no more connections allowed", "query_wait_timeout")


class ServerBusy(Exception):
    """No turn at the database within the bounded wait."""

    def __init__(self, waited=None):
        super().__init__("The database is busy; try again shortly.")
        self.waited = waited


def is_busy(error):
    if isinstance(error, ServerBusy):
        return True
    if not isinstance(error, OperationalError):
        return False
    if getattr(error.__cause__, "sqlstate", None) in BUSY_SQLSTATES:
        return True
    message = str(error).lower()
    return any(text in message for text in BUSY_MESSAGES)


def busy_message():
    return _("Haven is busy. Nothing was saved; please try again in a moment.")


def with_retry_after(response):
    response["Retry-After"] = str(settings.HAVEN_RETRY_AFTER_SECONDS)
    return response


class ServerBusyMiddleware:
    """Turns a busy database into 503 + Retry-After for every page (the API has its own)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if is_busy(exception):
            return with_retry_after(
                HttpResponse(busy_message(), status=503, content_type="text/plain; charset=utf-8")
            )
        return None
