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
