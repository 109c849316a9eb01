import importlib

import pytest

from haven.consents.actions import do_record_consent
from haven.consents.models import ConsentText
from haven.resources.tests.conftest import make_resource

PART2_ELEMENTS = {
    "discloser": "Haven Harm Reduction",
    "information": "Card code, alias, year of birth and the need",
    "purpose": "Starting buprenorphine",
    "told_of_right_to_revoke": True,
    "expiry_event": "One year after signing",
    "how": "signed",
    "signature": "S.",
}


first_texts = importlib.import_module(
    "haven.consents.migrations.0002_enrolment_flags_to_consents"
).FIRST_TEXTS


def install_consent_texts():
    """The texts the data migration installs, again if a transactional test's flush emptied them."""
    for kind, (english, spanish) in first_texts.items():
        if not ConsentText.objects.filter(kind=kind).exists():
            ConsentText.objects.create(kind=kind, version=1, body_en=english, body_es=spanish)


@pytest.fixture(autouse=True)
def consent_texts(db):
    install_consent_texts()


@pytest.fixture
def clinic(adam):
    return make_resource(adam, "Desert Bupe Clinic", zip_code="85281", needs=["buprenorphine"])


@pytest.fixture
def shelter(adam):
    return make_resource(adam, "Night Shelter", zip_code="85281", needs=["housing"])


@pytest.fixture
def record(sam, downtown):
    """Record a consent as Sam, spoken in English and given unless told otherwise."""

    def record_consent(participant, kind, **fields):
        values = {"decision": "given", "how": "spoken", "language": "en", **fields}
        return do_record_consent(participant, kind=kind, by=sam, site=downtown, **values)

    return record_consent
