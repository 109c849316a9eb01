"""Every response carries the Content-Security-Policy, and no page needs inline code.

The policy (settings.CONTENT_SECURITY_POLICY) refuses inline <script> bodies,
on*= handler attributes, javascript: addresses, style= attributes and <style>
elements. A page that has one is broken under the policy, so a walk over every
URL pattern, with real ids from the demo program, fails the build when a new
page brings one. The browser tests (haven/core/tests/browser.py) prove the
same in Chromium for each journey.
"""

import io
import re
from html.parser import HTMLParser

import pytest
from csp.utils import build_policy
from django.contrib import admin
from django.core.management import call_command
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils.html import escapejs

from haven.accounts.models import User
from haven.outreach.models import Encounter
from haven.overdose.models import DrugAlert, OverdoseReport
from haven.reports import standard
from haven.resources.models import Guide, ImportBatch, Referral, Resource
from haven.supplies.models import Item, Kit, StockLocation, StockMovement

HEADER = "Content-Security-Policy"
HANDLER = re.compile(r"on[a-z]+")
ADDRESS_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href"}


class InlineCodeFinder(HTMLParser):
    """Lists what the policy would refuse in an HTML page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems = []
        self._script = None
        self._script_text = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if HANDLER.fullmatch(name):
                self.problems.append(f"<{tag} {name}=…> handler attribute")
            elif name == "style":
                self.problems.append(f"<{tag} style=…> attribute")
            elif (
                name in ADDRESS_ATTRIBUTES
                and value
                and value.strip().lower().startswith("javascript:")
            ):
                self.problems.append(f"<{tag} {name}='javascript:…'>")
        if tag == "style":
            self.problems.append("<style> element")
        if tag == "script":
            self._script = dict(attrs)
            self._script_text = []

    def handle_data(self, data):
        if self._script is not None:
            self._script_text.append(data)

    def handle_endtag(self, tag):
        if tag != "script" or self._script is None:
            return
        body = "".join(self._script_text).strip()
        kind = (self._script.get("type") or "").strip().lower()
        # A JSON block (json_script) is data, never run, so the policy allows it.
        if body and kind != "application/json":
            self.problems.append(f"inline <script> body: {body[:60]!r}")
        self._script = None


def inline_code(html):
    finder = InlineCodeFinder()
    finder.feed(html)
    finder.close()
    return finder.problems


def test_the_checker_finds_each_kind_of_inline_code():
    page = """<!doctype html><html><head><style>p { color: red }</style></head><body>
    <p style="color: red">styled</p>
    <button ONCLICK="steal()">x</button>
    <img src="x.png" onerror=steal()>
    <a href=" JavaScript:steal()">x</a>
    <script>steal()</script>
    <script type="module">steal()</script>
    </body></html>"""
    assert inline_code(page) == [
        "<style> element",
        "<p style=…> attribute",
        "<button onclick=…> handler attribute",
        "<img onerror=…> handler attribute",
        "<a href='javascript:…'>",
        "inline <script> body: 'steal()'",
        "inline <script> body: 'steal()'",
    ]


def test_the_checker_allows_script_files_and_json_data():
    page = """<!doctype html><html><body data-online="1">
    <script src="/static/core/print.js" defer></script>
    <script type="application/json" id="settings">{"a": "</p>"}</script>
    <button data-onclick="no" class="online">x</button>
    <a href="/javascript-guide/">a guide about JavaScript:</a>
    </body></html>"""
    assert inline_code(page) == []


def is_html(response):
    return response.get("Content-Type", "").startswith("text/html") and not getattr(
        response, "streaming", False
    )


@pytest.fixture
def program(db):
    """The demo program (every kind of record), plus a resource import waiting for review."""
    call_command("load_demo_data", participants=30, contacts=150, days=30, stdout=io.StringIO())
    manager = User.objects.get(username="manager")
    batch = ImportBatch.objects.create(
        uploaded_by=manager, filename="pantries.csv", content=b"name,phone\nFood Bank,555-0100\n"
    )
    encounter = Encounter.objects.filter(participant__isnull=False).order_by("pk").first()
    ids = {
        "participant_id": encounter.participant_id,
        "encounter_id": encounter.pk,
        "location_id": StockLocation.objects.order_by("pk").first().pk,
        "movement_id": StockMovement.objects.order_by("pk").first().pk,
        "item_id": Item.objects.order_by("pk").first().pk,
        "kit_id": Kit.objects.order_by("pk").first().pk,
        "report_id": OverdoseReport.objects.order_by("pk").first().pk,
        "alert_id": DrugAlert.objects.filter(status=DrugAlert.Status.PUBLISHED).first().pk,
        "resource_id": Resource.objects.order_by("pk").first().pk,
        "batch_id": batch.pk,
        "referral_id": Referral.objects.order_by("pk").first().pk,
        "guide_id": Guide.objects.order_by("pk").first().pk,
        "language": "es",
        "slug": next(iter(standard.REPORTS)),
    }
    return {"ids": ids, "users": {user.username: user for user in User.objects.all()}}


def url_patterns(patterns=None, namespace=""):
    """(qualified name, parameter names) of every named URL outside the Django admin."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from url_patterns(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}{pattern.name}", pattern.pattern.regex.groupindex.keys()


def page_addresses(ids):
    """Every page Haven has, with real ids; the resolver also counts parameters of outer paths."""
    addresses = set()
    for name, parameters in url_patterns():
        # A parameter no test data names yet gets 1, so the page is still asked for.
        kwargs = {parameter: ids.get(parameter, 1) for parameter in parameters}
        addresses.add(reverse(name, kwargs=kwargs))
    return sorted(addresses)


def admin_addresses():
    """The Django admin's pages for every registered model, with a real record where one exists."""
    addresses = {reverse("admin:index"), reverse("admin:login"), reverse("admin:password_change")}
    for model in admin.site._registry:
        info = (model._meta.app_label, model._meta.model_name)
        addresses.add(reverse("admin:app_list", kwargs={"app_label": info[0]}))
        addresses.add(reverse("admin:{}_{}_changelist".format(*info)))
        addresses.add(reverse("admin:{}_{}_add".format(*info)))
        record = model.objects.order_by("pk").first()
        if record is not None:
            for view in ("change", "history", "delete"):
                addresses.add(reverse(f"admin:{info[0]}_{info[1]}_{view}", args=[record.pk]))
    return sorted(addresses)


def sweep(client, addresses):
    """{address: response} for GETs, with what the policy would refuse on each HTML page."""
    missing_header, refused, pages = [], {}, {}
    for address in addresses:
        response = client.get(address)
        pages[address] = response
        if HEADER not in response:
            missing_header.append(f"{address} ({response.status_code})")
        if is_html(response):
            problems = inline_code(response.content.decode(response.charset or "utf-8"))
            if problems:
                refused[address] = problems
    assert not missing_header, f"Responses without {HEADER}: {missing_header}"
    assert not refused, "Pages with inline code the policy refuses:\n" + "\n".join(
        f"{address}: {problems}" for address, problems in refused.items()
    )
    return pages


def shown(pages):
    return {address for address, response in pages.items() if response.status_code == 200}


def test_every_page_for_a_manager_carries_the_policy_and_needs_no_inline_code(program):
    ids = program["ids"]
    client = Client()
    client.force_login(program["users"]["manager"])
    pages = sweep(client, page_addresses(ids))
    # The walk reached the pages that show records, not only refusals.
    assert {
        reverse("participants:detail", args=[ids["participant_id"]]),
        reverse("participants:card", args=[ids["participant_id"]]),
        reverse("outreach:saved", args=[ids["encounter_id"]]),
        reverse("outreach:quick_log"),
        reverse("overdose:report_detail", args=[ids["report_id"]]),
        reverse("resources:detail", args=[ids["resource_id"]]),
        reverse("resources:referral", args=[ids["referral_id"]]),
        reverse("resources:guide", args=[ids["guide_id"]]),
        reverse("resources:import_preview", args=[ids["batch_id"]]),
        reverse("supplies:location", args=[ids["location_id"]]),
        reverse("reports:dashboard"),
        reverse("api:openapi-view"),
    } <= shown(pages)
    assert len([page for page in pages.values() if is_html(page)]) >= 60


def test_every_page_for_an_anonymous_visitor_carries_the_policy_and_needs_no_inline_code(
    program,
):
    ids = program["ids"]
    pages = sweep(Client(), [*page_addresses(ids), *admin_addresses()])
    assert {
        reverse("accounts:login"),
        reverse("public:resource_finder"),
        reverse("public:alerts"),
        reverse("public:alert_detail", args=[ids["alert_id"]]),
        reverse("api:openapi-view"),
        reverse("admin:login"),
    } <= shown(pages)


def test_every_page_for_an_admin_carries_the_policy(program):
    client = Client()
    client.force_login(program["users"]["admin"])
    pages = sweep(client, page_addresses(program["ids"]))
    assert {reverse("core:audit_log"), reverse("accounts:staff")} <= shown(pages)


def test_every_django_admin_page_for_the_break_glass_account_carries_the_policy(program):
    root = User.objects.create_superuser("root-csp", password="unused-Pa55word")
    client = Client()
    client.force_login(root)
    pages = sweep(client, admin_addresses())
    assert {
        reverse("admin:index"),
        reverse("admin:accounts_user_changelist"),
        reverse("admin:accounts_user_add"),
    } <= shown(pages)


def directives_of(policy):
    """{directive: its sources}, whatever order django-csp wrote them in."""
    return dict(
        (part.split(" ", 1) + [""])[:2] for part in (p.strip() for p in policy.split(";")) if part
    )


def test_the_policy_refuses_inline_code_and_other_origins(client):
    policy = client.get(reverse("accounts:login"))[HEADER]
    directives = directives_of(policy)
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["img-src"] == "'self' data:"
    assert directives["object-src"] == "'none'"
    assert directives["base-uri"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["form-action"] == "'self'"
    assert "unsafe" not in policy


def test_the_no_signal_page_of_the_service_worker_keeps_the_policy(client):
    script = client.get(reverse("service_worker")).content.decode()
    assert "style=" not in script
    assert '"Content-Security-Policy": POLICY' in script
    assert escapejs(build_policy()) in script
