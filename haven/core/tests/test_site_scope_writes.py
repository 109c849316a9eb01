"""Record scope "site": a write that names someone by card code finds only my sites' participants.

Sunny is known only Downtown (enrolled there by Sam); Olga works only
Eastside. Olga plays the attacker: she types Sunny's card code into every form
and endpoint that writes something for the person a card code names (a
contact, a referral, a training attendee, a duplicate link; the API and the
offline sync), then a valid code that nobody has, and compares the two
answers. Once the code she typed is taken out of them they must be the same,
to the byte, so that the answer does not confirm that Sunny's code is
someone's; and neither may write anything. In program scope (the default)
Olga's writes for Sunny go through as before.
"""

import re
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from conftest import make_user
from haven.api.tests.client import api_client
from haven.core.models import AuditEntry
from haven.outreach.actions import EncounterData, do_record_encounter
from haven.outreach.models import Encounter
from haven.participants import codes
from haven.participants.models import Participant
from haven.resources.actions import do_make_referral, do_save_resource
from haven.resources.models import Referral, Resource
from haven.training.actions import SessionData, do_record_session
from haven.training.models import Attendee


@pytest.fixture
def eastside_session(olga, eastside):
    """A session at Eastside, where Olga lists attendees."""
    data = SessionData(
        client_uuid=uuid.uuid4(),
        topic="overdose_response",
        held_on=timezone.localdate(),
        audience="community",
        headcount=3,
        site=eastside,
    )
    return do_record_session(data, by=olga)[0]


@pytest.fixture
def resource(adam):
    return do_save_resource(
        Resource(name="Desert Bupe Clinic", zip_code="85281"),
        by=adam,
        needs=["counseling"],
        languages=["en"],
        spans=[],
    )


@pytest.fixture
def esme(eastside):
    """A supervisor of Eastside: supervisors link duplicates."""
    return make_user("esme", "supervisor", [eastside])


@pytest.fixture
def eastside_only(olga, eastside):
    """A participant of Olga's site, for the other half of a duplicate link."""
    return Participant.objects.create(alias="Ezra", created_by=olga, enrolled_site=eastside)


def written():
    """Everything a write for someone leaves behind."""
    return (
        Encounter.objects.count(),
        Referral.objects.count(),
        Attendee.objects.count(),
        Participant.objects.filter(merged_into__isnull=False).count(),
        AuditEntry.objects.exclude(action=AuditEntry.Action.VIEW).count(),
    )


def without_the_code(text, code):
    """The answer with the card code typed taken out, however it was written back."""
    for written_as in (codes.format_code(code), code):
        text = text.replace(written_as, "<code>")
    # What differs between any two pages: the CSRF token and the script nonce.
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "csrf", text)
    return re.sub(r'nonce="[^"]+"', "nonce", text)


def page(response, code):
    return response.status_code, without_the_code(response.content.decode(), code)


def assert_answered_as_nobodys_code(send, sunny, nobodys_code):
    """Olga sends Sunny's code, then nobody's: the same answer, and nothing written."""
    before = written()
    for_sunny = send(codes.format_code(sunny.card_code))
    for_nobody = send(codes.format_code(nobodys_code))
    assert for_sunny.status_code in (400, 404), for_sunny.content
    assert page(for_sunny, sunny.card_code) == page(for_nobody, nobodys_code)
    assert "Sunny" not in for_sunny.content.decode()
    assert written() == before


# The web forms -------------------------------------------------------------------


def quick_log(client, eastside, who, client_uuid, field="card_code"):
    """The quick log for whoever the card code `who` names (or, with
    field="participant", the recent participant chosen: `who` is an id)."""
    return client.post(
        reverse("outreach:quick_log"),
        {
            "client_uuid": str(client_uuid),
            "site": eastside.pk,
            "contact_type": "mobile",
            field: who,
        },
    )


def test_in_site_scope_the_quick_log_answers_as_for_a_code_nobody_has(
    site_scope, login, olga, eastside, participant, nobodys_code
):
    client, client_uuid = login(olga), uuid.uuid4()
    send = lambda code: quick_log(client, eastside, code, client_uuid)  # noqa: E731
    assert_answered_as_nobodys_code(send, participant, nobodys_code)
    form = send(participant.display_code).context["form"]
    assert form.errors == {
        "card_code": [f"No participant has the card code {participant.display_code}."]
    }


def statements(send, code):
    """The statements the answer to `code` asked, with every quoted value taken out
    (the code, and the times a session is checked at)."""
    with CaptureQueriesContext(connection) as captured:
        send(code)
    return [re.sub(r"'[^']*'", "?", query["sql"]) for query in captured.captured_queries]


def without_numbers(send, sent):
    """The statements the answer to `sent` (an id or a code) asked, with every quoted
    value and number taken out (what was sent, the times a session is checked at,
    the names of savepoints)."""
    with CaptureQueriesContext(connection) as captured:
        send(sent)
    return [
        re.sub(r"\d+", "N", re.sub(r"'[^']*'", "?", query["sql"]))
        for query in captured.captured_queries
    ]


def test_in_site_scope_the_quick_log_asks_the_same_statements_as_for_a_code_nobody_has(
    site_scope, login, olga, eastside, participant, nobodys_code
):
    # Olga times the answers: reading Sunny's record and then checking his scope
    # took more statements than finding no record for nobody's code.
    client, client_uuid = login(olga), uuid.uuid4()
    send = lambda code: quick_log(client, eastside, code, client_uuid)  # noqa: E731
    send(codes.format_code(nobodys_code))  # a session's first request reads more
    for_sunny = statements(send, participant.display_code)
    for_nobody = statements(send, codes.format_code(nobodys_code))
    assert for_sunny == for_nobody


def test_in_program_scope_the_quick_log_finds_another_sites_participant(
    login, olga, eastside, participant
):
    response = quick_log(login(olga), eastside, participant.display_code, uuid.uuid4())
    assert response.status_code == 302
    assert Encounter.objects.get().participant == participant


def add_attendee(client, session, card_code, client_uuid):
    return client.post(
        reverse("training:attendee_add", args=[session.pk]),
        {"client_uuid": str(client_uuid), "card_code": card_code},
    )


def test_in_site_scope_the_attendee_form_answers_as_for_a_code_nobody_has(
    site_scope, login, olga, eastside_session, participant, nobodys_code
):
    client, client_uuid = login(olga), uuid.uuid4()
    send = lambda code: add_attendee(client, eastside_session, code, client_uuid)  # noqa: E731
    assert_answered_as_nobodys_code(send, participant, nobodys_code)
    form = send(participant.display_code).context["attendee_form"]
    assert form.errors == {"card_code": ["No participant has this card code."]}
    # The session's page still opens for her: nobody she may not see was listed.
    assert client.get(reverse("training:session", args=[eastside_session.pk])).status_code == 200


def test_in_program_scope_the_attendee_form_lists_another_sites_participant(
    login, olga, eastside_session, participant
):
    response = add_attendee(login(olga), eastside_session, participant.display_code, uuid.uuid4())
    assert response.status_code == 302
    assert Attendee.objects.get(session=eastside_session).participant == participant


def link(client, duplicate_code, keeper_code, *, confirm=False):
    data = {"duplicate_code": duplicate_code, "keeper_code": keeper_code}
    if confirm:
        data["confirm"] = "1"
    return client.post(reverse("participants:merge"), data)


@pytest.mark.parametrize("sunny_is", ["duplicate", "keeper"])
@pytest.mark.parametrize("confirm", [False, True], ids=["preview", "confirm"])
def test_in_site_scope_the_duplicate_link_answers_as_for_a_code_nobody_has(
    sunny_is, confirm, site_scope, login, esme, participant, eastside_only, nobodys_code
):
    client = login(esme)
    mine = eastside_only.display_code

    def send(code):
        pair = (code, mine) if sunny_is == "duplicate" else (mine, code)
        return link(client, *pair, confirm=confirm)

    assert_answered_as_nobodys_code(send, participant, nobodys_code)
    field = f"{sunny_is}_code"
    assert send(participant.display_code).context["form"].errors == {
        field: [f"No participant has the card code {participant.display_code}."]
    }


def test_in_program_scope_the_duplicate_link_takes_another_sites_participant(
    login, esme, participant, eastside_only
):
    response = link(
        login(esme),
        eastside_only.display_code,
        participant.display_code,
        confirm=True,
    )
    assert response.status_code == 302
    eastside_only.refresh_from_db()
    assert eastside_only.merged_into == participant


# The API and the offline sync ----------------------------------------------------


def contact_body(eastside, card_code, client_uuid):
    return {
        "client_uuid": str(client_uuid),
        "site": eastside.pk,
        "contact_type": "mobile",
        "card_code": card_code,
    }


def referral_body(eastside, resource, card_code, client_uuid):
    return {
        "client_uuid": str(client_uuid),
        "card_code": card_code,
        "resource": resource.pk,
        "need": "counseling",
        "site": eastside.pk,
    }


def attendee_body(session, card_code, client_uuid):
    # With a headcount, that must not be raised either when the attendee is refused.
    return {
        "client_uuid": str(client_uuid),
        "session": session.pk,
        "card_code": card_code,
        "headcount": 40,
    }


@pytest.fixture
def bodies(eastside, resource, eastside_session):
    """{kind: (endpoint, body for a card code and a client UUID)}."""
    return {
        "contact": (
            "/api/v1/contacts",
            lambda code, client_uuid: contact_body(eastside, code, client_uuid),
        ),
        "referral": (
            "/api/v1/referrals",
            lambda code, client_uuid: referral_body(eastside, resource, code, client_uuid),
        ),
        "training_attendee": (
            "/api/v1/training/attendees",
            lambda code, client_uuid: attendee_body(eastside_session, code, client_uuid),
        ),
    }


KINDS = ["contact", "referral", "training_attendee"]


@pytest.mark.parametrize("kind", KINDS)
def test_in_site_scope_the_api_answers_as_for_a_code_nobody_has(
    kind, bodies, site_scope, olga, participant, nobodys_code, eastside_session
):
    client, client_uuid = api_client(olga), uuid.uuid4()
    endpoint, body = bodies[kind]
    send = lambda code: client.post_json(endpoint, body(code, client_uuid))  # noqa: E731
    assert_answered_as_nobodys_code(send, participant, nobodys_code)
    answer = send(participant.display_code)
    assert answer.status_code == 400
    assert answer.json()["field"] == "card_code"
    assert answer.json()["detail"] == (
        f"No participant has the card code {participant.display_code}."
    )
    eastside_session.refresh_from_db()
    assert eastside_session.headcount == 3


@pytest.mark.parametrize("kind", KINDS)
def test_in_site_scope_the_sync_answers_as_for_a_code_nobody_has(
    kind, bodies, site_scope, olga, participant, nobodys_code, eastside_session
):
    client, client_uuid = api_client(olga), uuid.uuid4()
    _endpoint, body = bodies[kind]

    def send(code):
        record = {"kind": kind, **body(code, client_uuid)}
        return client.post_json("/api/v1/sync", {"records": [record]})

    assert_answered_as_nobodys_code_in_a_batch(send, participant, nobodys_code)
    (result,) = send(participant.display_code).json()["results"]
    assert (result["status"], result["field"]) == (400, "card_code")
    eastside_session.refresh_from_db()
    assert eastside_session.headcount == 3


@pytest.mark.parametrize("kind", KINDS)
def test_in_site_scope_the_sync_asks_the_same_statements_as_for_a_code_nobody_has(
    kind, bodies, site_scope, olga, participant, nobodys_code
):
    # The batch's contacts read their participants at once, and then asked the
    # scope of each one found: one statement more for Sunny than for nobody.
    client, client_uuid = api_client(olga), uuid.uuid4()
    _endpoint, body = bodies[kind]

    def send(code):
        record = {"kind": kind, **body(code, client_uuid)}
        return client.post_json("/api/v1/sync", {"records": [record]})

    send(codes.format_code(nobodys_code))  # a session's first request reads more
    for_sunny = without_numbers(send, participant.display_code)
    for_nobody = without_numbers(send, codes.format_code(nobodys_code))
    assert for_sunny == for_nobody


def assert_answered_as_nobodys_code_in_a_batch(send, sunny, nobodys_code):
    """The batch is answered 200; each record's result is what must match."""
    before = written()
    for_sunny = send(codes.format_code(sunny.card_code))
    for_nobody = send(codes.format_code(nobodys_code))
    assert for_sunny.status_code == for_nobody.status_code == 200
    assert for_sunny.json()["results"][0]["status"] == 400
    assert page(for_sunny, sunny.card_code) == page(for_nobody, nobodys_code)
    assert written() == before


@pytest.mark.parametrize("kind", KINDS)
def test_in_program_scope_the_api_and_the_sync_write_for_another_sites_participant(
    kind, bodies, olga, participant
):
    client = api_client(olga)
    endpoint, body = bodies[kind]
    answer = client.post_json(endpoint, body(participant.display_code, uuid.uuid4()))
    assert answer.status_code == 201, answer.content
    record = {"kind": kind, **body(participant.display_code, uuid.uuid4())}
    if kind == "training_attendee":
        # Listed once per session: the sync lists Sunny at a second one.
        record["session"] = do_record_session(
            SessionData(
                client_uuid=uuid.uuid4(),
                topic="overdose_response",
                held_on=timezone.localdate(),
                audience="community",
                headcount=0,
                place="Library",
            ),
            by=olga,
        )[0].pk
    (result,) = client.post_json("/api/v1/sync", {"records": [record]}).json()["results"]
    assert result["status"] == 201, result
    made = {
        "contact": Encounter.objects.filter(participant=participant, staff=olga),
        "referral": Referral.objects.filter(participant=participant, made_by=olga),
        "training_attendee": Attendee.objects.filter(participant=participant),
    }[kind]
    assert made.count() == 2


# By id -------------------------------------------------------------------------


@pytest.fixture
def nobodys_id(participant):
    return Participant.objects.order_by("-pk").values_list("pk", flat=True)[0] + 1000


def assert_answered_as_nobodys_id(send, sunny, nobodys_id):
    """Olga sends Sunny's id, then nobody's: the same answer, the same statements,
    and nothing written."""
    before = written()
    send(nobodys_id)  # a session's first request reads more
    for_sunny, for_nobody = send(sunny.pk), send(nobodys_id)
    assert for_sunny.status_code in (200, 400), for_sunny.content
    assert page(for_sunny, sunny.card_code) == page(for_nobody, sunny.card_code)
    assert "Sunny" not in for_sunny.content.decode()
    assert without_numbers(send, sunny.pk) == without_numbers(send, nobodys_id)
    assert written() == before
    return for_sunny


def test_in_site_scope_the_quick_log_answers_as_for_an_id_nobody_has(
    site_scope, login, olga, eastside, participant, nobodys_id
):
    client, client_uuid = login(olga), uuid.uuid4()
    send = lambda participant_id: quick_log(  # noqa: E731
        client, eastside, participant_id, client_uuid, field="participant"
    )
    answer = assert_answered_as_nobodys_id(send, participant, nobodys_id)
    assert answer.status_code == 400
    assert answer.context["form"].errors["participant"] == [
        "Select a valid choice. That choice is not one of the available choices."
    ]


def by_id_bodies(eastside, resource):
    """{kind: (endpoint, body for a participant id and a client UUID)}: what the API
    and the sync take by a participant's id."""
    return {
        "contact": (
            "/api/v1/contacts",
            lambda participant_id, client_uuid: {
                "client_uuid": str(client_uuid),
                "site": eastside.pk,
                "contact_type": "mobile",
                "participant": participant_id,
            },
        ),
        "referral": (
            "/api/v1/referrals",
            lambda participant_id, client_uuid: {
                "client_uuid": str(client_uuid),
                "participant": participant_id,
                "resource": resource.pk,
                "need": "counseling",
                "site": eastside.pk,
            },
        ),
    }


@pytest.mark.parametrize("kind", ["contact", "referral"])
def test_in_site_scope_the_api_answers_as_for_an_id_nobody_has(
    kind, site_scope, olga, eastside, resource, participant, nobodys_id
):
    client, client_uuid = api_client(olga), uuid.uuid4()
    endpoint, body = by_id_bodies(eastside, resource)[kind]
    send = lambda participant_id: client.post_json(endpoint, body(participant_id, client_uuid))  # noqa: E731
    answer = assert_answered_as_nobodys_id(send, participant, nobodys_id)
    assert answer.status_code == 400
    assert (answer.json()["field"], answer.json()["detail"]) == (
        "participant",
        "No participant has this id.",
    )


@pytest.mark.parametrize("kind", ["contact", "referral"])
def test_in_site_scope_the_sync_answers_as_for_an_id_nobody_has(
    kind, site_scope, olga, eastside, resource, participant, nobodys_id
):
    client, client_uuid = api_client(olga), uuid.uuid4()
    _endpoint, body = by_id_bodies(eastside, resource)[kind]

    def send(participant_id):
        record = {"kind": kind, **body(participant_id, client_uuid)}
        return client.post_json("/api/v1/sync", {"records": [record]})

    answer = assert_answered_as_nobodys_id(send, participant, nobodys_id)
    (result,) = answer.json()["results"]
    assert (result["status"], result["field"], result["detail"]) == (
        400,
        "participant",
        "No participant has this id.",
    )


@pytest.mark.parametrize("kind", ["contact", "referral"])
def test_in_program_scope_the_api_writes_by_id_for_another_sites_participant(
    kind, olga, eastside, resource, participant
):
    endpoint, body = by_id_bodies(eastside, resource)[kind]
    answer = api_client(olga).post_json(endpoint, body(participant.pk, uuid.uuid4()))
    assert answer.status_code == 201, answer.content


def test_in_site_scope_the_actions_refuse_as_for_an_id_nobody_has(
    site_scope, olga, eastside, resource, participant
):
    # The forms and the API find no one out of scope; the actions, called by
    # anything else, fail closed with the same words.
    contact = EncounterData(
        client_uuid=uuid.uuid4(), site=eastside, contact_type="mobile", participant=participant
    )
    with pytest.raises(ValidationError) as refused:
        do_record_encounter(contact, staff=olga)
    assert refused.value.message_dict == {"participant": ["No participant has this id."]}
    with pytest.raises(ValidationError) as refused:
        do_make_referral(
            participant=participant, resource=resource, need="counseling", by=olga, site=eastside
        )
    assert refused.value.message_dict == {"participant": ["No participant has this id."]}
    assert not Encounter.objects.exists() and not Referral.objects.exists()
