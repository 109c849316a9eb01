"""Every route says who may use it, and every role it does not name is refused.

The routes are read from the URL resolver, so a view added without
@role_required fails here unless it is listed below as open to the public or
to anyone signed in, with the reason. The JSON API has its own role sweep
(haven/api/tests/test_roles.py); the Django admin its own (test_admin_site.py).
"""

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from haven.core.permissions import ADMIN, ANALYST

from .test_audit_sweep import ROLES, SKIPPED_NAMESPACES, World, concrete_paths, route_of

# Open to anyone: the public pages, and the ways in (sign-in, password reset).
PUBLIC = {
    "healthz": "a load balancer's probe",
    "sw.js": "the field app's service worker, fetched before sign-in",
    "manifest.webmanifest": "the field app's manifest",
    "favicon.ico": "an icon",
    "i18n/setlang/": "choosing a language",
    "accounts/login/": "signing in",
    "accounts/logout/": "signing out",
    "accounts/password-reset/": "asking for a reset link",
    "accounts/password-reset/sent/": "a reset link was sent",
    "accounts/password-reset/<uidb64>/<token>/": "the reset link itself",
    "accounts/password-reset/done/": "a password was reset",
    "accounts/passkeys/authentication/begin/": "signing in with a passkey",
    "accounts/passkeys/authentication/complete/": "signing in with a passkey",
    "accounts/passkeys/jsi18n/": "the passkey script's texts",
    "public/resources/": "the public resource finder",
    "public/alerts/": "public drug alerts",
    "public/alerts/<int:alert_id>/": "a public drug alert",
    "public/alerts/feed/": "the alerts feed",
    "public/alerts/feed/<str:language>/": "the alerts feed in a language",
    "public/mail/": "asking for supplies by mail",
    "public/mail/reversal/": "reporting a reversal",
    "public/mail/guide/": "the mail guide",
    "training/q/<str:quiz_token>/<str:stage>/": "a trainee's quiz, by its secret token",
    "training/course/": "the public course",
    "training/course/quiz/": "the public course's quiz",
    "training/course/certificate/": "the public course's certificate",
    "training/check/<str:certificate_code>/": "checking a certificate, by its code",
    "training/check/<str:certificate_code>/certificate.pdf": "a course certificate, by its code",
}
# Open to anyone signed in, whatever their role: their own account, and home.
SIGNED_IN = {
    "": "home: figures by role, participants only for field staff",
    "accounts/settings/": "one's own settings",
    "accounts/verify/": "the second step of signing in",
    "accounts/two-factor/": "one's own second factor",
    "accounts/two-factor/app/": "one's own authenticator app",
    "accounts/password/": "one's own password",
    "accounts/passkeys/registration/begin/": "adding one's own passkey",
    "accounts/passkeys/registration/complete/": "adding one's own passkey",
}
API_PREFIX = "api/v1/"
# Path parameters that address a participant's record, or a record that carries one.
PARTICIPANT_RECORDS = {
    "participant_id",
    "encounter_id",
    "report_id",
    "referral_id",
    "attendee_id",
    "session_id",
    "request_id",
}


def routes(patterns=None, prefix=""):
    """(route, view) for every route of the project but the Django admin's."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace not in SKIPPED_NAMESPACES:
                yield from routes(pattern.url_patterns, prefix + route_of(pattern))
        else:
            assert isinstance(pattern, URLPattern)
            yield prefix + route_of(pattern), pattern.callback


def declared():
    """(route, roles) of every route that states its roles."""
    for route, view in routes():
        roles = getattr(view, "allowed_roles", None)
        if roles is not None:
            yield route, set(roles)


def undeclared_routes():
    return [
        route
        for route, view in routes()
        if not hasattr(view, "allowed_roles")
        and route not in PUBLIC
        and route not in SIGNED_IN
        and not route.startswith(API_PREFIX)
    ]


def test_every_route_states_who_may_use_it():
    undeclared = undeclared_routes()
    assert not undeclared, f"Say who may use these (@role_required): {undeclared}"


@pytest.mark.urls("haven.core.tests.leaky_urls")
def test_a_new_view_without_roles_fails_the_sweep():
    assert undeclared_routes() == ["leaky/<int:participant_id>/", "mystery/<int:gadget_id>/"]


def test_the_lists_of_open_routes_name_only_routes_that_exist():
    existing = {route for route, _view in routes()}
    assert set(PUBLIC) <= existing
    assert set(SIGNED_IN) <= existing


def test_no_page_of_a_participants_record_is_open_to_analysts_or_admins():
    for route, roles in declared():
        if any(f":{name}>" in route for name in PARTICIPANT_RECORDS):
            assert not roles & {ANALYST, ADMIN}, route


@pytest.fixture
def world(personas, downtown, eastside, catalog):
    return World(personas, downtown, eastside, catalog)


def refused(client, method, path):
    """The answer to `method` on `path`, rolled back so that nothing it wrote stays."""
    with transaction.atomic():
        response = getattr(client, method)(path)
        transaction.set_rollback(True)
    return response


@pytest.mark.parametrize("role", [role for role in ROLES if role != "anonymous"])
def test_every_role_a_route_does_not_name_is_refused(role, personas, world, login):
    user = personas[role]
    let_in = []
    asked = 0
    for route, roles in declared():
        if user.role in roles:
            continue
        for path in concrete_paths(route, world.ids()):
            for method in ("get", "post"):
                status = refused(login(user), method, path).status_code
                asked += 1
                # 405: the method is refused before the role is looked at.
                if status not in (403, 405):
                    let_in.append(f"{method.upper()} {path}: {status}")
    assert asked > 50
    assert not let_in, "\n".join(let_in)


def test_a_visitor_not_signed_in_is_sent_to_sign_in_everywhere_but_the_open_routes(world):
    let_in = []
    for route, view in routes():
        if route in PUBLIC or route.startswith(API_PREFIX):
            continue
        for path in concrete_paths(route, world.ids()):
            for method in ("get", "post"):
                response = refused(Client(), method, path)
                if response.status_code == 405:
                    continue
                # The passkey endpoints answer JSON: 403 rather than a redirect.
                if response.status_code in (401, 403):
                    continue
                if response.status_code != 302 or "/accounts/login/" not in response["Location"]:
                    let_in.append(f"{method.upper()} {path}: {response.status_code}")
    assert not let_in, "\n".join(let_in)
