"""Telling whether two directory entries are the same place.

Directories spell the same clinic differently ("Aegis Treatment Centers, LLC",
"Aegis Treatment Centers"; "122 Helton Court", "122 Helton Ct."), so entries
are compared by a key of the name, the street address and the ZIP code, each
folded to lower case without punctuation, company suffixes or street-word
variants.
"""

import re
import unicodedata

COMPANY_SUFFIXES = {"llc", "inc", "lp", "llp", "corp", "corporation", "co", "pc", "pllc", "ltd"}
STREET_WORDS = {
    "street": "st",
    "avenue": "ave",
    "av": "ave",
    "road": "rd",
    "boulevard": "blvd",
    "drive": "dr",
    "lane": "ln",
    "court": "ct",
    "place": "pl",
    "parkway": "pkwy",
    "highway": "hwy",
    "suite": "ste",
    "north": "n",
    "south": "s",
    "east": "e",
    "west": "w",
    "northeast": "ne",
    "northwest": "nw",
    "southeast": "se",
    "southwest": "sw",
}


def fold(text):
    text = unicodedata.normalize("NFKD", text or "")
    text = "".join(char for char in text if not unicodedata.combining(char))
    return re.findall(r"[a-z0-9]+", text.casefold())


def normal_name(name):
    words = fold(name.replace("&", " and "))
    while words and words[-1] in COMPANY_SUFFIXES:
        words.pop()
    return " ".join(words)


def normal_street(street):
    return " ".join(STREET_WORDS.get(word, word) for word in fold(street))


def match_key(name, organisation, street, street2, zip_code):
    """Same key, same place. The second name and line count: one building often
    houses several programs of one provider ("Akeela Inc", Suite 200 and 210)."""
    names = normal_name(f"{name} {organisation}")
    streets = normal_street(f"{street} {street2}")
    return f"{names}|{streets}|{zip_code or ''}"[:300]


def clean_text(value):
    """Trimmed text; placeholders such as "- - -" or "N/A" mean unknown and become ""."""
    value = " ".join((value or "").split())
    if not re.search(r"[0-9A-Za-z\u00C0-\uFFFF]", value) or value.casefold() in {
        "n/a",
        "na",
        "none",
        "null",
    }:
        return ""
    return value


# Where ZIP codes begin with 0 (New England, New Jersey, Puerto Rico, the
# Virgin Islands, military mail in Europe): the only places a spreadsheet's
# dropped leading zero can be put back without guessing.
LEADING_ZERO_STATES = {"CT", "MA", "ME", "NH", "NJ", "RI", "VT", "PR", "VI", "AE"}


def normal_zip(value, state=""):
    """A five-digit ZIP from "85281", "85281-1234" or "852811234"; "" if not a ZIP code.

    Spreadsheets drop leading zeros (Boston's 02134 becomes 2134). A short
    value is padded back only for a state whose ZIP codes begin with 0; for
    any other state, or no state, "8528" is a mistyped ZIP, not a guess.
    """
    text = (value or "").strip().replace(" ", "")
    head, dash, tail = text.partition("-")
    if dash:
        if not (head.isdigit() and tail.isdigit() and len(tail) == 4):
            return ""
        text = head
    if not text.isdigit():
        return ""
    lost_zeros = (state or "").strip().upper() in LEADING_ZERO_STATES
    if len(text) == 9 or (lost_zeros and len(text) in (7, 8)):
        return text.zfill(9)[:5]
    if len(text) == 5 or (lost_zeros and len(text) in (3, 4)):
        return text.zfill(5)
    return ""
