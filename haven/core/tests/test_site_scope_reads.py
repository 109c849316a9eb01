"""Record scope "site": a read by card code or by id finds only my sites' participants.

The reads' half of test_site_scope_writes.py. Sunny is known only Downtown
(enrolled there by Sam); Olga works only Eastside. Olga types Sunny's card
code into the search box and the API lookup (with her phone's token and with
her session), then a valid code that nobody has, and compares the two answers:
once the code she typed is taken out they must be the same to the byte, asked
with the same statements, so that neither their text, their status nor their
time confirms that Sunny's code is someone's. She does the same with Sunny's
id and an id nobody has in the address of every page and endpoint that takes
a participant's id. Nothing is written for Sunny. Sam, who works Downtown,
still finds him, and so does Olga in program scope.
"""

import json
import re

import pytest
from django.db.models import Max
from django.urls import get_resolver, reverse

from haven.api.tests.client import api_client
from haven.core.models import AuditEntry
from haven.participants import codes
from haven.participants.actions import do_merge_participants
from haven.participants.models import Participant
from haven.resources.actions import do_save_guide, do_save_resource
from haven.resources.models import Guide, Resource

from .test_audit_sweep import walk
from .test_site_scope_writes import page, statements, without_numbers


def assert_read_as_nobodys_code(send, sunny, nobodys_code, status):
    """Olga sends Sunny's code, then nobody's: the same answer, the same statements."""
    send(codes.format_code(nobodys_code))  # a session's first request reads more
    for_sunny = send(sunny.display_code)
    for_nobody = send(codes.format_code(nobodys_code))
    assert for_sunny.status_code == status, for_sunny.content
    assert page(for_sunny, sunny.card_code) == page(for_nobody, nobodys_code)
    assert "Sunny" not in for_sunny.content.decode()
    assert statements(send, sunny.display_code) == statements(send, codes.format_code(nobodys_code))
    # A read refused shows nothing, so it is no read of Sunny's in the audit log.
    assert not AuditEntry.objects.filter(participant=sunny).exists()
    return for_sunny


def search(client, text):
    return client.post(reverse("participants:find"), {"q": text})


def test_in_site_scope_the_search_box_answers_as_for_a_code_nobody_has(
    site_scope, login, olga, participant, nobodys_code
):
    client = login(olga)
    send = lambda code: search(client, code)  # noqa: E731
    answer = assert_read_as_nobodys_code(send, participant, nobodys_code, status=200)
    assert answer.context["form"].errors == {}
    assert answer.context["matches"] == []
    assert "Nobody matches. Check the spelling, or enroll them." in answer.content.decode()


def lookup(client, code):
    return client.post(
        "/api/v1/participants/lookup", {"card_code": code}, content_type="application/json"
    )


@pytest.mark.parametrize("signed_in_with", ["token", "session"])
def test_in_site_scope_the_api_lookup_answers_as_for_a_code_nobody_has(
    signed_in_with, site_scope, login, olga, participant, nobodys_code
):
    client = api_client(olga) if signed_in_with == "token" else login(olga)
    send = lambda code: lookup(client, code)  # noqa: E731
    answer = assert_read_as_nobodys_code(send, participant, nobodys_code, status=404)
    assert (answer.json()["field"], answer.json()["detail"]) == (
        "card_code",
        f"No participant has the card code {participant.display_code}.",
    )


def test_in_site_scope_staff_of_the_participants_site_find_them_by_card_code(
    site_scope, login, sam, participant
):
    client = login(sam)
    found = search(client, participant.display_code)
    assert found.status_code == 302
    assert found.url == reverse("participants:detail", args=[participant.pk])
    answer = lookup(api_client(sam), participant.display_code)
    assert answer.status_code == 200
    assert answer.json()["alias"] == "Sunny"


def test_in_program_scope_staff_of_other_sites_find_a_participant_by_card_code(
    login, olga, participant
):
    found = search(login(olga), participant.display_code)
    assert found.status_code == 302
    answer = lookup(api_client(olga), participant.display_code)
    assert answer.status_code == 200
    assert answer.json()["alias"] == "Sunny"


def test_in_site_scope_a_person_mine_through_a_linked_record_is_found_by_alias_and_uic(
    site_scope, login, sam, olga, sue, downtown, eastside
):
    # Zed was enrolled Downtown; his duplicate, enrolled at Olga's site, was
    # linked to him. His card code found him for Olga; his alias and UIC did not.
    zed = Participant.objects.create(
        alias="Zedekiah", uic="ZEDUIC7788", created_by=sam, enrolled_site=downtown
    )
    duplicate = Participant.objects.create(created_by=olga, enrolled_site=eastside)
    do_merge_participants(duplicate=duplicate, keeper=zed, by=sue)
    stranger = Participant.objects.create(alias="Zedna", created_by=sam, enrolled_site=downtown)
    client = login(olga)
    by_code = search(client, zed.display_code)
    assert by_code.status_code == 302
    assert by_code.url == reverse("participants:detail", args=[zed.pk])
    for typed in ("zed", "ZEDUIC7788"):
        found = search(client, typed)
        assert found.context["matches"] == [zed], typed
    assert stranger not in search(client, "zed").context["matches"]
    # Read as any read of him; the stranger's name was never shown.
    assert AuditEntry.objects.filter(participant=zed, user=olga, action="view").exists()
    assert not AuditEntry.objects.filter(participant=stranger).exists()


# By id ----------------------------------------------------------------------------


def routes_by_participant_id():
    """Every route with a participant's id in its address (the API's too), from the resolver:
    a page added tomorrow is played tomorrow."""
    routes = {route for route in walk(get_resolver().url_patterns) if "participant_id>" in route}
    assert len(routes) >= 10, routes
    return sorted(routes)


# A body each endpoint of the API would take, so that the id alone decides the answer.
API_BODIES = {
    "consents": {"kind": "sharing", "decision": "given", "how": "spoken", "language": "en"},
    "withdraw": {"consent": 1},
}


@pytest.fixture
def nobodys_id(participant):
    return Participant.objects.aggregate(highest=Max("pk"))["highest"] + 1000


@pytest.fixture
def other_ids(adam, max_manager):
    """The other ids in those addresses: a resource and a guide that exist."""
    resource = do_save_resource(
        Resource(name="Desert Bupe Clinic", zip_code="85281"),
        by=adam,
        needs=["counseling"],
        languages=["en"],
        spans=[],
    )
    guide = do_save_guide(
        Guide(), by=max_manager, title="Medicaid", language="en", summary="", steps=["Apply"]
    )
    return {"resource_id": resource.pk, "guide_id": guide.pk}


def by_id(client, route, method, participant_id, other_ids):
    path = re.sub(r"<(?:int:)?participant_id>", str(participant_id), route)
    for name, value in other_ids.items():
        path = path.replace(f"<int:{name}>", str(value))
    if method == "get":
        return client.get(f"/{path}")
    if route.startswith("api/"):
        body = API_BODIES[path.rsplit("/", 1)[-1]]
        return client.post(f"/{path}", json.dumps(body), content_type="application/json")
    return client.post(f"/{path}", {})


@pytest.mark.parametrize("route", routes_by_participant_id())
@pytest.mark.parametrize("method", ["get", "post"])
def test_in_site_scope_an_id_out_of_scope_is_answered_as_an_id_nobody_has(
    route, method, site_scope, login, olga, participant, nobodys_id, other_ids
):
    client = api_client(olga) if route.startswith("api/") else login(olga)
    send = lambda participant_id: by_id(client, route, method, participant_id, other_ids)  # noqa: E731
    send(nobodys_id)  # a session's first request reads more
    for_sunny, for_nobody = send(participant.pk), send(nobodys_id)
    # Not 403, which confirmed that the id was someone's at another site (405: a
    # route that takes no such method, whoever's id is in it).
    assert for_nobody.status_code in (404, 405), for_nobody.content
    assert (for_sunny.status_code, for_sunny.content) == (
        for_nobody.status_code,
        for_nobody.content,
    )
    assert "Sunny" not in for_sunny.content.decode()
    assert without_numbers(send, participant.pk) == without_numbers(send, nobodys_id)
    # A read refused shows nothing, so it is no read of Sunny's in the audit log.
    assert not AuditEntry.objects.filter(participant=participant).exists()


def test_in_site_scope_staff_of_the_participants_site_open_them_by_id(
    site_scope, login, sam, participant
):
    response = login(sam).get(reverse("participants:detail", args=[participant.pk]))
    assert response.status_code == 200
    assert "Sunny" in response.content.decode()
