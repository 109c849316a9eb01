"""Pieces every API module uses: strict input schemas, bounded types and errors.

Errors are always JSON of one shape::

    {"detail": "what is wrong", "field": "supplies", "errors": [{"field": ..., "detail": ...}]}

`detail` and `field` repeat the first of `errors`, so a client that shows
one message can read just those two; `field` is null when no one field is at
fault. A record whose client UUID Haven holds already with other details
(ApiError.already_saved) adds `client_uuid`, the UUID sent: the message
itself never shows it.
"""

from datetime import UTC, datetime
from typing import Annotated

from django.core.exceptions import NON_FIELD_ERRORS
from django.utils.translation import gettext as _
from ninja import Schema
from pydantic import AfterValidator, AwareDatetime, ConfigDict, Field, StrictBool, StrictInt

from haven.core import already_saved

# Numbers and yes/no answers are strict: "1", 1.0 and true are not the id 1,
# and 0 is not "no" (docs/api.md: a wrong type is a 400, never a guess).
# Database ids are 64-bit; anything larger cannot name a record and would
# overflow the database driver.
Id = Annotated[StrictInt, Field(ge=1, le=2**63 - 1)]
Count = Annotated[StrictInt, Field(ge=0, le=1_000_000)]
YesNo = StrictBool
# An id in the URL path is text by nature, so it is read as a number.
PathId = Annotated[int, Field(ge=1, le=2**63 - 1)]
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)


def _no_nul(text):
    # PostgreSQL cannot store the NUL character in text; refuse it up front.
    if "\x00" in text:
        raise ValueError(_("Text cannot contain the NUL character."))
    return text


def _plausible(moment):
    # Far-off dates are typing mistakes, and years near 1 or 9999 overflow
    # when converted between time zones.
    if not EARLIEST <= moment <= LATEST:
        raise ValueError(_("Give a date and time between 2000 and 2100, with its time zone."))
    return moment


def Text(max_length):  # noqa: N802 - reads as a type in schemas
    return Annotated[str, Field(max_length=max_length), AfterValidator(_no_nul)]


Moment = Annotated[AwareDatetime, AfterValidator(_plausible)]


class StrictSchema(Schema):
    """Input: an unknown field is refused, so that a misspelt one is not silently ignored."""

    model_config = ConfigDict(extra="forbid")


class FieldError(Schema):
    field: str | None
    detail: str


class ErrorOut(Schema):
    detail: str
    field: str | None = None
    errors: list[FieldError] = []
    client_uuid: str | None = Field(
        None,
        description="In a 409 for a client UUID already saved with other details: the UUID sent.",
    )


class ApiError(Exception):
    """An answer other than success, with its status and the fields at fault."""

    def __init__(self, status, errors, client_uuid=None):
        self.status = status
        self.errors = [{"field": field, "detail": str(detail)} for field, detail in errors]
        self.client_uuid = None if client_uuid is None else str(client_uuid)
        super().__init__(self.errors[0]["detail"] if self.errors else "")

    @classmethod
    def one(cls, status, detail, field=None):
        return cls(status, [(field, detail)])

    @classmethod
    def already_saved(cls, client_uuid):
        """409: Haven holds a record with this client UUID and other details (or
        another user's record). The same answer for every kind of record."""
        return cls(409, [("client_uuid", already_saved.MESSAGE)], client_uuid=client_uuid)

    @classmethod
    def from_validation(cls, error, status=400):
        """From a Django ValidationError raised by an action."""
        if not hasattr(error, "error_dict"):
            return cls(status, [(None, message) for message in error.messages])
        errors = []
        for name, messages in error.message_dict.items():
            for message in messages:
                errors.append((None if name == NON_FIELD_ERRORS else name, message))
        return cls(status, errors)

    @classmethod
    def from_pydantic(cls, errors, skip=0):
        """From pydantic error dicts; `skip` drops leading parts of each location."""
        return cls(400, [(_field_path(error["loc"][skip:]), _message(error)) for error in errors])

    @classmethod
    def from_request(cls, errors):
        """From ninja's errors: body fields are at ("body", "<parameter>", "field", ...),
        query and path parameters at ("query", "name")."""
        return cls(
            400,
            [
                (
                    _field_path(tuple(error["loc"])[2 if error["loc"][0] == "body" else 1 :]),
                    _message(error),
                )
                for error in errors
            ],
        )

    def body(self):
        first = self.errors[0] if self.errors else {"field": None, "detail": ""}
        body = {"detail": first["detail"], "field": first["field"], "errors": self.errors}
        if self.client_uuid is not None:
            body["client_uuid"] = self.client_uuid
        return body


def _field_path(location):
    return ".".join(str(part) for part in location) or None


def _message(error):
    kind = error.get("type")
    if kind == "missing":
        return _("This field is required.")
    if kind == "extra_forbidden":
        return _("Unknown field; the API document at /api/v1/openapi.json lists the fields.")
    message = error.get("msg", "")
    # Messages from our own validators come prefixed by pydantic.
    return message.removeprefix("Value error, ")
