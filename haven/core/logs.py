"""What Haven writes to its logs: never the values of a stored row.

PostgreSQL explains a refused write with the values it refused: "DETAIL: Key
(card_code)=(…) already exists", "Failing row contains (…)". Django's request
logger writes such an error's whole text when a request fails, so those lines
would put a participant's card code, or a whole row, in the logs. The error's
kind and the constraint it broke (the first line) are enough to find the bug.
"""

import logging
import re

from django.utils.log import AdminEmailHandler
from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter
from gunicorn import glogging as gunicorn_logging

# psycopg puts the server's DETAIL (and HINT, which can quote values too) on lines of their own.
_ROW_VALUES = re.compile(r"^(\s*)(DETAIL|HINT):.*$", re.MULTILINE)
WITHHELD = r"\1\2: (withheld from the log: it can hold the row's values)"


# A certificate's check code (haven/training/urls.py, `training:verify`) leads to
# its holder's name, and the check page's own files carry it as their referrer.
_CHECK_CODE = re.compile(r"(/training/check/)[^/?#\s\"]+")


def without_check_codes(text):
    """The text with any certificate check code in an address withheld."""
    return _CHECK_CODE.sub(r"\1(withheld)", text) if text else text


class WithoutRowValues(logging.Formatter):
    """The console log's lines: no row values, and no certificate check codes.

    Django's request log names the path of every refused or failed request
    ("Not Found: /training/check/…" for a revoked certificate's PDF, "Too Many
    Requests: …" for a rate-limited check, "Method Not Allowed (POST): …"), so
    the codes that gunicorn's and nginx's access logs withhold would reach the
    application's log through it.
    """

    def format(self, record):
        return without_check_codes(_ROW_VALUES.sub(WITHHELD, super().format(record)))


# A query string can say what a page was asked about a person: a resource search
# for a participant (by record id in the path) carries their needs and the
# phone's location beside them. Logs keep the path only (docs/privacy.md).
_QUERY = re.compile(r"\?[^\s\"]*")


def logged_address(text):
    """An address (or a request line) as the logs write it: no query, no check code."""
    return without_check_codes(_QUERY.sub("", text)) if text else text


class AccessLogWithoutCodes(gunicorn_logging.Logger):
    """gunicorn's access log (HAVEN_ACCESS_LOG): paths without query strings or check codes."""

    ADDRESSES = ("r", "U", "f", "{referer}i", "{raw_uri}e", "{http_referer}e", "{path_info}e")
    QUERIES = ("q", "{query_string}e")

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key in self.ADDRESSES:
            if isinstance(atoms.get(key), str):
                atoms[key] = logged_address(atoms[key])
        for key in self.QUERIES:
            if key in atoms:
                atoms[key] = ""
        return atoms


class ErrorReportsWithoutValues(SafeExceptionReporterFilter):
    """Error reports (DEFAULT_EXCEPTION_REPORTER_FILTER) with DEBUG off: the names of
    the posted fields and of each frame's variables, never their values.

    Django mails such a report to ADMINS, and error trackers send the same: any
    form that crashed could hold a card code, an alias, an address or a note,
    and so could a frame's variables. Marking each view sensitive would miss the
    next one, so every value is withheld.
    """

    def get_post_parameters(self, request):
        if request is None or not self.is_active(request):
            return super().get_post_parameters(request)
        withheld = request.POST.copy()
        for name in withheld:
            withheld.setlist(name, [self.cleansed_substitute])
        return withheld

    def get_traceback_frame_variables(self, request, tb_frame):
        if not self.is_active(request):
            return super().get_traceback_frame_variables(request, tb_frame)
        return [(name, self.cleansed_substitute) for name in tb_frame.f_locals]


def _reported(text):
    """A message as logs and error reports write it: no row values, no query, no check code."""
    return logged_address(_ROW_VALUES.sub(WITHHELD, text)) if text else text


class _ReportedRequest:
    """What an error report's templates read of the request (Django's technical_500
    templates: the path, the method, and whether there are GET, FILES and cookies to
    list), with the path's check code withheld. Anything else they might read of it
    in a later Django is blank rather than a value."""

    def __init__(self, request):
        self.path_info = logged_address(request.path_info)
        self.META = {"REQUEST_METHOD": request.META.get("REQUEST_METHOD")}
        self.GET = request.GET
        self.FILES = request.FILES
        self.COOKIES = request.COOKIES


class ErrorReportWithoutAddresses(ExceptionReporter):
    """Error reports (DEFAULT_EXCEPTION_REPORTER) with DEBUG off: the request's address
    as the access logs write it, and the names of the GET parameters, never their values.

    The filter above withholds what was posted and each frame's variables; the report
    itself also shows the address with its query, the GET parameters, and headers that
    repeat the address (QUERY_STRING, the referrer, a server's RAW_URI or REQUEST_URI, a
    proxy's own). A resource search for a participant carries their needs and the
    phone's location there, and a certificate check's path a code that leads to the
    holder's name. The exception's message goes through the console log's redaction.
    """

    def get_traceback_data(self):
        data = super().get_traceback_data()
        if not self.filter.is_active(self.request):
            return data
        withheld = self.filter.cleansed_substitute
        for key in ("exception_value", "exception_notes"):
            if key in data:
                data[key] = _reported(data[key])
        for frame in data["frames"]:
            if frame.get("exc_cause") is not None:
                frame["exc_cause"] = _reported(str(frame["exc_cause"]))
        if data["unicode_hint"]:
            data["unicode_hint"] = withheld
        if self.request is None:
            return data
        data["request"] = _ReportedRequest(self.request)
        data["request_insecure_uri"] = logged_address(data["request_insecure_uri"])
        data["request_GET_items"] = [(name, withheld) for name in self.request.GET]
        data["request_FILES_items"] = [(name, withheld) for name in self.request.FILES]
        data["request_meta"] = self._meta_without_addresses(data["request_meta"])
        return data

    def _meta_without_addresses(self, meta):
        # Headers that carry the query under a name of their own (a proxy's
        # X-Original-URL, a server's REQUEST_URI) are caught by their value.
        query = self.request.META.get("QUERY_STRING", "")
        withheld = self.filter.cleansed_substitute
        shown = {}
        for name, value in meta.items():
            if isinstance(value, str):
                if query:
                    value = value.replace(query, withheld)
                value = logged_address(value)
            shown[name] = value
        return shown


class ErrorMailWithoutAddresses(AdminEmailHandler):
    """The mail_admins handler (settings' LOGGING): the email's subject and first line
    name the failed request's path ("Internal Server Error: /training/check/…"), so
    they are written as the console log writes them. The report below them is the
    DEFAULT_EXCEPTION_REPORTER's."""

    def format(self, record):
        return _reported(super().format(record))

    def format_subject(self, subject):
        return super().format_subject(_reported(subject))
