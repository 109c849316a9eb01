"""Refuse requests that carry a NUL character, before any view sees them.

No text in Haven can hold a NUL: PostgreSQL refuses it in every text column
and query parameter (a 500 if it got that far), and no person types one. So a
NUL anywhere in the query string or a form is a 400 that says so, on both
databases, instead of a crash on one. The API's schemas refuse one in a JSON
body, naming the field; the importers refuse one in an uploaded file, naming
the line.
"""

from django.http import JsonResponse
from django.utils.translation import gettext as _

from haven.core.views import bad_request

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _in_fields(query_dict):
    return any(
        "\x00" in key or any("\x00" in value for value in values)
        for key, values in query_dict.lists()
    )


def _has_nul(request):
    if "\x00" in request.path or _in_fields(request.GET):
        return True
    if request.method not in ("POST", "PUT", "PATCH"):
        return False
    if request.content_type in FORM_TYPES:
        return _in_fields(request.POST)
    # JSON bodies are the API's: its schemas refuse a NUL naming the field.
    return False


class RefuseNulCharactersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _has_nul(request):
            message = _("The request contains a NUL character, which no field can hold.")
            if request.path.startswith("/api/"):
                body = {
                    "detail": message,
                    "field": None,
                    "errors": [{"field": None, "detail": message}],
                }
                return JsonResponse(body, status=400)
            return bad_request(request, message, "/")
        return self.get_response(request)
