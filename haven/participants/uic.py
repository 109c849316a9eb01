"""Unique identifier codes (UIC) built from facts a person always knows.

A UIC lets a participant be recognised again without a card and without a
legal name. The recipe is a list of parts from settings.UIC_RECIPE; the
default is ``mother_first_name:2,birth_day,birth_year``: the first two
letters of the mother's first name, the day of birth (two digits) and the
year of birth (four digits), e.g. ``MA071988``. Only the resulting code is
stored, never the answers that built it.

Parts:
- ``mother_first_name:N`` / ``father_first_name:N``: first N letters (A-Z),
  accents removed; a shorter name is padded with ``9``.
- ``birth_day``: two digits. ``birth_month``: two digits.
- ``birth_year`` (four digits) or ``birth_year:2`` (the last two).
"""

import datetime
import unicodedata

from django.conf import settings
from django.utils.translation import gettext as _

NAME_PARTS = {"mother_first_name", "father_first_name"}
DATE_PARTS = {"birth_day", "birth_month", "birth_year"}


class UICError(ValueError):
    def __init__(self, field, message):
        super().__init__(message)
        self.field = field


def parse_recipe(recipe=None):
    """[(part, length or None), ...], refusing unknown parts loudly."""
    parsed = []
    for entry in recipe if recipe is not None else settings.UIC_RECIPE:
        name, _sep, length = entry.partition(":")
        if name not in NAME_PARTS | DATE_PARTS:
            raise ValueError(f"Unknown UIC recipe part {name!r}.")
        parsed.append((name, int(length) if length else None))
    return parsed


def fields_needed(recipe=None):
    """The questions a form must ask to build a UIC with this recipe."""
    names = [name for name, _length in parse_recipe(recipe)]
    needed = [name for name in names if name in NAME_PARTS]
    if DATE_PARTS & set(names):
        needed.append("birth_date")
    return needed


def _letters(text):
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return "".join(char for char in plain.upper() if "A" <= char <= "Z")


def build(answers, recipe=None):
    """Build the UIC from a dict of answers: names as text, birth_date as a date."""
    parts = []
    for name, length in parse_recipe(recipe):
        if name in NAME_PARTS:
            letters = _letters(answers.get(name) or "")
            if not letters:
                raise UICError(name, _("Enter at least one letter."))
            size = length or 2
            parts.append(letters[:size].ljust(size, "9"))
        else:
            birth_date = answers.get("birth_date")
            if not isinstance(birth_date, datetime.date):
                raise UICError("birth_date", _("Enter the date of birth."))
            if birth_date > datetime.date.today():
                raise UICError("birth_date", _("The date of birth cannot be in the future."))
            if name == "birth_day":
                parts.append(f"{birth_date.day:02d}")
            elif name == "birth_month":
                parts.append(f"{birth_date.month:02d}")
            else:
                year = f"{birth_date.year:04d}"
                parts.append(year[-length:] if length else year)
    return "".join(parts)
