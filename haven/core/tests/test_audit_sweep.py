"""Every URL, as every role: a page that shows a participant has audited the read.

The list of pages is read from the URL resolver, not written by hand, so a
page added tomorrow is walked tomorrow. Each path parameter is filled with
real ids (a participant of the user's site and of another site, a linked
duplicate, contacts with and without a participant, overdose reports with
and without a contact, referrals of both sites, ...); a parameter this test
does not know fails the test, so whoever adds one must say here what to
fill it with.

A response that contains a participant's card code or alias, or a note, must
have a VIEW entry written during that request by that user naming that
participant (or, for a record with no participant, that record), and must
carry Cache-Control: no-store. Analysts, admins and visitors who are not
signed in must see none of it, but for two pages made to show someone to
them, each read audited all the same: the audit log (card codes, to admins)
and a certificate's check page (its holder's name, to anyone with its code).
No entry written may hold what it is about: a note, an alias, a card code,
an address, a certificate's code, or the words searched for.

Every route is asked for with GET, and again with POST (a search for a
participant's alias and card code in the body; JSON for the API), each POST
rolled back so that one does not change what the next shows. A query
parameter that changes whose records a page shows (a tab of the mail queue,
a timeline's next page) is walked too; one the sweep was not told of fails
it, like a path parameter it cannot fill.
"""

import datetime
import io
import itertools
import json
import re
import uuid
from contextlib import contextmanager
from unittest import mock
from urllib.parse import urlencode

import pytest
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.handlers.wsgi import WSGIRequest, get_bytes_from_wsgi
from django.db import transaction
from django.http import HttpRequest, QueryDict
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.resolvers import RoutePattern
from django.utils import timezone
from django.utils.functional import cached_property
from pypdf import PdfReader

from haven.accounts.models import Site
from haven.core.models import AuditEntry
from haven.mail.models import MailOffer, MailRequest
from haven.outreach.actions import EncounterData, do_record_encounter
from haven.overdose.actions import (
    AlertData,
    OverdoseReportData,
    do_create_alert,
    do_record_overdose_report,
)
from haven.overdose.models import Area
from haven.participants.actions import do_merge_participants
from haven.participants.models import Participant
from haven.reports.standard import REPORTS
from haven.resources.actions import (
    do_make_referral,
    do_record_guide_progress,
    do_save_guide,
    do_save_resource,
    do_update_referral_status,
)
from haven.resources.models import Guide, ImportBatch, Resource
from haven.supplies.actions import do_receive_stock
from haven.supplies.models import Kit, KitComponent, StockLocation
from haven.training.actions import SessionData, do_add_attendee, do_record_session
from haven.training.models import Certificate, Question, QuizAttempt

ROLES = [
    "specialist",
    "other_site_specialist",
    "supervisor",
    "manager",
    "analyst",
    "admin",
    "anonymous",
]
NO_PARTICIPANT_DATA = {"analyst", "admin", "anonymous"}

# Two pages show someone to roles that never read a participant record, each
# read audited like any other. The audit log names the participant of each
# entry by card code (never alias or notes), so that an auditor can answer "who
# read this participant's record" (issue 10); only the admin reads it.
AUDIT_LOG_PATH = "/audit/"
# Anyone with a certificate's code may check it, and see the name it was issued in.
CERTIFICATE_CHECK_PATH = "/training/check/"

# The Django admin is the admin helper's: its pages are searched for card
# codes by its own test (Haven's user and site pages replace it).
SKIPPED_NAMESPACES = {"admin"}
PARAMETER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>\w+)>")


def log(staff, site, *, participant=None, note, when=None):
    data = EncounterData(
        client_uuid=uuid.uuid4(),
        site=site,
        contact_type="fixed",
        participant=participant,
        anonymous_people=0 if participant else 2,
        occurred_at=when or timezone.now(),
        note=note,
    )
    return do_record_encounter(data, staff=staff)[0]


def report(by, *, note, encounter=None, area):
    data = OverdoseReportData(
        client_uuid=uuid.uuid4(),
        occurred_at=timezone.now() - datetime.timedelta(hours=1),
        area=area,
        reported_by="participant",
        outcome="survived",
        naloxone_doses=2,
        note=note,
        encounter=encounter,
    )
    return do_record_overdose_report(data, by=by)[0]


class World:
    """The records every page can show, and the text that gives each one away."""

    def __init__(self, personas, downtown, eastside, catalog):
        sam, olga = personas["specialist"], personas["other_site_specialist"]
        sue, max_manager = personas["supervisor"], personas["manager"]
        adam = personas["admin"]
        self.users = list(personas.values())
        self.sites = [downtown, eastside]
        area = Area.objects.create(code="85281", name="85281 Downtown", kind=Area.Kind.ZIP)

        self.zephyrine = Participant.objects.create(
            alias="Zephyrine", uic="XUICZEPH88", created_by=sam, enrolled_site=downtown
        )
        self.quillon = Participant.objects.create(
            alias="Quillon", created_by=olga, enrolled_site=eastside
        )
        self.marigoldo = Participant.objects.create(
            alias="Marigoldo", created_by=sam, enrolled_site=downtown
        )
        # Notes: the text, and the participant (or record) that reading it reads.
        self.notes = {}

        def note(text, owner):
            self.notes[text] = owner
            return text

        self.downtown_contact = log(
            sam, downtown, participant=self.zephyrine, note=note("Xnote-downtown", self.zephyrine)
        )
        self.duplicate_contact = log(
            sam, downtown, participant=self.marigoldo, note=note("Xnote-dup", self.marigoldo)
        )
        do_merge_participants(duplicate=self.marigoldo, keeper=self.zephyrine, by=sue)
        self.eastside_contact = log(
            olga, eastside, participant=self.quillon, note=note("Xnote-eastside", self.quillon)
        )
        self.anonymous_contact = log(sam, downtown, note="Xnote-anonymous")
        self.notes["Xnote-anonymous"] = self.anonymous_contact
        # Supervisors and managers log contacts too: their home pages list them.
        log(sue, downtown, participant=self.quillon, note=note("Xnote-sue", self.quillon))
        log(
            max_manager,
            eastside,
            participant=self.zephyrine,
            note=note("Xnote-max", self.zephyrine),
        )

        self.contact_report = report(
            sam,
            area=area,
            encounter=self.downtown_contact,
            note=note("Xnote-report-at-contact", self.zephyrine),
        )
        self.eastside_report = report(
            olga,
            area=area,
            encounter=self.eastside_contact,
            note=note("Xnote-report-eastside", self.quillon),
        )
        self.loose_report = report(sam, area=area, note="Xnote-report-alone")
        self.notes["Xnote-report-alone"] = self.loose_report

        self.resource = do_save_resource(
            Resource(name="Desert Bupe Clinic", zip_code="85281"),
            by=adam,
            needs=["counseling"],
            languages=["en"],
            spans=[],
        )
        past = timezone.localdate()
        self.downtown_referral = do_make_referral(
            participant=self.zephyrine,
            resource=self.resource,
            need="counseling",
            by=sam,
            site=downtown,
            note=note("Xnote-referral-downtown", self.zephyrine),
            follow_up_on=past,
        )
        do_update_referral_status(
            self.downtown_referral,
            status="contacted",
            by=sam,
            note=note("Xnote-referral-update", self.zephyrine),
            follow_up_on=past,
        )
        self.eastside_referral = do_make_referral(
            participant=self.quillon,
            resource=self.resource,
            need="counseling",
            by=olga,
            site=eastside,
            note=note("Xnote-referral-eastside", self.quillon),
            follow_up_on=past,
        )
        self.guide = do_save_guide(
            Guide(), by=max_manager, title="Medicaid", language="en", summary="", steps=["Apply"]
        )
        do_record_guide_progress(self.zephyrine, self.guide, by=sam, done_step_ids=[])

        self.bag = StockLocation.objects.create(
            name="Sam's bag", kind="bag", site=downtown, holder=sam
        )
        self.movement = do_receive_stock(
            location=self.bag, item=catalog["syringes"], quantity=100, by=max_manager
        )
        self.kit = Kit.objects.create(name="Safer injection kit")
        KitComponent.objects.create(kit=self.kit, item=catalog["syringes"], quantity=10)
        self.item = catalog["syringes"]
        now = timezone.now()
        self.alert = do_create_alert(
            AlertData(
                title="Strong batch",
                body="Blue pills",
                severity="warning",
                audience="staff",
                starts_at=now,
                expires_at=now + datetime.timedelta(days=7),
            ),
            by=sue,
        )
        # A packed request at a mail site: its label (name, address) is printed for
        # the mail site's staff and managers, each print a read of the request.
        # Every page that shows a request (its ZIP in the queue, its tracking number,
        # the reason typed for a decline) reads that request too.
        Site.objects.create(name="Mail desk", kind=Site.Kind.MAIL)
        self.mail_request = MailRequest.objects.create(
            form_token="sweep",
            status=MailRequest.Status.PACKED,
            label_name="Xnote-mail-label",
            address="Xnote-mail-address",
            contact_email="xnote-mail@example.org",
            contact_phone="Xnote-mail-phone",
            state="AZ",
            zip_code="Xzip1",
            requester_hash="0" * 64,
            first_request=True,
        )
        mail = (
            "Xnote-mail-label",
            "Xnote-mail-address",
            "xnote-mail@example.org",
            "Xnote-mail-phone",
            "Xzip1",
        )
        self.notes.update(dict.fromkeys(mail, self.mail_request))
        self.shipped_request = MailRequest.objects.create(
            form_token="sweep-shipped",
            status=MailRequest.Status.SHIPPED,
            label_name="Xnote-shipped-label",
            address="Xnote-shipped-address",
            tracking_number="Xnote-mail-tracking",
            state="AZ",
            zip_code="Xzip2",
            requester_hash="1" * 64,
            first_request=True,
        )
        shipped = ("Xnote-shipped-label", "Xnote-shipped-address", "Xnote-mail-tracking", "Xzip2")
        self.notes.update(dict.fromkeys(shipped, self.shipped_request))
        self.declined_request = MailRequest.objects.create(
            form_token="sweep-declined",
            status=MailRequest.Status.DECLINED,
            decline_reason="Xnote-mail-declined",
            state="AZ",
            zip_code="Xzip3",
            requester_hash="2" * 64,
            first_request=False,
        )
        self.notes.update(dict.fromkeys(("Xnote-mail-declined", "Xzip3"), self.declined_request))
        self.mail_offer = MailOffer.objects.create(item=catalog["naloxone"])
        self.batch = ImportBatch.objects.create(
            uploaded_by=max_manager, filename="dir.csv", content=b"name\nA clinic\n"
        )
        # A training with Zephyrine listed by card code and a certificate.
        self.training = do_record_session(
            SessionData(
                client_uuid=uuid.uuid4(),
                topic="overdose_response",
                held_on=timezone.localdate(),
                audience="participants",
                headcount=5,
                site=downtown,
            ),
            by=sam,
        )[0]
        # Zephyrine also gave a name for her certificate, with consent.
        self.trainee = do_add_attendee(
            self.training,
            client_uuid=uuid.uuid4(),
            by=sam,
            participant=self.zephyrine,
            name=note("Xzeph-certificate-name", self.zephyrine),
            consent=True,
        )[0]
        named = do_add_attendee(
            self.training, client_uuid=uuid.uuid4(), by=sam, name="Xnamed-attendee", consent=True
        )[0]
        self.notes["Xnamed-attendee"] = named
        self.certificate = Certificate.objects.create(
            attendee=named,
            issued_on=past,
            expires_on=past,
            issued_by=sam,
            email="xnote-certificate@example.org",
        )
        self.notes["xnote-certificate@example.org"] = named
        # Zephyrine's own certificate: its PDF and its check page are walked too.
        self.trainee_certificate = Certificate.objects.create(
            attendee=self.trainee, issued_on=past, expires_on=past, issued_by=sam
        )
        # A certificate of the public course, in the name its holder gave.
        attempt = QuizAttempt.objects.create(
            client_uuid=uuid.uuid4(), stage="post", language="en", scores={}, right=1, asked=1
        )
        self.course_certificate = Certificate.objects.create(
            attempt=attempt,
            name="Xcourse-holder",
            consent_recorded_at=timezone.now(),
            issued_on=past,
            expires_on=past,
        )
        self.notes["Xcourse-holder"] = self.course_certificate
        self.question = Question.objects.create(area="risks", text="Risk?", text_es="¿Riesgo?")

    def ids(self):
        """What to put in each path parameter: every kind of record a page may address."""
        return {
            "participant_id": [self.zephyrine, self.quillon, self.marigoldo],
            "encounter_id": [
                self.downtown_contact,
                self.eastside_contact,
                self.anonymous_contact,
                self.duplicate_contact,
            ],
            "report_id": [self.contact_report, self.eastside_report, self.loose_report],
            "referral_id": [self.downtown_referral, self.eastside_referral],
            "resource_id": [self.resource],
            "guide_id": [self.guide],
            "batch_id": [self.batch],
            "location_id": [self.bag],
            "movement_id": [self.movement],
            "item_id": [self.item],
            "kit_id": [self.kit],
            "alert_id": [self.alert],
            # Mail requests (haven/mail): packed, shipped and declined.
            "request_id": [self.mail_request, self.shipped_request, self.declined_request],
            "offer_id": [self.mail_offer],  # what is offered by mail
            # Staff and sites (user and site management pages).
            "user_id": self.users,
            "site_id": self.sites,
            # Not ids: a report's slug, a feed's language, a password-reset link.
            "slug": [*REPORTS, "no-such-report"],
            "language": ["en", "es"],
            "uidb64": ["MQ"],
            "token": ["set-password"],
            "file_format": ["csv", "xlsx"],
            "session_id": [self.training],
            "attendee_id": [self.trainee, self.certificate.attendee],
            "quiz_token": [self.training.quiz_token, self.trainee.quiz_token, "no-such-token"],
            "stage": ["pre", "follow_up"],
            "certificate_code": [
                self.certificate.code,
                self.trainee_certificate.code,
                self.course_certificate.code,
                "no-such-code",
            ],
            "question_id": [self.question],
        }

    def card_codes(self):
        """The pseudonymous codes the audit log may show an admin, as typed and as printed."""
        return {
            code
            for participant in (self.zephyrine, self.quillon, self.marigoldo)
            for code in (participant.card_code, participant.display_code)
        }

    def certificate_names(self):
        """What a certificate's check page shows anyone with its code: its holder's name."""
        return {"Xnamed-attendee", "Xzeph-certificate-name", "Xcourse-holder"}

    def secrets(self):
        """Codes that lead to someone: never in an audit entry (the check page's address)."""
        return {
            self.certificate.code,
            self.trainee_certificate.code,
            self.course_certificate.code,
            self.training.quiz_token,
            self.trainee.quiz_token,
        }

    def giveaways(self):
        """(text, participant or record): text on a page that shows that participant or record."""
        found = []
        for participant in (self.zephyrine, self.quillon, self.marigoldo):
            for text in (participant.card_code, participant.display_code, participant.alias):
                found.append((text, participant))
        found.append((self.zephyrine.uic, self.zephyrine))
        found.extend(self.notes.items())
        return found


def walk(patterns, prefix=""):
    """Every URL route of the project (minus skipped namespaces), as route strings."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace in SKIPPED_NAMESPACES:
                continue
            yield from walk(pattern.url_patterns, prefix + route_of(pattern))
        else:
            assert isinstance(pattern, URLPattern)
            yield prefix + route_of(pattern)


def route_of(pattern):
    if isinstance(pattern.pattern, RoutePattern):
        return str(pattern.pattern)
    regex = pattern.pattern.regex
    if regex.groups:
        raise AssertionError(f"{pattern!r}: the audit sweep cannot fill a regular expression")
    # A fixed path written as a regular expression (e.g. by a library).
    return regex.pattern.removeprefix("^").removesuffix("$").replace("\\", "")


def concrete_paths(route, ids):
    """Every way of filling a route's parameters, or raise KeyError for an unknown one."""
    names = [match["name"] for match in PARAMETER.finditer(route)]
    choices = [ids[name] for name in names]
    for values in itertools.product(*choices):
        filled = iter(values)
        yield "/" + PARAMETER.sub(lambda _match: str(_value(next(filled))), route)


def _value(value):
    return getattr(value, "pk", value)


def queries(world):
    """{route: {query parameter: [values to walk]}}: every parameter a page reads.

    A page is walked again with each value, one parameter at a time. A
    parameter with no values changes whose records the page shows in no way
    (a paper size, a language, how many weeks of figures); say why here.
    """
    return {
        # Which tab of the queue: each status lists other requests.
        "mail/": {"status": ["packed", "shipped", "declined"]},
        # A timeline's older contacts, a page at a time.
        "participants/<int:participant_id>/": {"page": ["2"]},
        # How far ahead: a certificate due in three years is listed too.
        "training/certificates/expiring/": {"days": ["3650"]},
        # The log of one participant (by id), of one staff member, a page further.
        "audit/": {
            "participant_id": [world.zephyrine.pk],
            "user": ["sam"],
            "action": ["view"],
            "object_type": ["participants.participant"],
            "since": ["2000-01-01"],
            "until": ["2100-01-01"],
            "page": ["2"],
            "participant": [],  # an old link's card code: sent on to participant_id
        },
        "audit/export.<str:file_format>": {
            "participant_id": [world.zephyrine.pk],
            "user": ["sam"],
            "action": [],
            "object_type": [],
            "since": [],
            "until": [],
            "participant": [],
        },
        # The accounting and summary in the participant's other language.
        "consents/participant/<int:participant_id>/disclosures/": {"language": ["es"]},
        "consents/participant/<int:participant_id>/summary/": {"language": ["es"]},
        # A consent kind or provider chosen in advance on the form.
        "consents/participant/<int:participant_id>/": {"kind": [], "provider": []},
        # Why a refill: chosen in advance on the form.
        "overdose/contacts/<int:encounter_id>/naloxone/": {"reason": ["used"]},
        # Paper sizes and figures: nobody else is shown.
        "training/attendees/<int:attendee_id>/certificate.pdf": {"size": ["letter"]},
        "training/check/<str:certificate_code>/certificate.pdf": {"size": ["letter"]},
        "supplies/": {"days": []},
        "supplies/export/ledger.csv": {"location": [world.bag.pk], "since": [], "until": []},
        "supplies/receive/": {"location": []},
        "supplies/transfer/": {"source": [], "destination": []},
        "overdose/reports/export/odmap.csv": {"days": []},
        "overdose/areas/": {"weeks": []},
        "overdose/drug-checks/": {"period": []},
        "consents/texts/": {"kind": []},
        # A report's period, site, staff member and kind of contact: figures only.
        "reports/<slug:slug>/": {
            "format": ["csv", "xlsx"],
            **dict.fromkeys(
                ("period", "year", "number", "start", "end", "site", "staff", "contact_type"), []
            ),
        },
        "reports/dashboard/": {"by": []},
        "i18n/setlang/": {"next": []},
        # Where to go next; what django-axes looks for in a sign-in.
        "accounts/login/": {"next": []},
        "accounts/logout/": {"next": []},
        "accounts/verify/": {"next": []},
        "accounts/passkeys/authentication/complete/": dict.fromkeys(
            ("username", "password", "ip_address"), []
        ),
        "public/mail/": {"refill": []},
        "resources/import/<int:batch_id>/": {"mapping": []},
    }


class AskedQuery(QueryDict):
    """request.GET that remembers which parameters the page asked for."""

    asked = set()

    def _ask(self, key):
        # A template's {{ request.GET.urlencode }} tries the key "urlencode" first.
        if not hasattr(QueryDict, key):
            type(self).asked.add(key)

    def __getitem__(self, key):
        self._ask(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        self._ask(key)
        return super().__contains__(key)

    def get(self, key, default=None):
        self._ask(key)
        return super().get(key, default)

    def getlist(self, key, default=None):
        self._ask(key)
        return super().getlist(key, default)

    def pop(self, key, *args):
        self._ask(key)
        return super().pop(key, *args)


@contextmanager
def asked_query_parameters():
    """While in it, request.GET notes each parameter a page asks for (AskedQuery.asked)."""

    def query(request):
        raw = get_bytes_from_wsgi(request.environ, "QUERY_STRING", "")
        return AskedQuery(raw, encoding=request._encoding)

    remembering = cached_property(query)
    remembering.__set_name__(WSGIRequest, "GET")
    with mock.patch.object(WSGIRequest, "GET", remembering):
        yield


def with_queries(route, path, known):
    """The path, then the path with each value of each query parameter known for its route."""
    yield path
    for name, values in known.get(route, {}).items():
        for value in values:
            yield f"{path}?{urlencode({name: value})}"


@pytest.fixture
def world(personas, downtown, eastside, catalog):
    return World(personas, downtown, eastside, catalog)


def content_of(response):
    """The text a response shows: a PDF's text as a reader would see it."""
    if response.streaming:
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    if response.get("Content-Type", "").startswith("application/pdf"):
        pages = PdfReader(io.BytesIO(response.content)).pages
        return "\n".join(page.extract_text() for page in pages)
    return response.content.decode("utf-8", "replace")


def cookie_messages(response):
    """The texts of the messages a response leaves waiting in the messages cookie."""
    morsel = response.cookies.get(CookieStorage.cookie_name)
    if morsel is None or not morsel.value:
        return []
    return [str(message) for message in CookieStorage(HttpRequest())._decode(morsel.value) or []]


def audited(entries, owner):
    for entry in entries:
        if isinstance(owner, Participant):
            if entry.participant_id == owner.pk:
                return True
        elif entry.object_type == owner._meta.label_lower and entry.object_id == str(owner.pk):
            return True
    return False


def unknown_parameters(patterns, ids):
    """Routes with a parameter the sweep cannot fill."""
    unknown = set()
    for route in walk(patterns):
        for match in PARAMETER.finditer(route):
            if match["name"] not in ids:
                unknown.add(f"{route} ({match['name']})")
    return sorted(unknown)


def client_of(login, user):
    """A fresh client signed in as `user`, or not signed in at all (None)."""
    return Client() if user is None else login(user)


def post_body(path, world):
    """A search for Zephyrine by alias and by card code, as a form or as the API's JSON."""
    if path.startswith("/api/"):
        return {
            "data": {"card_code": world.zephyrine.card_code},
            "content_type": "application/json",
        }
    return {"data": {"q": world.zephyrine.alias, "card_code": world.zephyrine.card_code}}


def sweep(login, user, world, patterns, method="get"):
    """Ask for every route as `user`; return what went wrong, and how many pages were visited.

    Each page is asked for in a fresh session, so that a message left by one
    page (e.g. "The two records are now linked") is not blamed on the next. A
    POST is rolled back once checked, so that it changes nothing for the next.
    """
    giveaways = world.giveaways()
    role = user.role if user is not None else "anonymous"
    known = queries(world)
    problems = []
    visited = 0
    showing = []
    for route in walk(patterns):
        try:
            paths = list(concrete_paths(route, world.ids()))
        except KeyError as error:
            problems.append(f"{route}: the sweep cannot fill {error}")
            continue
        asked = set()
        for path in (p for bare in paths for p in with_queries(route, bare, known)):
            client = client_of(login, user)
            AskedQuery.asked = set()
            with asked_query_parameters(), transaction.atomic():
                found = check_page(client, user, role, path, method, world, giveaways)
                transaction.set_rollback(True)
            asked |= AskedQuery.asked
            visited += 1
            if found is not None:
                showing.append(path)
                problems.extend(found)
        for name in sorted(asked - set(known.get(route, {}))):
            problems.append(f"{route}: the sweep does not know the query parameter {name!r}")
    return problems, visited, showing


def check_page(client, user, role, path, method, world, giveaways):
    """None if the page shows no participant; else the problems with what it shows."""
    last = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    typed = set()
    if method == "get":
        response = client.get(path)
    else:
        body = post_body(path, world)
        response = client.post(path, **body)
        # A form sent back with its errors shows what was typed in it: the
        # person's own input, not a read of a record (a display code, an
        # alias found for a typed code and the like still count).
        typed = {value for value in body["data"].values() if isinstance(value, str)}
    # A message waits for the next page in a cookie (signed, not encrypted): it names no one.
    waiting = " ".join(cookie_messages(response))
    named = [marker for marker, _owner in giveaways if marker in waiting and marker not in typed]
    if named:
        return [f"{method.upper()} {path}: leaves {named} in the messages cookie"]
    label = f"{method.upper()} {path}"
    written = list(AuditEntry.objects.filter(id__gt=last))
    problems = entries_keep_nothing_of_them(label, written, world, giveaways, typed)
    if 300 <= response.status_code < 400:
        return problems or None
    text = content_of(response)
    shown = [
        (marker, owner) for marker, owner in giveaways if marker in text and marker not in typed
    ]
    if not shown:
        return problems or None
    if role in NO_PARTICIPANT_DATA:
        # Made to show someone to them: still a read of each one, audited below.
        allowed = set()
        if path.startswith(CERTIFICATE_CHECK_PATH):
            allowed = world.certificate_names()
        elif role == "admin" and path.startswith(AUDIT_LOG_PATH):
            allowed = world.card_codes()
        forbidden = [marker for marker, _owner in shown if marker not in allowed]
        if forbidden:
            return [*problems, f"{label}: {role} was shown {forbidden}"]
    reads = [entry for entry in written if entry.action == AuditEntry.Action.VIEW]
    entries = [entry for entry in reads if entry.user_id == getattr(user, "pk", None)]
    for marker, owner in shown:
        if not audited(entries, owner):
            problems.append(f"{label}: shows {marker!r} with no VIEW entry for {owner!r}")
    if "no-store" not in response.get("Cache-Control", ""):
        problems.append(f"{label}: shows a participant without Cache-Control: no-store")
    return problems


def entries_keep_nothing_of_them(label, entries, world, giveaways, typed):
    """An entry says who read what kind of record, by id: never its text, nor a search."""
    kept = {marker for marker, _owner in giveaways} | world.secrets() | typed
    problems = []
    for entry in entries:
        written = " ".join(
            [entry.page, entry.object_id, json.dumps(entry.detail, ensure_ascii=False)]
        )
        found = sorted(marker for marker in kept if marker and marker in written)
        if found:
            problems.append(f"{label}: writes {found} into the audit log ({entry.page!r})")
    return problems


def test_every_route_is_known_to_the_sweep(world):
    unknown = unknown_parameters(get_resolver().url_patterns, world.ids())
    assert not unknown, f"Tell the audit sweep what ids to fill in: {unknown}"


@pytest.mark.parametrize("role", ROLES)
def test_every_page_that_shows_a_participant_audited_the_read(role, personas, world, login):
    user = personas.get(role)
    problems, visited, showing = sweep(login, user, world, get_resolver().url_patterns)
    assert visited > 100
    assert not problems, "\n".join(problems)
    if role not in NO_PARTICIPANT_DATA:
        # The fixture gives every kind of page something to show: a sweep
        # that saw no participant would prove nothing.
        assert any(path.startswith("/outreach/log/participant/") for path in showing)
        for expected in (
            "/",
            "/resources/referrals/",
            "/api/v1/participants/recent",
        ):
            assert expected in showing, expected
        if role != "other_site_specialist":  # a Downtown training is not Olga's
            assert f"/training/sessions/{world.training.pk}/" in showing
        if role == "manager":  # managers work every site, the mail desk too
            assert f"/mail/{world.mail_request.pk}/label/" in showing
        assert len(showing) > 20


@pytest.mark.parametrize("role", sorted(set(ROLES) - set(NO_PARTICIPANT_DATA)))
def test_the_screens_the_phone_keeps_name_no_participant(role, personas, world, login):
    """The service worker keeps these pages on the phone, unsealed: they must name nobody
    (the phone lists its participants from what it keeps sealed)."""
    from haven.outreach.views import KEPT_RECORD_SCREENS, OFFLINE_FALLBACK, OFFLINE_PAGES

    client = login(personas[role])
    # The user's recent participants, the kind of data the kept screens used to list.
    for participant in world.ids()["participant_id"]:
        client.get(f"/outreach/log/participant/{participant.pk}/")
    kept = [*OFFLINE_PAGES, *(screen for _record, screen in KEPT_RECORD_SCREENS), OFFLINE_FALLBACK]
    for name in kept:
        response = client.get(reverse(name))
        assert response.status_code == 200, name
        text = content_of(response)
        shown = [marker for marker, _owner in world.giveaways() if marker in text]
        assert not shown, f"{name} shows {shown}"


@pytest.mark.parametrize("role", ROLES)
def test_every_answer_to_a_post_that_shows_a_participant_audited_the_read(
    role, personas, world, login
):
    user = personas.get(role)
    problems, visited, showing = sweep(
        login, user, world, get_resolver().url_patterns, method="post"
    )
    assert visited > 100
    assert not problems, "\n".join(problems)
    if role not in NO_PARTICIPANT_DATA:
        # The search box and the API's look-up answer a POST with a participant.
        assert "/participants/" in showing
        assert "/api/v1/participants/lookup" in showing


def api_patterns():
    """The JSON API's routes alone, as the resolver gives them."""
    return [p for p in get_resolver().url_patterns if route_of(p).startswith("api/")]


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("role", [role for role in ROLES if role != "anonymous"])
def test_every_api_answer_to_a_device_token_audited_the_read(role, method, personas, world):
    """The phone's way in: a device token, not a session (haven/api/auth.py)."""
    from haven.api.tests.client import api_client

    user = personas[role]
    problems, visited, showing = sweep(
        lambda person: api_client(person), user, world, api_patterns(), method=method
    )
    assert visited > 10
    assert not problems, "\n".join(problems)
    if role not in NO_PARTICIPANT_DATA:
        assert (
            "/api/v1/participants/recent" if method == "get" else "/api/v1/participants/lookup"
        ) in showing


# The sweep itself, played against a page written without the access module.


@pytest.mark.urls("haven.core.tests.leaky_urls")
@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("role", ["specialist", "analyst", "anonymous"])
def test_the_sweep_catches_a_new_page_that_forgets_to_audit(role, method, personas, world, login):
    user = personas.get(role)
    problems, visited, _showing = sweep(
        login, user, world, get_resolver().url_patterns, method=method
    )
    assert visited == 3  # three participants; the mystery page cannot be filled
    assert "mystery/<int:gadget_id>/: the sweep cannot fill 'gadget_id'" in problems
    leaked = world.zephyrine.display_code
    page = f"{method.upper()} /leaky/{world.zephyrine.pk}/"
    if role in NO_PARTICIPANT_DATA:
        assert any(p.startswith(f"{page}: {role} was shown") for p in problems)
    else:
        everything = "\n".join(problems)
        assert f"{page}: shows {leaked!r} with no VIEW entry" in everything
        assert f"{page}: shows a participant without Cache-Control" in everything


@pytest.mark.urls("haven.core.tests.leaky_urls")
def test_the_sweep_refuses_a_parameter_it_cannot_fill(world):
    assert unknown_parameters(get_resolver().url_patterns, world.ids()) == [
        "mystery/<int:gadget_id>/ (gadget_id)"
    ]
