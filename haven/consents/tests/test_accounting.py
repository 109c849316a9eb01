"""The accounting of disclosures is every disclosure made in the past three years, and only those.

The property test keeps its own model of what consent allows and which
details left the program, and compares the accounting with the model, not
with the disclosure table: a disclosure the code forgot to log, or logged
without a consent in force, fails it.
"""

import datetime
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from haven.consents.actions import do_withdraw_consent
from haven.consents.models import Consent, Disclosure, Kind
from haven.consents.rules import accounting_of_disclosures, accounting_start
from haven.resources.actions import do_make_referral
from haven.resources.models import Referral

steps = st.lists(
    st.one_of(
        st.tuples(st.just("give"), st.sampled_from(["clinic", "shelter", "any"])),
        st.tuples(st.just("refuse"), st.sampled_from(["clinic", "shelter", "any"])),
        st.tuples(st.just("withdraw"), st.integers(min_value=0, max_value=9)),
        st.tuples(st.just("share"), st.sampled_from(["clinic", "shelter"])),
        st.tuples(st.just("wait"), st.integers(min_value=0, max_value=900)),
    ),
    min_size=1,
    max_size=30,
)


class Model:
    """What should have happened: consents in order, and the disclosures they allowed."""

    def __init__(self):
        self.consents = []  # [provider name or "any", decision, withdrawn, Consent]
        self.disclosures = []  # (made_at, recipient, consent id)

    def allows(self, provider):
        for scope, decision, withdrawn, consent in reversed(self.consents):
            if scope not in (provider, "any"):
                continue
            return decision == "given" and not withdrawn and consent
        return None


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=steps)
def test_the_accounting_equals_the_disclosures_made(
    steps, participant, clinic, shelter, sam, downtown, record
):
    Disclosure.objects.all().delete()
    Referral.objects.all().delete()
    Consent.objects.all().delete()
    providers = {"clinic": clinic, "shelter": shelter}
    model = Model()
    clock = [timezone.now() - datetime.timedelta(days=4 * 365)]
    with mock.patch("django.utils.timezone.now", lambda: clock[0]):
        for step, value in steps:
            clock[0] += datetime.timedelta(minutes=1)
            if step in ("give", "refuse"):
                decision = "given" if step == "give" else "refused"
                consent = record(
                    participant, Kind.SHARING, decision=decision, provider=providers.get(value)
                )
                model.consents.append([value, decision, False, consent])
            elif step == "withdraw" and model.consents:
                entry = model.consents[value % len(model.consents)]
                try:
                    do_withdraw_consent(entry[3], by=sam)
                except ValidationError:
                    assert entry[1] == "refused" or entry[2], "a withdrawal was refused wrongly"
                else:
                    assert entry[1] == "given" and not entry[2]
                    entry[2] = True
            elif step == "share":
                allowed = model.allows(value)
                try:
                    do_make_referral(
                        participant=participant,
                        resource=providers[value],
                        need=providers[value].need_codes()[0],
                        by=sam,
                        site=downtown,
                        share_details=True,
                    )
                except ValidationError:
                    assert not allowed, f"sharing with {value} was refused under {allowed}"
                else:
                    assert allowed, f"details went to {value} with no consent in force"
                    model.disclosures.append((clock[0], providers[value].name, allowed.pk))
            elif step == "wait":
                clock[0] += datetime.timedelta(days=value)
        now = clock[0]
        expected = sorted(
            (made_at, recipient, consent_id)
            for made_at, recipient, consent_id in model.disclosures
            if made_at >= accounting_start(now)
        )
        accounted = sorted(
            (d.made_at, d.recipient, d.consent_id)
            for d in accounting_of_disclosures(participant, now=now)
        )
    assert accounted == expected


def test_the_accounting_starts_three_years_back_even_from_29_february():
    leap_day = datetime.datetime(2028, 2, 29, 12, tzinfo=datetime.UTC)
    assert accounting_start(leap_day) == datetime.datetime(2025, 2, 28, 12, tzinfo=datetime.UTC)


def test_the_accounting_page_is_printable_in_the_participants_language(
    login, sam, participant, clinic, downtown, record
):
    record(participant, Kind.SHARING, provider=clinic, language="es")
    do_make_referral(
        participant=participant,
        resource=clinic,
        need="buprenorphine",
        by=sam,
        site=downtown,
        share_details=True,
    )
    url = reverse("consents:accounting", args=[participant.pk])
    page = login(sam).get(url).content.decode()
    # The language of their last consent, unless another is asked for.
    assert "Una derivación que compartió sus datos" in page
    assert "Desert Bupe Clinic" in page
    assert "data-print" in page
    english = login(sam).get(url + "?language=en").content.decode()
    assert "A referral that shared their details" in english


@pytest.mark.parametrize("part2", [False, True])
def test_printing_the_summary_is_audited_and_accounted(
    login, sam, participant, settings, part2, record
):
    settings.HAVEN_PART2_MODE = part2
    url = reverse("consents:summary", args=[participant.pk])
    client = login(sam)
    preview = client.get(url).content.decode()
    assert "42 CFR part 2" not in preview
    assert not Disclosure.objects.exists()
    printed = client.post(url).content.decode()
    disclosure = Disclosure.objects.get()
    assert disclosure.channel == "printed" and disclosure.consent is None
    assert disclosure.part2_notice == part2
    assert ("42 CFR part 2" in printed) == part2
    from haven.core.models import AuditEntry

    assert AuditEntry.objects.filter(
        action="export", participant=participant, page="participant's own summary printed"
    ).exists()


def test_the_summary_leaves_out_staff_notes_unless_the_program_includes_them(
    login, sam, participant, downtown, settings
):
    import uuid

    from haven.outreach.actions import EncounterData, do_record_encounter

    data = EncounterData(
        client_uuid=uuid.uuid4(),
        site=downtown,
        contact_type="fixed",
        participant=participant,
        note="Xstaffnote",
    )
    do_record_encounter(data, staff=sam)
    url = reverse("consents:summary", args=[participant.pk])
    assert "Xstaffnote" not in login(sam).get(url).content.decode()
    settings.HAVEN_SUMMARY_INCLUDES_NOTES = True
    assert "Xstaffnote" in login(sam).get(url).content.decode()
