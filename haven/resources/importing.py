"""Reading a directory CSV: decode, map columns, check every row, find duplicates.

Nothing here writes to the database; actions.do_import_resources applies a
checked Plan in one transaction, and only when no row has an error. Values a
file does not give stay unknown: an import never guesses hours, services,
payment or phone numbers.
"""

import csv
import datetime
import io
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from haven.core.spreadsheet import csv_writer, first_nul_line, unquote_cell

from . import hours
from .matching import clean_text, match_key, normal_zip
from .models import Language, Need, Payment, Resource

MAX_BYTES = 20 * 1024 * 1024
ENCODINGS = [
    ("utf-8-sig", gettext_lazy("UTF-8 (most files)")),
    ("cp1252", gettext_lazy("Windows (Excel on Windows, cp1252)")),
    ("latin-1", gettext_lazy("Latin-1 (ISO-8859-1)")),
]

# (field, label, synonyms in headers, lower case)
FIELDS = [
    ("name", gettext_lazy("Name"), ["name", "name1", "facility", "program", "program name", "id"]),
    ("organisation", gettext_lazy("Second name"), ["organisation", "organization", "name2"]),
    ("address_line1", gettext_lazy("Street address"), ["address", "street", "street1", "address1"]),
    ("address_line2", gettext_lazy("Address line 2"), ["street2", "address2", "address line 2"]),
    ("city", gettext_lazy("City"), ["city"]),
    ("state", gettext_lazy("State"), ["state"]),
    ("zip_code", gettext_lazy("ZIP code"), ["zip", "zip code", "zipcode", "postal", "postal code"]),
    ("county", gettext_lazy("County"), ["county"]),
    ("latitude", gettext_lazy("Latitude"), ["latitude", "lat"]),
    ("longitude", gettext_lazy("Longitude"), ["longitude", "lon", "lng", "long"]),
    ("phone", gettext_lazy("Phone"), ["phone", "telephone", "phone number"]),
    ("website", gettext_lazy("Website"), ["website", "url", "web"]),
    ("needs", gettext_lazy("Services (needs)"), ["needs", "services", "service types"]),
    ("languages", gettext_lazy("Languages"), ["languages", "language"]),
    ("payments", gettext_lazy("Payment accepted"), ["payments", "payment", "insurance"]),
    ("walk_in", gettext_lazy("Walk-in"), ["walk in", "walk-in", "walk_in"]),
    ("hours", gettext_lazy("Opening hours"), ["hours", "opening hours"]),
    ("requirements", gettext_lazy("Requirements"), ["requirements"]),
    ("notes", gettext_lazy("Notes"), ["notes"]),
    ("last_verified_on", gettext_lazy("Last verified"), ["last verified", "last_verified_on"]),
]
FIELD_NAMES = [name for name, _label, _synonyms in FIELDS]
TEXT_LIMITS = {
    "name": 200,
    "organisation": 200,
    "address_line1": 200,
    "address_line2": 200,
    "city": 100,
    "county": 100,
    "phone": 40,
}
YES = {"yes", "y", "true", "1"}
NO = {"no", "n", "false", "0"}


class ImportRejected(Exception):
    """The file as a whole cannot be read; the message says why and what to do."""


@dataclass
class Row:
    line: int
    values: dict = field(default_factory=dict)
    needs: list = field(default_factory=list)
    languages: list = field(default_factory=list)
    spans: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    key: str = ""
    duplicate_of_line: int | None = None
    existing_id: int | None = None


@dataclass
class Plan:
    header: list
    mapping: dict
    fixed_needs: list
    rows: list

    @property
    def error_rows(self):
        return [row for row in self.rows if row.errors]

    @property
    def new_rows(self):
        return [
            row
            for row in self.rows
            if not row.errors and row.duplicate_of_line is None and row.existing_id is None
        ]

    @property
    def existing_rows(self):
        return [row for row in self.rows if not row.errors and row.existing_id is not None]

    @property
    def repeated_rows(self):
        return [row for row in self.rows if row.duplicate_of_line is not None]


def decode(content, encoding):
    if len(content) > MAX_BYTES:
        raise ImportRejected(_("The file is larger than 20 MB; split it into smaller files."))
    try:
        text = content.decode(encoding)
    except UnicodeDecodeError as error:
        line = content[: error.start].count(b"\n") + 1
        raise ImportRejected(
            _(
                "The file is not in the %(encoding)s encoding (an unreadable character on "
                "line %(line)s). Files saved by Excel on Windows are usually Windows "
                "(cp1252): choose that encoding and try again."
            )
            % {"encoding": dict(ENCODINGS).get(encoding, encoding), "line": line}
        ) from error
    except LookupError as error:
        raise ImportRejected(
            _("Unknown encoding %(encoding)s.") % {"encoding": encoding}
        ) from error
    line = first_nul_line(text)
    if line:
        raise ImportRejected(
            _("Line %(n)s holds a NUL character, which no field can hold; remove it.") % {"n": line}
        )
    return text


def read_header(text):
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        raise ImportRejected(_("The file is empty.")) from None
    except csv.Error as error:
        raise ImportRejected(
            _("This is not a readable CSV file: %(error)s") % {"error": error}
        ) from error
    header = [column.strip() for column in header]
    if not any(header):
        raise ImportRejected(_("The first line should name the columns, but it is empty."))
    return header


def guess_mapping(header):
    """Haven field -> CSV column, by the usual names of columns."""
    folded = {column.casefold().replace("_", " "): column for column in header}
    mapping = {}
    for name, _label, synonyms in FIELDS:
        for synonym in [name, *synonyms]:
            column = folded.get(synonym.replace("_", " "))
            if column is not None and column not in mapping.values():
                mapping[name] = column
                break
    return mapping


def check_mapping(header, mapping):
    """Messages for a mapping that cannot work with this file."""
    problems = []
    if not mapping.get("name"):
        problems.append(_("Choose the column that holds each resource's name."))
    missing = [column for column in mapping.values() if column and column not in header]
    if missing:
        problems.append(
            _("This file has no column %(columns)s. Its columns are: %(header)s.")
            % {"columns": ", ".join(f'"{c}"' for c in missing), "header": ", ".join(header)}
        )
    if bool(mapping.get("latitude")) != bool(mapping.get("longitude")):
        problems.append(_("Map both latitude and longitude, or neither."))
    return problems


PROGRESS_EVERY = 500


def prepare(content, encoding, mapping, fixed_needs=(), progress=None):
    """Read and check a whole file. Raises ImportRejected; returns a Plan.

    `progress(rows read)` is called every PROGRESS_EVERY rows, for a long file.
    """
    text = decode(content, encoding)
    header = read_header(text)
    mapping = {name: column for name, column in mapping.items() if column}
    problems = check_mapping(header, mapping)
    if problems:
        raise ImportRejected(" ".join(problems))
    unknown = [need for need in fixed_needs if need not in Need.values]
    if unknown:
        raise ImportRejected(_("Unknown need: %(need)s.") % {"need": ", ".join(unknown)})
    positions = {name: header.index(column) for name, column in mapping.items()}
    existing = dict(Resource.objects.values_list("match_key", "pk"))
    first_line_of = {}
    rows = []
    reader = csv.reader(io.StringIO(text))
    next(reader)
    try:
        for cells in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            row = Row(line=line)
            if len(cells) != len(header):
                row.errors.append(
                    _("This line has %(found)s values but the header has %(expected)s.")
                    % {"found": len(cells), "expected": len(header)}
                )
                rows.append(row)
                continue
            # Haven's own export quotes text that starts like a formula; read it back as it was.
            raw = {name: unquote_cell(cells[position]) for name, position in positions.items()}
            _check_row(row, raw, fixed_needs)
            if not row.errors:
                row.key = match_key(
                    row.values["name"],
                    row.values.get("organisation", ""),
                    row.values.get("address_line1", ""),
                    row.values.get("address_line2", ""),
                    row.values.get("zip_code", ""),
                )
                if row.key in first_line_of:
                    row.duplicate_of_line = first_line_of[row.key]
                else:
                    first_line_of[row.key] = line
                    row.existing_id = existing.get(row.key)
            rows.append(row)
            if progress and len(rows) % PROGRESS_EVERY == 0:
                progress(len(rows))
    except csv.Error as error:
        raise ImportRejected(
            _("Line %(line)s cannot be read as CSV: %(error)s")
            % {"line": reader.line_num, "error": error}
        ) from error
    if not rows:
        raise ImportRejected(_("The file has a header but no rows."))
    return Plan(header=header, mapping=mapping, fixed_needs=list(fixed_needs), rows=rows)


def _check_row(row, raw, fixed_needs):
    values = {}
    for name in ("name", "organisation", "address_line1", "address_line2", "city", "county"):
        values[name] = clean_text(raw.get(name, ""))
    values["phone"] = clean_text(raw.get("phone", ""))
    values["requirements"] = clean_text(raw.get("requirements", ""))
    values["notes"] = (raw.get("notes") or "").strip()
    if not values["name"]:
        row.errors.append(_("The name is empty."))
    for name, limit in TEXT_LIMITS.items():
        if len(values[name]) > limit:
            row.errors.append(
                _("%(field)s is longer than %(limit)s characters.")
                % {"field": field_label(name), "limit": limit}
            )
    state = clean_text(raw.get("state", "")).upper()
    if state and not (len(state) == 2 and state.isalpha()):
        row.errors.append(_('State "%(state)s" should be two letters, e.g. AZ.') % {"state": state})
    values["state"] = state
    zip_text = clean_text(raw.get("zip_code", ""))
    values["zip_code"] = normal_zip(zip_text, state)
    if zip_text and not values["zip_code"]:
        row.errors.append(
            _('"%(zip)s" is not a ZIP code: give five digits, e.g. 85281.') % {"zip": zip_text}
        )
    _check_coordinates(row, values, raw)
    website = clean_text(raw.get("website", ""))
    if website:
        try:
            URLValidator(schemes=["http", "https"])(website)
        except ValidationError:
            row.errors.append(
                _('Website "%(url)s" should be a full address starting with https://.')
                % {"url": website}
            )
    values["website"] = website
    walk_in = clean_text(raw.get("walk_in", "")).casefold()
    values["walk_in"] = True if walk_in in YES else False if walk_in in NO else None
    if walk_in and values["walk_in"] is None:
        row.errors.append(
            _('Walk-in should be yes, no or empty, not "%(value)s".') % {"value": walk_in}
        )
    verified = clean_text(raw.get("last_verified_on", ""))
    values["last_verified_on"] = None
    if verified:
        try:
            values["last_verified_on"] = datetime.date.fromisoformat(verified)
        except ValueError:
            row.errors.append(
                _('Last verified "%(date)s" should be a date like 2025-01-31.') % {"date": verified}
            )
    row.needs = list(dict.fromkeys([*fixed_needs, *_codes(row, raw.get("needs"), Need)]))
    row.languages = _codes(row, raw.get("languages"), Language)
    for payment in _codes(row, raw.get("payments"), Payment):
        values[f"payment:{payment}"] = True
    try:
        row.spans = hours.parse_hours(raw.get("hours", ""))
    except hours.HoursParseError as error:
        row.errors.append(str(error))
    row.values = values


def _check_coordinates(row, values, raw):
    values["latitude"] = values["longitude"] = None
    lat_text = (raw.get("latitude") or "").strip()
    lon_text = (raw.get("longitude") or "").strip()
    if lat_text.upper() in {"", "NA"} and lon_text.upper() in {"", "NA"}:
        return
    try:
        lat, lon = float(lat_text), float(lon_text)
    except ValueError:
        row.errors.append(
            _('Coordinates "%(lat)s, %(lon)s" are not numbers; leave both empty if unknown.')
            % {"lat": lat_text, "lon": lon_text}
        )
        return
    if abs(lat) > 90 and abs(lon) <= 90:
        row.errors.append(
            _("Latitude %(lat)s is out of range; are latitude and longitude swapped?")
            % {"lat": lat_text}
        )
    elif not (-90 <= lat <= 90 and -180 <= lon <= 180):
        row.errors.append(
            _("Coordinates %(lat)s, %(lon)s are out of range.") % {"lat": lat_text, "lon": lon_text}
        )
    elif lat == 0 and lon == 0:
        row.errors.append(_("Coordinates 0, 0 are not a real place; leave both empty if unknown."))
    else:
        values["latitude"], values["longitude"] = lat, lon


def _codes(row, text, choices):
    """Codes or labels separated by ";" or "|", e.g. "methadone; Buprenorphine"."""
    if not (text or "").strip():
        return []
    # English labels and the labels in the language of the person importing.
    by_label = {str(label).casefold(): value for value, label in choices.choices}
    with translation.override("en"):
        by_label.update({str(label).casefold(): value for value, label in choices.choices})
    found = []
    for part in text.replace("|", ";").split(";"):
        part = part.strip()
        if not part:
            continue
        code = part if part in choices.values else by_label.get(part.casefold())
        if code is None:
            row.errors.append(_('Unknown value "%(value)s".') % {"value": part})
        elif code not in found:
            found.append(code)
    return found


def field_label(name):
    return next(str(label) for field_name, label, _synonyms in FIELDS if field_name == name)


def write_csv(resources, out):
    """The directory as CSV, in the columns and formats that prepare() reads back."""
    from .models import PAYMENT_FIELDS

    writer = csv_writer(out)
    writer.writerow(FIELD_NAMES)
    for resource in resources:
        payments = [payment for payment, name in PAYMENT_FIELDS.items() if getattr(resource, name)]
        row = {
            name: getattr(resource, name, "")
            for name in FIELD_NAMES
            if name not in {"needs", "languages", "payments", "walk_in", "hours"}
        }
        row["needs"] = "; ".join(resource.need_codes())
        row["languages"] = "; ".join(resource.language_codes())
        row["payments"] = "; ".join(payments)
        row["walk_in"] = {True: "yes", False: "no", None: ""}[resource.walk_in]
        row["hours"] = hours.format_hours(resource.weekly_spans())
        row["latitude"] = "" if resource.latitude is None else resource.latitude
        row["longitude"] = "" if resource.longitude is None else resource.longitude
        row["last_verified_on"] = resource.last_verified_on or ""
        writer.writerow([row[name] for name in FIELD_NAMES])
