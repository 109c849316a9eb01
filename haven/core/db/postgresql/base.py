"""PostgreSQL with a health check that costs no round trip.

Django checks a kept connection before each request reuses it
(CONN_HEALTH_CHECKS) by sending `SELECT 1`: one round trip, and a wake-up of
the server process, per request. A connection the server closed (a restart,
an idle timeout, PgBouncer or a firewall dropping it) has something to read
on its socket: the server's goodbye, or end of file. A live, idle connection
has nothing. So the socket is looked at first, and `SELECT 1` sent only when
something is there to read or the connection is not idle.

And the hottest statements are prepared on the server (prepared.py).
"""

import select

from django.db.backends.postgresql import base
from psycopg import pq

from haven.core.db.postgresql.prepared import PreparingCursor, Statements


class DatabaseWrapper(base.DatabaseWrapper):
    def get_connection_params(self):
        params = super().get_connection_params()
        # Off through PgBouncer in transaction pooling (settings.py).
        if params.pop("prepare_hot_statements", True):
            params["cursor_factory"] = PreparingCursor
        return params

    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        connection.haven_statements = Statements()
        return connection

    def is_usable(self):
        connection = self.connection
        if connection is None or connection.closed:
            return False
        idle = connection.info.transaction_status == pq.TransactionStatus.IDLE
        if idle and connection.pgconn.status == pq.ConnStatus.OK:
            # poll(), not select(): a busy process may hold descriptors past 1024.
            waiting = select.poll()
            waiting.register(connection.fileno(), select.POLLIN)
            if not waiting.poll(0):
                return True
        return super().is_usable()
