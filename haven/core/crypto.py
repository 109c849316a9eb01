"""Encryption of free text at rest with Fernet (AES-128-CBC plus HMAC), and of values
put in addresses (seal_for_address).

Keys come from settings.ENCRYPTION_KEYS, newest first. MultiFernet encrypts
with the newest key and decrypts with any of them, so adding a key and then
running `manage.py rotate_encryption_keys` rotates without downtime.
"""

import base64
import json
import zlib
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives.ciphers.aead import AESSIV
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import models
from django.utils.crypto import salted_hmac


@lru_cache(maxsize=4)
def _fernet_for(keys):
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except (ValueError, TypeError) as error:
        raise ImproperlyConfigured(
            "HAVEN_ENCRYPTION_KEYS must be Fernet keys (32 url-safe base64 bytes)."
        ) from error


def fernet():
    return _fernet_for(tuple(settings.ENCRYPTION_KEYS))


def encrypt(text):
    return fernet().encrypt(text.encode("utf-8")).decode("ascii")


def decrypt(token):
    try:
        return fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken as error:
        raise ImproperlyConfigured(
            "An encrypted value could not be decrypted: a key it was written with "
            "is missing from HAVEN_ENCRYPTION_KEYS."
        ) from error


def rotate(token):
    """Re-encrypt a stored token under the newest key."""
    return fernet().rotate(token.encode("ascii")).decode("ascii")


def rewrite_column(schema_editor, table, column, rewrite):
    """For a migration that makes a text column an EncryptedTextField (rewrite=encrypt)
    or takes that back (decrypt): each non-empty value rewritten in place.

    By hand, not through the model, whose field would decrypt what it reads.
    """
    quote = schema_editor.quote_name
    table, column = quote(table), quote(column)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"SELECT id, {column} FROM {table} WHERE {column} <> ''")  # noqa: S608
        for pk, value in cursor.fetchall():
            cursor.execute(
                f"UPDATE {table} SET {column} = %s WHERE id = %s",  # noqa: S608 - names as above
                [rewrite(value), pk],
            )


class Ciphertext(str):
    """A value that is already encrypted and is to be stored as it is."""


class EncryptedTextField(models.TextField):
    """A text field stored encrypted; Python code sees plain text.

    Encrypted values cannot be searched or sorted in the database, which is
    the point: use it only for free text such as notes.
    """

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        if isinstance(value, Ciphertext):
            return str(value)
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(value)

    # Serialization (dumpdata, loaddata): the value leaves as ciphertext, in an
    # object {"fernet": token} that no form or API field can produce, so that
    # pasting a token from a dump into a note can never get it decrypted.
    SERIALIZED_KEY = "fernet"

    def value_to_string(self, obj):
        value = self.value_from_object(obj)
        if value is None or value == "":
            return value
        token = str(value) if isinstance(value, Ciphertext) else encrypt(value)
        return {self.SERIALIZED_KEY: token}

    def to_python(self, value):
        if isinstance(value, dict):
            return self._ciphertext_from_serialized(value)
        return super().to_python(value)

    def _ciphertext_from_serialized(self, value):
        token = value.get(self.SERIALIZED_KEY)
        if set(value) != {self.SERIALIZED_KEY} or not isinstance(token, str):
            raise ValidationError(
                "An encrypted field is serialized as {%(key)r: token}.",
                params={"key": self.SERIALIZED_KEY},
            )
        try:
            fernet().decrypt(token.encode("ascii"))
        except (InvalidToken, UnicodeEncodeError) as error:
            raise ValidationError(
                "This encrypted value cannot be decrypted with HAVEN_ENCRYPTION_KEYS: "
                "it was written with another key. Load it with the keys in use when "
                "it was made."
            ) from error
        return Ciphertext(token)


def encrypted_fields():
    """Every (model, field) pair in the project that holds encrypted text."""
    from django.apps import apps

    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, EncryptedTextField):
                yield model, field


# ------------------------------------------------------- values in addresses
# A value a page puts in a link (a dashboard chart's figures) is sealed with
# AES-SIV: deterministic, so the same value has the same address and the browser
# can keep what it fetched, and unreadable, so no figure is in the browser's
# history or a proxy's log. The key comes from SECRET_KEY, one per purpose.


class UnsealedAddress(Exception):
    """The token was not sealed by seal_for_address with this purpose and key."""


@lru_cache(maxsize=16)
def _address_sealer(purpose, secret):
    key = salted_hmac("haven.core.crypto.address", purpose, secret, algorithm="sha512")
    return AESSIV(key.digest())


def seal_for_address(value, purpose):
    """A JSON-able value as a short url-safe token that only open_from_address reads."""
    plain = zlib.compress(json.dumps(value, separators=(",", ":")).encode("utf-8"))
    sealed = _address_sealer(purpose, settings.SECRET_KEY).encrypt(plain, None)
    return base64.urlsafe_b64encode(sealed).rstrip(b"=").decode("ascii")


def open_from_address(token, purpose):
    try:
        sealed = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        plain = _address_sealer(purpose, settings.SECRET_KEY).decrypt(sealed, None)
    except (InvalidTag, ValueError) as error:  # binascii.Error is a ValueError
        raise UnsealedAddress from error
    return json.loads(zlib.decompress(plain))
