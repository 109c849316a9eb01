"""A record from a phone whose client UUID Haven holds already, with other details.

Every record made in the field carries a UUID made on the phone, so that a
record sent again is stored once. The same UUID with other details (or one
another user's record holds) is refused, with one answer for every kind of
record: the web forms, the API (a 409) and the phone's outbox all say the same.

The message names no record: a UUID means nothing to a field worker, and the
record it names may be another user's. The API gives the UUID as a field of
its own (`client_uuid`), for the phone to find its copy.
"""

from django.utils.translation import gettext_lazy

MESSAGE = gettext_lazy(
    "Already saved from another phone or an earlier send with different details. "
    "Check the saved record; then discard this copy."
)


class AlreadySaved(Exception):
    """The client UUID was used already for a record with other details, or another user's."""

    def __init__(self, client_uuid):
        super().__init__(str(MESSAGE))
        self.client_uuid = client_uuid
