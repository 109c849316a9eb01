"""The consent pages, enrolment's consents, and the old enrolment boxes carried over."""

import re

import pytest
from django.urls import reverse

from haven.consents.models import Consent, ConsentText, Kind
from haven.core.models import AuditEntry
from haven.participants.models import Participant


def test_enrolment_asks_each_consent_with_nothing_chosen(login, sam):
    page = login(sam).get(reverse("participants:enroll")).content.decode()
    assert "Keeping a record of contacts" in page
    assert "checked" not in page
    assert "agrees to have contacts recorded" not in page


def test_enrolment_records_the_answers_given_and_nothing_for_those_not_asked(login, sam, downtown):
    response = login(sam).post(
        reverse("participants:enroll"),
        {
            "alias": "Sunny",
            "consent-record_keeping": "given",
            "consent-sharing": "refused",
            "consent-how": "spoken",
            "consent-language": "es",
        },
    )
    assert response.status_code == 302
    participant = Participant.objects.get()
    answers = {c.kind: (c.decision, c.how, c.language) for c in participant.consents.all()}
    assert answers == {
        "record_keeping": ("given", "spoken", "es"),
        "sharing": ("refused", "spoken", "es"),
    }
    assert all(c.recorded_by == sam and c.site == downtown for c in participant.consents.all())


def test_enrolment_with_an_answer_but_no_how_saves_nothing(login, sam):
    response = login(sam).post(
        reverse("participants:enroll"), {"alias": "Sunny", "consent-contact": "given"}
    )
    assert response.status_code == 400
    assert "Say how they answered." in response.content.decode()
    assert not Participant.objects.exists()


def test_enrolment_in_part2_mode_saves_neither_person_nor_answers_on_a_missing_element(
    login, sam, settings
):
    settings.HAVEN_PART2_MODE = True
    response = login(sam).post(
        reverse("participants:enroll"),
        {
            "alias": "Sunny",
            "consent-record_keeping": "given",
            "consent-sharing": "given",
            "consent-how": "spoken",
            "consent-language": "en",
        },
    )
    assert response.status_code == 400
    assert "Part 2 needs this" in response.content.decode()
    assert not Participant.objects.exists()
    assert not Consent.objects.exists()


def test_the_participant_page_shows_the_consents_in_force_in_plain_words(
    login, sam, participant, record
):
    record(participant, Kind.CONTACT)
    page = login(sam).get(reverse("participants:detail", args=[participant.pk])).content.decode()
    assert "Agrees to be contacted by phone or text" in page


def test_a_specialist_records_and_withdraws_a_consent_on_the_page(login, sam, participant, clinic):
    client = login(sam)
    url = reverse("consents:participant", args=[participant.pk])
    response = client.post(
        url,
        {
            "kind": "sharing",
            "decision": "given",
            "how": "spoken",
            "language": "es",
            "provider": clinic.pk,
        },
    )
    assert response.status_code == 302
    consent = Consent.objects.get()
    assert (consent.provider, consent.language, consent.recorded_by) == (clinic, "es", sam)
    page = client.get(url).content.decode()
    assert "Agrees to share their details with Desert Bupe Clinic" in page
    assert AuditEntry.objects.filter(action="view", participant=participant, page="consents")
    client.post(url, {"withdraw": consent.pk})
    consent.refresh_from_db()
    assert consent.withdrawn_by == sam


def prefilled(page):
    """The kind and the provider chosen on the consent form of a page, and its error lists."""

    def chosen(name):
        select = re.search(rf'<select name="{name}".*?</select>', page, re.S).group(0)
        option = re.search(r'<option value="([^"]*)" selected>', select)
        return (option.group(1) or None) if option else None

    return chosen("kind"), chosen("provider"), page.count('class="errorlist')


def test_the_refer_page_s_button_opens_the_form_with_kind_and_provider_and_records_nothing(
    login, sam, participant, clinic
):
    """The referral form's "Record their consent to share" posts what it chooses, so that the
    provider (which says what the person is referred for) stays out of the address."""
    url = reverse("consents:participant", args=[participant.pk])
    response = login(sam).post(url, {"prefill": "1", "kind": "sharing", "provider": clinic.pk})
    assert response.status_code == 200
    assert prefilled(response.content.decode()) == ("sharing", str(clinic.pk), 0)
    assert not Consent.objects.exists()
    assert "no-store" in response["Cache-Control"]
    # The page's own form still records the consent.
    response = login(sam).post(
        url,
        {
            "kind": "sharing",
            "decision": "given",
            "how": "spoken",
            "language": "en",
            "provider": clinic.pk,
        },
    )
    assert response.status_code == 302
    assert Consent.objects.get().provider == clinic


def test_an_old_address_naming_a_provider_chooses_only_the_kind(login, sam, participant, clinic):
    url = reverse("consents:participant", args=[participant.pk])
    response = login(sam).get(url, {"kind": "sharing", "provider": clinic.pk})
    assert response.status_code == 200
    assert prefilled(response.content.decode()) == ("sharing", None, 0)


@pytest.mark.parametrize("role", ["analyst", "admin"])
def test_analysts_and_admins_are_refused_the_prefilled_consent_form(
    role, personas, login, participant, clinic
):
    url = reverse("consents:participant", args=[participant.pk])
    response = login(personas[role]).post(url, {"prefill": "1", "kind": "sharing"})
    assert response.status_code == 403
    assert not AuditEntry.objects.filter(participant=participant, page="consents").exists()


def test_in_site_scope_the_other_sites_specialist_is_refused_the_prefilled_consent_form(
    settings, login, olga, participant, clinic
):
    settings.HAVEN_RECORD_SCOPE = "site"
    url = reverse("consents:participant", args=[participant.pk])
    response = login(olga).post(url, {"prefill": "1", "kind": "sharing", "provider": clinic.pk})
    assert response.status_code == 404  # as for an id nobody has
    assert participant.display_code.encode() not in response.content
    assert not Consent.objects.exists()


def test_withdrawing_a_refused_consent_on_the_page_says_why(login, sam, participant, record):
    refused = record(participant, Kind.CONTACT, decision="refused")
    client = login(sam)
    url = reverse("consents:participant", args=[participant.pk])
    response = client.post(url, {"withdraw": refused.pk}, follow=True)
    assert "never given" in response.content.decode()


def test_a_consent_of_another_participant_cannot_be_withdrawn_from_this_page(
    login, sam, participant, record, downtown
):
    other = Participant.objects.create(created_by=sam, enrolled_site=downtown)
    theirs = record(other, Kind.CONTACT)
    response = login(sam).post(
        reverse("consents:participant", args=[participant.pk]), {"withdraw": theirs.pk}
    )
    assert response.status_code == 404
    garbled = login(sam).post(
        reverse("consents:participant", args=[participant.pk]), {"withdraw": "1 OR 1"}
    )
    assert garbled.status_code == 404
    theirs.refresh_from_db()
    assert theirs.withdrawn_at is None


def test_a_manager_writes_a_new_version_of_a_text(login, max_manager):
    before = ConsentText.objects.filter(kind="research").count()
    response = login(max_manager).post(
        reverse("consents:texts"),
        {"kind": "research", "body_en": "New words", "body_es": "Palabras nuevas"},
    )
    assert response.status_code == 302
    assert ConsentText.objects.filter(kind="research").count() == before + 1


@pytest.mark.django_db(transaction=True)
def test_the_old_enrolment_boxes_become_consents_ticked_ones_only(migrator):
    """consents.0002 on a database as it was before it, boxes and all."""
    old = migrator.apply_initial_migration(
        [("consents", "0001_initial"), ("participants", "0002_participant_first_naloxone_at")]
    )
    site = old.apps.get_model("accounts", "Site").objects.create(name="Downtown")
    sam = old.apps.get_model("accounts", "User").objects.create(username="sam", role="specialist")
    participants = old.apps.get_model("participants", "Participant").objects
    ticked = participants.create(
        card_code="ABC123K",
        created_by=sam,
        enrolled_site=site,
        consent_to_services=True,
        consent_to_contact=True,
        consent_to_data_sharing=True,
    )
    unticked = participants.create(
        card_code="ABC124L", created_by=sam, enrolled_site=site, consent_to_services=False
    )

    new = migrator.apply_tested_migration(("consents", "0002_enrolment_flags_to_consents"))
    Consent = new.apps.get_model("consents", "Consent")
    ConsentText = new.apps.get_model("consents", "ConsentText")
    consents = {c.kind: c for c in Consent.objects.filter(participant_id=ticked.pk)}
    assert set(consents) == {"record_keeping", "contact", "sharing"}
    for consent in consents.values():
        assert (consent.decision, consent.how, consent.recorded_by_id) == (
            "given",
            "old_form",
            sam.pk,
        )
        assert consent.recorded_at == ticked.enrolled_at
        assert consent.text.version == 1 and "Old enrolment form" in consent.text.body_en
    assert "ticked in advance" in consents["record_keeping"].text.body_en
    assert not Consent.objects.filter(participant_id=unticked.pk).exists()
    # New consents are asked with the program's wording, not the old box.
    assert ConsentText.objects.filter(kind="record_keeping").order_by("-version")[0].version == 2
    assert set(ConsentText.objects.values_list("kind", flat=True)) == set(Kind.values)

    # Then the boxes themselves go.
    after = migrator.apply_tested_migration(("participants", "0004_drop_old_consent_boxes"))
    fields = {f.name for f in after.apps.get_model("participants", "Participant")._meta.fields}
    assert not fields & {"consent_to_services", "consent_to_contact", "consent_to_data_sharing"}


def test_the_summary_shows_what_haven_holds_in_the_participants_language(
    login, sam, participant, record, clinic, downtown
):
    from haven.resources.actions import do_make_referral

    participant.gender = "woman"
    participant.zip_code = "85281"
    participant.save()
    record(participant, Kind.CONTACT, language="es")
    do_make_referral(
        participant=participant, resource=clinic, need="buprenorphine", by=sam, site=downtown
    )
    page = login(sam).get(reverse("consents:summary", args=[participant.pk])).content.decode()
    for shown in ("Mujer", "85281", "Desert Bupe Clinic", "Otorgado", "Perfil"):
        assert shown in page, shown
    assert AuditEntry.objects.filter(
        action="view", participant=participant, page="participant's own summary"
    ).exists()
