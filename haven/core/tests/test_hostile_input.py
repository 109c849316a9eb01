"""Every URL, as staff, with hostile query strings: a clear 4xx or a page, never a 500.

The pages and their ids come from the audit sweep (the URL resolver, so a page
added tomorrow is tried tomorrow). Each query string sets every parameter a
Haven page or form reads to the same hostile value: SQL, a NUL (which
PostgreSQL refuses outright), a number too large for any column, a date that
does not exist.
"""

from urllib.parse import urlencode

import pytest
from django.urls import get_resolver

from haven.core.models import AuditEntry
from haven.core.tests.test_audit_sweep import World, concrete_paths, walk

# Every query parameter a page reads (request.GET and the GET forms' fields).
PARAMETERS = [
    "action", "at", "by", "contact_type", "days", "duplicate_code", "end", "format",
    "keeper_code", "language", "languages", "lat", "location", "lon", "mapping",
    "miles", "need", "needs", "next", "number", "open_now", "page", "participant",
    "payments", "period", "place", "q", "reason", "resources", "since", "site", "staff",
    "start", "suppress", "until", "user", "walk_in", "weeks", "year",
]  # fmt: skip
HOSTILE_VALUES = ["1 OR 1=1", "\x00", "99999999999999999999999", "2026-13-45"]


@pytest.fixture
def world(personas, downtown, eastside, catalog):
    return World(personas, downtown, eastside, catalog)


@pytest.mark.parametrize("role", ["specialist", "manager", "admin"])
def test_no_query_string_makes_a_page_fail(role, personas, world, login):
    client = login(personas[role])
    client.raise_request_exception = False
    failures = []
    for route in walk(get_resolver().url_patterns):
        for path in concrete_paths(route, world.ids()):
            for value in HOSTILE_VALUES:
                query = urlencode({name: value for name in PARAMETERS})
                response = client.get(f"{path}?{query}")
                if response.status_code >= 500:
                    failures.append(f"{path} with {value!r}: {response.status_code}")
    assert not failures, "\n".join(failures)


def test_a_nul_in_a_form_is_refused_with_a_message(login, sam):
    response = login(sam).post("/participants/new/", {"alias": "Ro\x00sa"})
    assert response.status_code == 400
    assert "NUL character" in response.content.decode()


@pytest.mark.parametrize("role", ["supervisor", "manager", "analyst", "admin"])
def test_every_download_is_audited_as_an_export(role, personas, world, login):
    """A file that leaves Haven (Content-Disposition: attachment) names who took it."""
    user = personas[role]
    client = login(user)
    downloads = []
    queries = {"/reports/": "?format=csv&period=quarter&year=2026&number=1"}
    for route in walk(get_resolver().url_patterns):
        for path in concrete_paths(route, world.ids()):
            query = next((q for prefix, q in queries.items() if path.startswith(prefix)), "")
            last = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
            response = client.get(path + query)
            if not response.get("Content-Disposition", "").startswith("attachment"):
                continue
            downloads.append(path)
            exported = AuditEntry.objects.filter(
                id__gt=last, user=user, action=AuditEntry.Action.EXPORT
            )
            assert exported.exists(), f"{path} was downloaded without an EXPORT entry"
    assert downloads, "the sweep found nothing to download"
