"""The directory searched for a participant: sent by POST, never in an address.

A participant's needs and the phone's location, beside the participant's
record id, would otherwise stay in the browser's history of a shared office
computer: which participant needed what, and where.
"""

import re

import pytest
from django.test import Client
from django.urls import reverse

from haven.core.models import AuditEntry

# What a search for a participant says about them: needs and a place.
QUERY = {"needs": ["buprenorphine", "hiv_care"], "lat": "33.42301", "lon": "-111.93502"}
SECRETS = ("buprenorphine", "hiv_care", "33.42301", "111.93502")


def search_form(html):
    """The search form of a page, from its opening tag to its end."""
    return re.search(r'<form [^>]*id="resource-search".*?</form>', html, re.S).group(0)


def results_section(html):
    return re.search(r'<section id="resource-results".*?</section>', html, re.S).group(0)


def search_url(participant):
    return reverse("resources:search_for_participant", args=[participant.pk])


def reads_of(participant):
    return AuditEntry.objects.filter(
        participant=participant,
        action=AuditEntry.Action.VIEW,
        page="resource search for a participant",
    )


def test_a_search_for_a_participant_is_answered_by_post_with_no_store(
    sam, login, participant, bupe_clinic, night_shelter
):
    response = login(sam).post(search_url(participant), QUERY)
    assert response.status_code == 200
    assert b"1 result" in response.content
    assert b"Desert Bupe Clinic" in response.content
    assert b"near your location" in response.content
    assert b"Night Shelter" not in response.content
    assert "no-store" in response["Cache-Control"]
    # The read of the participant is audited, as it was for the GET.
    assert reads_of(participant).filter(user=sam).count() == 1
    # Each result still offers a Refer for this participant: a form that posts the need it
    # matched to the bare address of the referral form.
    refer_url = reverse("resources:refer", args=[participant.pk, bupe_clinic.pk])
    text = response.content.decode()
    (refer,) = re.findall(r'<form method="post" action="([^"]+)" class="refer"', text)
    assert refer == refer_url
    assert '<input type="hidden" name="need" value="buprenorphine">' in text
    assert "need=" not in text


def test_the_form_on_the_participant_page_is_sent_by_post_with_its_token(
    sam, participant, bupe_clinic
):
    client = Client(enforce_csrf_checks=True)
    client.force_login(sam)
    page = client.get(search_url(participant)).content.decode()
    form = re.search(r'<form method="post" action="([^"]+)"[^>]*id="resource-search"', page)
    assert form, "the participant's search form is not a POST form"
    # The bare address, whatever the page was opened with.
    assert form.group(1) == search_url(participant)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = client.post(form.group(1), {**QUERY, "csrfmiddlewaretoken": token})
    assert response.status_code == 200
    assert b"Desert Bupe Clinic" in response.content
    assert client.post(form.group(1), QUERY).status_code == 403


def test_the_plain_directory_is_still_a_get_search(sam, login, bupe_clinic):
    response = login(sam).get(reverse("resources:directory"), {"needs": "buprenorphine"})
    form = search_form(response.content.decode())
    assert form.startswith('<form method="get" class="resource-search" id="resource-search">')
    assert "csrfmiddlewaretoken" not in form
    assert b'data-query="needs=buprenorphine"' in response.content
    assert b"Desert Bupe Clinic" in response.content


def test_an_old_address_with_a_query_shows_the_empty_form_and_runs_no_search(
    sam, login, participant, bupe_clinic
):
    """An old bookmark or a page from history: no search, no value written back."""
    response = login(sam).get(search_url(participant), QUERY)
    assert response.status_code == 200
    assert response.context["results"] is None
    text = response.content.decode()
    assert "Desert Bupe Clinic" not in text
    section = results_section(text)
    assert section[section.index(">") + 1 : -len("</section>")].strip() == ""
    for secret in SECRETS:
        assert secret not in re.sub(r'value="[a-z_]+"', "", text), secret
    # Each box is shown, none ticked; the hidden location is empty.
    assert 'value="buprenorphine"' in text
    assert not re.search(r'value="buprenorphine"[^>]*checked', text)
    assert 'name="lat"' in text and not re.search(r'name="lat" value=', text)
    assert "data-query" not in text
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("role", ["analyst", "admin"])
def test_analysts_and_admins_are_refused_the_search_a_specialist_gets(
    role, personas, login, participant, bupe_clinic
):
    assert (
        b"Desert Bupe Clinic"
        in login(personas["specialist"]).post(search_url(participant), QUERY).content
    )
    before = reads_of(participant).count()
    for response in (
        login(personas[role]).post(search_url(participant), QUERY),
        login(personas[role]).get(search_url(participant)),
    ):
        assert response.status_code == 403
        assert b"Desert Bupe Clinic" not in response.content
    assert reads_of(participant).count() == before
