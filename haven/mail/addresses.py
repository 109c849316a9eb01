"""Shipping addresses: checking them against the service area, and recognising a repeat.

An address is recognised by an HMAC (keyed with settings.MAIL_ADDRESS_KEY) of
its normalised form, so that "12 Main Street, Apt 4" and "12 main st #4"
are the same requester, and the address itself need not be kept to know it.
Without the key the hash cannot be checked against a list of addresses.
"""

import hashlib
import hmac
import re

from django.conf import settings

ZIP_CODE = re.compile(r"^(\d{5})(?:-?\d{4})?$")
STATE = re.compile(r"^[A-Za-z]{2}$")

# Common spellings of the same thing, as the postal service abbreviates them.
ABBREVIATIONS = {
    "STREET": "ST",
    "AVENUE": "AVE",
    "ROAD": "RD",
    "DRIVE": "DR",
    "BOULEVARD": "BLVD",
    "LANE": "LN",
    "COURT": "CT",
    "PLACE": "PL",
    "APARTMENT": "APT",
    "SUITE": "STE",
    "UNIT": "APT",
    "NORTH": "N",
    "SOUTH": "S",
    "EAST": "E",
    "WEST": "W",
    "#": "APT",
}


def zip5(text):
    """The five-digit ZIP of `text` (ZIP or ZIP+4), or None when it is not one."""
    match = ZIP_CODE.match((text or "").strip())
    return match.group(1) if match else None


def in_service_area(state, zip_code):
    """Whether the program mails to this state and ZIP (settings.MAIL_STATES, MAIL_ZIP_CODES)."""
    if state.upper() not in settings.MAIL_STATES:
        return False
    return not settings.MAIL_ZIP_CODES or zip_code in settings.MAIL_ZIP_CODES


def normalised(line1, line2, city, state, zip_code):
    text = " ".join([line1, line2, city, state, zip5(zip_code) or zip_code]).upper()
    text = text.replace("#", " # ")
    words = re.sub(r"[^\w#]+", " ", text).split()
    return " ".join(ABBREVIATIONS.get(word, word) for word in words)


def requester_hash(line1, line2, city, state, zip_code):
    key = settings.MAIL_ADDRESS_KEY.encode("utf-8")
    message = normalised(line1, line2, city, state, zip_code).encode("utf-8")
    return hmac.new(key, message, hashlib.sha256).hexdigest()
