"""The referral form for a participant: opened from a search result by POST, never with the need
in its address.

A result of the resource search for a participant opens the form with the need it matched
chosen. That need, beside the participant's record id, would otherwise stay in the browser's
history of a shared office computer and in the server's access logs: which participant needed
what. So the result posts it, marked as a prefill, which saves nothing; the form's own submit
makes the referral as before.
"""

import re

import pytest
from django.test import Client
from django.urls import reverse

from haven.core.models import AuditEntry
from haven.resources.models import Referral


def refer_url(participant, resource):
    return reverse("resources:refer", args=[participant.pk, resource.pk])


def prefill(need):
    return {"prefill": "1", "need": need}


def chosen_need(html):
    """The value of the need chosen on the referral form, or None."""
    select = re.search(r'<select name="need".*?</select>', html, re.S).group(0)
    chosen = re.search(r'<option value="([^"]*)" selected>', select)
    return chosen.group(1) if chosen else None


def reads_of(participant):
    return AuditEntry.objects.filter(
        participant=participant, action=AuditEntry.Action.VIEW, page="new referral"
    )


def test_a_prefill_shows_the_form_with_the_need_chosen_and_saves_nothing(
    sam, login, participant, bupe_clinic
):
    response = login(sam).post(refer_url(participant, bupe_clinic), prefill("counseling"))
    assert response.status_code == 200
    html = response.content.decode()
    assert chosen_need(html) == "counseling"
    # Shown as a form to fill in, not as a form sent with mistakes.
    assert "errorlist" not in html
    assert "This field is required" not in html
    assert not Referral.objects.exists()
    # It shows the participant, as the page opened by a link did: audited, never stored.
    assert reads_of(participant).filter(user=sam).count() == 1
    assert "no-store" in response["Cache-Control"]
    # The form's own submit goes to the bare address (the page's own, with no need in it).
    assert re.search(r'<form method="post" novalidate>', html)


def test_a_prefill_with_every_field_of_the_form_still_saves_nothing(
    sam, login, participant, bupe_clinic
):
    """The marker wins: only the form's own submit (no marker) makes a referral."""
    complete = {**prefill("buprenorphine"), "site": sam.current_site_id, "note": "Monday"}
    response = login(sam).post(refer_url(participant, bupe_clinic), complete)
    assert response.status_code == 200
    assert chosen_need(response.content.decode()) == "buprenorphine"
    assert not Referral.objects.exists()


def test_a_prefill_with_a_need_the_resource_does_not_offer_chooses_none(
    sam, login, participant, bupe_clinic
):
    for need in ("housing", "<script>", ""):
        response = login(sam).post(refer_url(participant, bupe_clinic), prefill(need))
        assert response.status_code == 200
        html = response.content.decode()
        assert chosen_need(html) is None
        assert "<script>" not in html.split("<main", 1)[1].split("</main>", 1)[0]
    assert not Referral.objects.exists()


def test_the_form_itself_still_makes_the_referral(sam, login, participant, bupe_clinic):
    client = login(sam)
    url = refer_url(participant, bupe_clinic)
    client.post(url, prefill("counseling"))
    response = client.post(url, {"need": "counseling", "site": sam.current_site_id})
    assert response.status_code == 302
    referral = Referral.objects.get()
    assert (referral.participant, referral.resource, referral.need) == (
        participant,
        bupe_clinic,
        "counseling",
    )
    # And sent with mistakes it says so, as before.
    response = client.post(url, {"site": sam.current_site_id})
    assert response.status_code == 400
    assert b"errorlist" in response.content
    assert Referral.objects.count() == 1


def test_a_plain_link_opens_the_form_with_no_need_chosen(sam, login, participant, bupe_clinic):
    response = login(sam).get(refer_url(participant, bupe_clinic))
    assert response.status_code == 200
    assert chosen_need(response.content.decode()) is None
    assert b"errorlist" not in response.content


def test_an_old_address_with_a_need_chooses_nothing(sam, login, participant, bupe_clinic):
    """An old bookmark or a page from history: the need in its address is not taken up."""
    response = login(sam).get(refer_url(participant, bupe_clinic), {"need": "buprenorphine"})
    assert response.status_code == 200
    assert chosen_need(response.content.decode()) is None
    assert not Referral.objects.exists()


def test_a_search_result_s_refer_posts_the_need_with_its_token(sam, participant, bupe_clinic):
    """The journey as the browser makes it: the result's own form, sent with CSRF checks on."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(sam)
    search = client.get(reverse("resources:search_for_participant", args=[participant.pk]))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', search.content.decode())
    page = client.post(
        reverse("resources:search_for_participant", args=[participant.pk]),
        {"needs": ["hiv_care", "counseling"], "csrfmiddlewaretoken": token.group(1)},
    ).content.decode()
    (refer,) = re.findall(r'<form method="post" action="[^"]*" class="refer".*?</form>', page, re.S)
    action = re.search(r'action="([^"]+)"', refer).group(1)
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', refer))
    assert action == refer_url(participant, bupe_clinic)
    assert fields["need"] == "counseling" and fields["prefill"] == "1"
    response = client.post(action, fields)
    assert response.status_code == 200
    assert chosen_need(response.content.decode()) == "counseling"
    assert not Referral.objects.exists()
    # Without the token the prefill is refused like any other post.
    assert client.post(action, prefill("counseling")).status_code == 403


@pytest.mark.parametrize("role", ["analyst", "admin"])
def test_analysts_and_admins_are_refused_the_prefill(
    role, personas, login, participant, bupe_clinic
):
    response = login(personas[role]).post(
        refer_url(participant, bupe_clinic), prefill("counseling")
    )
    assert response.status_code == 403
    assert b"Desert Bupe Clinic" not in response.content
    assert not reads_of(participant).exists()
    assert not Referral.objects.exists()


def test_in_site_scope_the_other_sites_specialist_is_refused_the_prefill(
    settings, sam, olga, login, participant, bupe_clinic
):
    settings.HAVEN_RECORD_SCOPE = "site"
    url = refer_url(participant, bupe_clinic)
    response = login(olga).post(url, prefill("counseling"))
    assert response.status_code == 404  # as for an id nobody has
    assert participant.display_code.encode() not in response.content
    assert not reads_of(participant).exists()
    # Sam, who works where the participant is known, is not.
    assert chosen_need(login(sam).post(url, prefill("counseling")).content.decode()) == "counseling"
    assert not Referral.objects.exists()
