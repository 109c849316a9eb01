import base64
import io
import json
import re
import uuid
import zlib

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.core.serializers.base import DeserializationError
from django.db import connection

from haven.core import crypto
from haven.outreach.actions import EncounterData, do_record_encounter
from haven.outreach.models import Encounter

SECRET = "Wants help with methadone intake"


def stored_note(encounter):
    with connection.cursor() as cursor:
        cursor.execute("SELECT note FROM outreach_encounter WHERE id = %s", [encounter.pk])
        return cursor.fetchone()[0]


@pytest.fixture
def noted_encounter(sam, downtown, participant):
    data = EncounterData(
        client_uuid=uuid.uuid4(),
        site=downtown,
        contact_type="fixed",
        participant=participant,
        note=SECRET,
    )
    return do_record_encounter(data, staff=sam)[0]


def test_notes_are_encrypted_at_rest_and_read_back_as_text(noted_encounter):
    assert SECRET not in stored_note(noted_encounter)
    assert Encounter.objects.get(pk=noted_encounter.pk).note == SECRET


def test_empty_notes_stay_empty(sam, downtown, participant):
    data = EncounterData(
        client_uuid=uuid.uuid4(), site=downtown, contact_type="fixed", participant=participant
    )
    encounter = do_record_encounter(data, staff=sam)[0]
    assert stored_note(encounter) == ""


def test_rotation_re_encrypts_under_the_newest_key(settings, noted_encounter):
    old_key = settings.ENCRYPTION_KEYS[0]
    new_key = Fernet.generate_key().decode()
    settings.ENCRYPTION_KEYS = [new_key, old_key]
    # Old keys still decrypt before rotation.
    assert Encounter.objects.get(pk=noted_encounter.pk).note == SECRET
    before = stored_note(noted_encounter)
    call_command("rotate_encryption_keys", stdout=io.StringIO())
    after = stored_note(noted_encounter)
    assert after != before
    assert Fernet(new_key.encode()).decrypt(after.encode()).decode() == SECRET
    # Once rotated, the old key can be dropped.
    settings.ENCRYPTION_KEYS = [new_key]
    assert Encounter.objects.get(pk=noted_encounter.pk).note == SECRET


def test_a_missing_key_is_a_clear_configuration_error(settings, noted_encounter):
    settings.ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(ImproperlyConfigured, match="HAVEN_ENCRYPTION_KEYS"):
        Encounter.objects.get(pk=noted_encounter.pk)


def test_a_malformed_key_is_a_clear_configuration_error(settings, noted_encounter):
    settings.ENCRYPTION_KEYS = ["not-a-key"]
    with pytest.raises(ImproperlyConfigured, match="Fernet keys"):
        Encounter.objects.get(pk=noted_encounter.pk)


def dump(*labels):
    out = io.StringIO()
    call_command("dumpdata", *labels, format="json", stdout=out)
    return out.getvalue()


def load(tmp_path, text):
    fixture = tmp_path / "dump.json"
    fixture.write_text(text)
    call_command("loaddata", str(fixture), stdout=io.StringIO())


def test_dumpdata_writes_notes_as_ciphertext_never_clear_text(settings, noted_encounter):
    dumped = dump()
    assert SECRET not in dumped
    (encounter,) = [o for o in json.loads(dumped) if o["model"] == "outreach.encounter"]
    token = encounter["fields"]["note"]["fernet"]
    assert Fernet(settings.ENCRYPTION_KEYS[0].encode()).decrypt(token.encode()).decode() == SECRET


def test_loaddata_of_a_dump_gives_back_the_same_notes(tmp_path, noted_encounter):
    dumped = dump("outreach.encounter")
    Encounter.objects.filter(pk=noted_encounter.pk).update(note="overwritten")
    load(tmp_path, dumped)
    assert Encounter.objects.get(pk=noted_encounter.pk).note == SECRET
    assert SECRET not in stored_note(noted_encounter)


def test_loaddata_with_other_keys_says_so_and_changes_nothing(tmp_path, settings, noted_encounter):
    dumped = dump("outreach.encounter")
    Encounter.objects.filter(pk=noted_encounter.pk).update(note="kept")
    keys = settings.ENCRYPTION_KEYS
    settings.ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(
        DeserializationError, match="cannot be decrypted with HAVEN_ENCRYPTION_KEYS"
    ):
        load(tmp_path, dumped)
    settings.ENCRYPTION_KEYS = keys
    assert Encounter.objects.get(pk=noted_encounter.pk).note == "kept"


def test_a_token_pasted_into_a_note_is_kept_as_the_text_typed(noted_encounter):
    """A form or the API gives text; only a dump's {"fernet": token} is taken as ciphertext."""
    token = stored_note(noted_encounter)
    field = Encounter._meta.get_field("note")
    assert field.clean(token, noted_encounter) == token
    assert field.clean(f'{{"fernet": "{token}"}}', noted_encounter) == f'{{"fernet": "{token}"}}'


def test_an_xml_dump_fails_rather_than_write_a_note(noted_encounter):
    out = io.StringIO()
    with pytest.raises(CommandError, match="Unable to serialize"):
        call_command("dumpdata", "outreach.encounter", format="xml", stdout=out)
    assert SECRET not in out.getvalue()


VALUE = {"for": 7, "series": [["Contacts", [3, 1, 4]]], "language": "es"}


def test_a_value_sealed_for_an_address_opens_only_for_its_purpose_and_key(settings):
    token = crypto.seal_for_address(VALUE, "charts")
    assert crypto.open_from_address(token, "charts") == VALUE
    # Deterministic, so the browser can keep what it fetched by address.
    assert crypto.seal_for_address(VALUE, "charts") == token
    assert re.fullmatch(r"[A-Za-z0-9_-]+", token)  # fits a path segment as it is
    with pytest.raises(crypto.UnsealedAddress):
        crypto.open_from_address(token, "other purpose")
    for tampered in (token[:-1], token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1], "%"):
        with pytest.raises(crypto.UnsealedAddress):
            crypto.open_from_address(tampered, "charts")
    settings.SECRET_KEY = "another-secret-key-" + "x" * 40
    with pytest.raises(crypto.UnsealedAddress):
        crypto.open_from_address(token, "charts")


def test_nothing_of_a_sealed_value_can_be_read_from_its_address():
    token = crypto.seal_for_address(VALUE, "charts")
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    # Not a signed value (whose payload is only encoded, and compressed at most).
    with pytest.raises(zlib.error):
        zlib.decompress(raw)
    assert b"Contacts" not in raw and "Contacts" not in token
    # Values one figure apart have unrelated addresses.
    nearly = crypto.seal_for_address({**VALUE, "series": [["Contacts", [3, 1, 5]]]}, "charts")
    assert nearly[:8] != token[:8]
