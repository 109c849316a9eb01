import logging
import sys

from django.db import IntegrityError, transaction

from haven.core.logs import WithoutRowValues
from haven.participants.models import Participant


def _formatted_error(error_raiser):
    """The text the console log would write for the error `error_raiser` raises."""
    try:
        error_raiser()
    except IntegrityError:
        record = logging.LogRecord("django.request", logging.ERROR, __file__, 1, "failed", (), None)
        record.exc_info = sys.exc_info()
        return WithoutRowValues().format(record)
    raise AssertionError("no error was raised")


def test_the_console_log_uses_the_formatter_that_withholds_row_values():
    handler = next(h for h in logging.getLogger().handlers if h.get_name() == "console")
    assert isinstance(handler.formatter, WithoutRowValues)


def test_a_refused_write_is_logged_without_the_values_it_refused():
    def refuse():
        raise IntegrityError(
            'duplicate key value violates unique constraint "card_code"\n'
            "DETAIL:  Key (card_code)=(SECRET7) already exists.\n"
            "HINT:  Failing row contains (1, SECRET7, Maria)."
        )

    text = _formatted_error(refuse)
    assert "SECRET7" not in text and "Maria" not in text
    assert 'violates unique constraint "card_code"' in text
    assert "DETAIL: (withheld from the log" in text


def test_a_real_refusal_by_the_database_keeps_the_card_code_out_of_the_log(
    participant, sam, downtown
):
    def store_the_same_card_code():
        with transaction.atomic():
            Participant.objects.create(
                card_code=participant.card_code, created_by=sam, enrolled_site=downtown
            )

    text = _formatted_error(store_the_same_card_code)
    assert "IntegrityError" in text
    assert participant.card_code not in text


def test_gunicorn_s_access_log_withholds_certificate_check_codes(capsys):
    import datetime
    import runpy
    from types import SimpleNamespace

    from django.conf import settings
    from django.urls import reverse
    from gunicorn.config import Config
    from gunicorn.util import import_app

    from haven.core.logs import AccessLogWithoutCodes

    deployed = runpy.run_path(str(settings.BASE_DIR / "deploy" / "gunicorn.conf.py"))
    module, name = deployed["logger_class"].rsplit(".", 1)
    assert import_app(f"{module}:{name}") is AccessLogWithoutCodes

    config = Config()
    config.set("accesslog", "-")
    log = AccessLogWithoutCodes(config)
    check = reverse("training:verify", args=["K7QX-2M4P"])
    pdf = reverse("training:course_certificate_pdf", args=["K7QX-2M4P"])
    for path, query in ((check, ""), (pdf, "size=a4")):
        environ = {
            "REQUEST_METHOD": "GET",
            "RAW_URI": f"{path}?{query}" if query else path,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "203.0.113.9",
            "HTTP_REFERER": f"https://haven.example.org{check}",
            "HTTP_USER_AGENT": "test",
        }
        response = SimpleNamespace(status="200 OK", headers=[], sent=100)
        request = SimpleNamespace(headers=[("REFERER", environ["HTTP_REFERER"])])
        log.access(response, request, environ, datetime.timedelta(milliseconds=4))
    logged = capsys.readouterr().out
    assert "K7QX-2M4P" not in logged
    assert logged.count("/training/check/(withheld)") == 4  # two request lines, two referrers
    assert "200" in logged


def test_gunicorn_s_access_log_writes_paths_never_query_strings(capsys):
    """A resource search for a participant is sent by POST, but an old address of one (a
    bookmark, a link from history) still carries their needs and the worker's place (the
    phone's location, beside the person) in its query string: the participant's record
    id, health needs and whereabouts would be one log line."""
    import datetime
    from types import SimpleNamespace

    from django.urls import reverse
    from gunicorn.config import Config

    from haven.core.logs import AccessLogWithoutCodes

    config = Config()
    config.set("accesslog", "-")
    config.set(
        "access_log_format",
        "%(r)s %(U)s q=%(q)s f=%(f)s i=%({referer}i)s e=%({raw_uri}e)s %({query_string}e)s",
    )
    log = AccessLogWithoutCodes(config)
    path = reverse("resources:search_for_participant", args=[17])
    query = "needs=hiv_care&needs=detox&lat=33.41523&lon=-111.83152"
    referrer = f"https://haven.example.org{path}?{query}"
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"{path}?{query}",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "203.0.113.9",
        "HTTP_REFERER": referrer,
        "HTTP_USER_AGENT": "test",
    }
    response = SimpleNamespace(status="200 OK", headers=[], sent=100)
    request = SimpleNamespace(headers=[("REFERER", referrer)])
    log.access(response, request, environ, datetime.timedelta(milliseconds=4))
    logged = capsys.readouterr().out
    for secret in ("hiv_care", "detox", "33.41523", "111.83152", "?"):
        assert secret not in logged
    assert f"GET {path} HTTP/1.1" in logged
    assert logged.count(path) == 5  # request line, path, referrer twice, raw address


def test_an_error_report_shows_no_posted_value_and_no_local_variable(rf, settings):
    """An error report (Django's, when ADMINS or an error tracker are set up) would
    list the form that failed and the variables of each frame: a card code, an
    alias, an address or a note typed in a form that crashed."""
    from django.views.debug import ExceptionReporter

    settings.DEBUG = False
    # Made up here, since a report quotes the lines of code around each frame.
    alias, code, address = "Zeph" + "yrine", "K7QX" + "2M4", "12 E" + "lm St"
    note = "Lives under the " + "5th St bridge"
    request = rf.post("/participants/", {"q": alias, "card_code": code, "address": address})

    def view(typed):
        raise ValueError("failed")

    try:
        view(note)
    except ValueError:
        report = ExceptionReporter(request, *sys.exc_info())
        text = report.get_traceback_text() + report.get_traceback_html()
    for secret in (alias, code, address, note):
        assert secret not in text
    assert "card_code" in text  # the names of the fields, not their values


def test_django_s_request_log_withholds_certificate_check_codes(client, caplog):
    """A refused request is logged by Django with its path ("Method Not Allowed (POST):
    /training/check/…"): the console log writes it without the code, as the access logs do."""
    from django.urls import reverse

    handler = next(h for h in logging.getLogger().handlers if h.get_name() == "console")
    code = "K7QX-2M4P"
    with caplog.at_level(logging.WARNING, logger="django.request"):
        for path in (
            reverse("training:verify", args=[code]),
            reverse("training:course_certificate_pdf", args=[code]),
        ):
            assert client.post(path).status_code == 405
    records = [record for record in caplog.records if record.name == "django.request"]
    assert len(records) == 2
    logged = "\n".join(handler.formatter.format(record) for record in records)
    assert code not in logged
    assert logged.count("/training/check/(withheld)") == 2


def _error_email(client, monkeypatch, settings, path, data=None, **headers):
    """The error email Django sends ADMINS when GET `path` (or a POST of `data` to it)
    crashes (DEBUG off), with the HTML part that a program (or an error tracker's
    handler) may ask for."""
    from django.core import mail
    from django.utils.log import AdminEmailHandler

    settings.DEBUG = False
    settings.ADMINS = [("Ops", "ops@example.org")]
    handler = next(h for h in logging.getLogger("django").handlers if h.get_name() == "mail_admins")
    assert isinstance(handler, AdminEmailHandler)
    monkeypatch.setattr(handler, "include_html", True)
    client.raise_request_exception = False
    if data is None:
        response = client.get(path, **headers)
    else:
        response = client.post(path, data, **headers)
    assert response.status_code == 500
    (email,) = mail.outbox
    (html, _), *_ = email.alternatives
    return email.subject, email.body, html


def test_an_error_email_withholds_the_query_of_a_crashed_participant_search(
    participant, sam, login, monkeypatch, settings
):
    """An old address of the resource search for a participant (from before it was sent
    by POST) carries their needs and the phone's location in its query: the error email
    for a search that crashed would send them, beside the participant's record id, to
    every admin's mailbox."""
    from django.urls import reverse

    from haven.resources import views

    def crash(*args, **kwargs):
        raise RuntimeError("the search broke")

    monkeypatch.setattr(views, "_search_context", crash)
    path = reverse("resources:search_for_participant", args=[participant.pk])
    query = "needs=hiv_care&needs=detox&lat=33.41523&lon=-111.83152"
    address = f"{path}?{query}"
    subject, text, html = _error_email(
        login(sam),
        monkeypatch,
        settings,
        address,
        HTTP_REFERER=f"https://haven.example.org{address}",
        RAW_URI=address,
        REQUEST_URI=address,
        HTTP_X_ORIGINAL_URL=address,
    )
    for secret in ("hiv_care", "detox", "33.41523", "111.83152"):
        assert secret not in subject and secret not in text and secret not in html
    assert "RuntimeError" in text and "RuntimeError" in html
    assert "the search broke" in text
    assert path in subject and path in text
    assert "needs" in text and "lat" in text  # the names of the parameters, not their values


def test_an_error_email_withholds_what_a_crashed_participant_search_posted(
    participant, sam, login, monkeypatch, settings
):
    """The resource search for a participant is sent by POST: its needs and location are
    in the body, which the error email lists by name only."""
    from django.urls import reverse

    from haven.resources import views

    def crash(*args, **kwargs):
        raise RuntimeError("the search broke")

    monkeypatch.setattr(views, "_search_context", crash)
    path = reverse("resources:search_for_participant", args=[participant.pk])
    posted = {"needs": ["hiv_care", "detox"], "lat": "33.41523", "lon": "-111.83152"}
    subject, text, html = _error_email(
        login(sam),
        monkeypatch,
        settings,
        path,
        posted,
        HTTP_REFERER=f"https://haven.example.org{path}",
    )
    for secret in ("hiv_care", "detox", "33.41523", "111.83152"):
        assert secret not in subject and secret not in text and secret not in html
    assert "the search broke" in text
    assert path in subject and path in text
    assert "needs" in text and "lat" in text  # the names of the fields, not their values


def test_an_error_email_withholds_the_code_of_a_crashed_certificate_check(
    db, client, monkeypatch, settings
):
    """A certificate's check code leads to its holder's name: the email's subject names
    the path that failed, and its body the address, the referrer and the path again."""
    from django.urls import reverse

    from haven.training import public

    def crash(code):
        raise LookupError("the check broke")

    monkeypatch.setattr(public, "verify", crash)
    code = "K7QX-2M4P"
    path = reverse("training:verify", args=[code])
    subject, text, html = _error_email(
        client,
        monkeypatch,
        settings,
        f"{path}?lang=es",
        HTTP_REFERER=f"https://haven.example.org{path}",
        RAW_URI=f"{path}?lang=es",
    )
    for secret in (code, "lang=es"):
        assert secret not in subject and secret not in text and secret not in html
    assert "/training/check/(withheld)" in subject
    assert "LookupError" in text and "LookupError" in html


def test_an_error_report_withholds_the_values_a_refused_write_quotes(rf, settings):
    """PostgreSQL explains a refused write with the row it refused; the console log
    withholds those lines, and so does an error report, the exception it was raised from
    included."""
    from django.views.debug import get_exception_reporter_class

    settings.DEBUG = False
    request = rf.get("/participants/new/")
    code = "SECRET" + "7"  # made up here, since a report quotes the lines around each frame
    refused = IntegrityError(
        f'duplicate key value violates unique constraint "card_code"\n'
        f"DETAIL:  Key (card_code)=({code}) already exists."
    )
    try:
        try:
            raise refused
        except IntegrityError as error:
            raise RuntimeError("saving failed") from error
    except RuntimeError:
        report = get_exception_reporter_class(request)(request, *sys.exc_info())
        text = report.get_traceback_text() + report.get_traceback_html()
    assert code not in text
    assert 'violates unique constraint "card_code"' in text
