"""The consent endpoints: the same rules as the consent page."""

import pytest

from haven.consents.models import Consent

from .conftest import PART2_ELEMENTS


def url(participant, tail=""):
    return f"/api/v1/participants/{participant.pk}/consents{tail}"


def post(client, path, body):
    return client.post(path, body, content_type="application/json")


SPOKEN_SHARING = {"kind": "sharing", "decision": "given", "how": "spoken", "language": "es"}


def test_a_specialist_records_lists_and_withdraws_a_consent(login, sam, participant, clinic):
    client = login(sam)
    response = post(client, url(participant), {**SPOKEN_SHARING, "provider": clinic.pk})
    assert response.status_code == 201, response.content
    [recorded] = response.json()
    assert (recorded["kind"], recorded["provider"], recorded["in_force"]) == (
        "sharing",
        clinic.pk,
        True,
    )
    assert client.get(url(participant)).json() == response.json()
    withdrawn = post(client, url(participant, "/withdraw"), {"consent": recorded["id"]})
    assert withdrawn.status_code == 200
    assert withdrawn.json()[0]["in_force"] is False
    again = post(client, url(participant, "/withdraw"), {"consent": recorded["id"]})
    assert again.status_code == 400
    assert "already withdrawn" in again.json()["detail"]


def test_part2_mode_names_the_missing_elements(login, sam, participant, clinic, settings):
    settings.HAVEN_PART2_MODE = True
    client = login(sam)
    response = post(client, url(participant), {**SPOKEN_SHARING, "provider": clinic.pk})
    assert response.status_code == 400
    fields = {error["field"] for error in response.json()["errors"]}
    assert {"discloser", "information", "purpose", "how"} <= fields
    assert not Consent.objects.exists()
    complete = {**SPOKEN_SHARING, **PART2_ELEMENTS, "provider": clinic.pk}
    assert post(client, url(participant), complete).status_code == 201


@pytest.mark.parametrize("role", ["analyst", "admin"])
def test_analysts_and_admins_are_refused(login, personas, participant, role):
    client = login(personas[role])
    assert client.get(url(participant)).status_code == 403
    assert post(client, url(participant), SPOKEN_SHARING).status_code == 403


def test_another_sites_specialist_is_answered_as_for_an_id_nobody_has_in_site_scope(
    login, olga, participant, settings
):
    settings.HAVEN_RECORD_SCOPE = "site"
    client = login(olga)
    # Not found, as an id nobody has: a 403 confirmed that the id was someone's.
    assert client.get(url(participant)).status_code == 404
    assert post(client, url(participant), SPOKEN_SHARING).status_code == 404
    assert not Consent.objects.exists()
