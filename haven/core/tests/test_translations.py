"""The Spanish catalog is complete, well-formed and compiled.

A tiny .po reader (no polib) checks every entry of haven/locale/es; then the
compiled .mo is checked through Django's own gettext, so a .po edited without
running compilemessages fails here rather than showing English on the page.
"""

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

PO_PATH = Path(settings.BASE_DIR) / "haven" / "locale" / "es" / "LC_MESSAGES" / "django.po"
MO_PATH = PO_PATH.with_suffix(".mo")
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]")
ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


@dataclass
class Entry:
    line: int
    flags: set = field(default_factory=set)
    fields: dict = field(default_factory=dict)  # "msgid", "msgid_plural", "msgstr", "msgstr[0]"

    @property
    def msgid(self):
        return self.fields.get("msgid", "")

    @property
    def context(self):
        return self.fields.get("msgctxt")

    @property
    def plural(self):
        return self.fields.get("msgid_plural")

    def translations(self):
        if self.plural is None:
            return [self.fields.get("msgstr", "")]
        keys = sorted(k for k in self.fields if k.startswith("msgstr["))
        return [self.fields[k] for k in keys]


def _unquote(text):
    text = text.strip()
    assert text.startswith('"') and text.endswith('"'), f"not a quoted string: {text!r}"
    return re.sub(r"\\(.)", lambda m: ESCAPES.get(m.group(1), m.group(0)), text[1:-1])


def parse_po(path):
    """Entries of a .po file, header included, obsolete (#~) entries left out."""
    entries, current, keyword = [], None, None
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#~"):
            if not line:
                current, keyword = None, None
            continue
        if current is None:
            current = Entry(line=number)
            entries.append(current)
        if line.startswith("#,"):
            current.flags.update(flag.strip() for flag in line[2:].split(","))
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            current.fields[keyword] += _unquote(line)
        else:
            keyword, _sep, rest = line.partition(" ")
            current.fields[keyword] = _unquote(rest)
    return entries


@pytest.fixture(scope="module")
def entries():
    assert PO_PATH.exists(), f"{PO_PATH} is missing; run makemessages -l es"
    return parse_po(PO_PATH)


@pytest.fixture(scope="module")
def messages(entries):
    return [entry for entry in entries if entry.msgid]


def test_header_declares_spanish_utf8_and_two_plural_forms(entries):
    header = next(entry for entry in entries if entry.msgid == "")
    assert "fuzzy" not in header.flags
    text = header.fields["msgstr"]
    assert "Language: es\n" in text
    assert "charset=UTF-8" in text
    assert "Plural-Forms: nplurals=2; plural=(n != 1);" in text


def test_catalog_is_not_empty(messages):
    assert len(messages) > 100


def test_every_message_is_translated_and_not_fuzzy(messages):
    problems = []
    for entry in messages:
        if "fuzzy" in entry.flags:
            problems.append(f"line {entry.line}: fuzzy: {entry.msgid!r}")
        forms = entry.translations()
        if len(forms) != (1 if entry.plural is None else 2) or not all(forms):
            problems.append(f"line {entry.line}: untranslated: {entry.msgid!r}")
    assert not problems, "\n".join(problems)


def test_placeholders_are_kept(messages):
    problems = []
    for entry in messages:
        wanted = set(PLACEHOLDER.findall(entry.msgid))
        if entry.plural is not None:
            wanted |= set(PLACEHOLDER.findall(entry.plural))
        for form in entry.translations():
            if set(PLACEHOLDER.findall(form)) != wanted:
                problems.append(f"line {entry.line}: {entry.msgid!r} -> {form!r}")
    assert not problems, "\n".join(problems)


def test_compiled_catalog_matches_the_po(messages):
    """The .mo is current: Django returns exactly what the .po says, for every entry."""
    assert MO_PATH.exists(), f"{MO_PATH} is missing; run compilemessages"
    problems = []
    with translation.override("es"):
        for entry in messages:
            forms = entry.translations()
            if entry.plural is None:
                if entry.context is None:
                    got = [translation.gettext(entry.msgid)]
                else:
                    got = [translation.pgettext(entry.context, entry.msgid)]
            elif entry.context is None:
                got = [translation.ngettext(entry.msgid, entry.plural, n) for n in (1, 2)]
            else:
                got = [
                    translation.npgettext(entry.context, entry.msgid, entry.plural, n)
                    for n in (1, 2)
                ]
            if got != forms:
                problems.append(f"line {entry.line}: {entry.msgid!r}: .po {forms!r}, .mo {got!r}")
    assert not problems, "stale .mo; run compilemessages\n" + "\n".join(problems)


def test_key_phrases_used_by_browser_tests():
    expected = {
        "Log a contact": "Registrar un contacto",
        "Save contact": "Guardar contacto",
        "Contact saved.": "Contacto guardado.",
        "Log in": "Iniciar sesión",
        "Log out": "Cerrar sesión",
        "Anonymous contact": "Contacto anónimo",
        "Find a participant": "Buscar participante",
        "Card code": "Código de tarjeta",
        "Naloxone": "Naloxona",
    }
    with translation.override("es"):
        assert {msgid: translation.gettext(msgid) for msgid in expected} == expected
