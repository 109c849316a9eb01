"""The JSON API at /api/v1/: the NinjaAPI instance, its error answers and its routers.

Each domain app keeps its endpoints in its own api.py; this module only puts
them together. Every error is JSON with a 4xx status (see schemas.py).
"""

from django.core.exceptions import PermissionDenied, RequestDataTooBig, ValidationError
from django.db import OperationalError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as SchemaValidationError

from haven.consents.api import router as consents_router
from haven.core import overload
from haven.outreach.api import router as outreach_router
from haven.outreach.field_keys import router as field_keys_router
from haven.overdose.api import router as overdose_router
from haven.participants.api import router as participants_router
from haven.resources.api import router as resources_router
from haven.supplies.api import router as supplies_router
from haven.training.api import router as training_router

from .auth import FIELD_STAFF
from .schemas import ApiError
from .sync import router as sync_router


class HavenAPI(NinjaAPI):
    def get_openapi_schema(self, **kwargs):
        """The document, with the 401 and 403 that every endpoint can answer."""
        schema = super().get_openapi_schema(**kwargs)
        error = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}
        refusals = {
            401: {"description": "No session and no valid device token.", "content": error},
            403: {"description": "This role may not use this endpoint.", "content": error},
        }
        for methods in schema["paths"].values():
            for operation in methods.values():
                if operation.get("security"):
                    for status, response in refusals.items():
                        operation["responses"].setdefault(status, response)
        return schema


api = HavenAPI(
    title="Haven API",
    version="1",
    description=(
        "The API the offline field app uses. Authenticate with a device token "
        "(Authorization: Bearer <token>, made on your Settings page). See docs/api.md."
    ),
    urls_namespace="api",
    auth=FIELD_STAFF,
)
api.add_router("/", outreach_router)
api.add_router("/participants/", participants_router)
api.add_router("/participants/", consents_router)
api.add_router("/", supplies_router)
api.add_router("/", overdose_router)
api.add_router("/", resources_router)
api.add_router("/", training_router)
api.add_router("/", sync_router)
api.add_router("/", field_keys_router)


def _error(request, status, detail, field=None):
    return api.create_response(request, ApiError.one(status, detail, field).body(), status=status)


@api.exception_handler(ApiError)
def _api_error(request, error):
    return api.create_response(request, error.body(), status=error.status)


@api.exception_handler(SchemaValidationError)
def _schema_error(request, error):
    return _api_error(request, ApiError.from_request(error.errors))


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, error):
    return _error(request, 401, _("Log in, or send a device token: Authorization: Bearer <token>."))


@api.exception_handler(HttpError)
def _http_error(request, error):
    detail = str(error)
    if detail.startswith("Cannot parse request body"):
        detail = _("The request body is not valid JSON.")
    return _error(request, error.status_code, detail)


@api.exception_handler(RequestDataTooBig)
def _too_big(request, error):
    return _error(request, 413, _("The request is too large; send fewer records at a time."))


@api.exception_handler(ValidationError)
def _action_error(request, error):
    return _api_error(request, ApiError.from_validation(error))


@api.exception_handler(PermissionDenied)
def _forbidden(request, error):
    return _error(request, 403, _("You may not do this."))


@api.exception_handler(Http404)
def _not_found(request, error):
    return _error(request, 404, _("Not found."))


@api.exception_handler(overload.ServerBusy)
@api.exception_handler(OperationalError)
def _busy(request, error):
    """A busy database: 503 and Retry-After; the outbox sends the records again."""
    if not overload.is_busy(error):
        raise error
    return overload.with_retry_after(_error(request, 503, overload.busy_message()))
