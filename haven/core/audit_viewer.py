"""Reading the audit log: its filters, readable names for its entries, and exports.

Admins read the audit log but never a participant's record, so an entry names
a participant by card code only (the pseudonym on their card; never alias,
notes or demographics), and records by kind, date and site, never their content.
"""

import datetime
import io
import json

from django import forms
from django.apps import apps
from django.contrib.auth import get_user_model
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.styles import Font

from haven.participants import codes

from . import part2
from .models import AuditEntry
from .spreadsheet import csv_writer, xlsx_row


class AuditFilterForm(forms.Form):
    participant = forms.CharField(
        label=gettext_lazy("Participant card code"),
        required=False,
        help_text=gettext_lazy(
            "Everyone who read or changed this participant's record, "
            "and the records linked to it as duplicates."
        ),
    )
    user = forms.ChoiceField(label=gettext_lazy("Staff member"), required=False)
    action = forms.ChoiceField(label=gettext_lazy("Action"), required=False)
    object_type = forms.ChoiceField(label=gettext_lazy("Record type"), required=False)
    since = forms.DateField(
        label=gettext_lazy("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    until = forms.DateField(
        label=gettext_lazy("To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    # Card codes never go in addresses (docs/privacy.md): a typed card code is
    # posted, and the page, its pages and its exports name the participant by
    # database id in the query string.
    PARTICIPANT_IN_ADDRESS = "participant_id"

    def __init__(self, *args, unknown_participant=False, **kwargs):
        self.unknown_participant = unknown_participant
        super().__init__(*args, **kwargs)
        usernames = get_user_model().objects.order_by("username").values_list("username", flat=True)
        self.fields["user"].choices = [("", _("Anyone"))] + [(name, name) for name in usernames]
        self.fields["action"].choices = [("", _("Any"))] + AuditEntry.Action.choices
        types = AuditEntry.objects.order_by("object_type").values_list("object_type", flat=True)
        self.fields["object_type"].choices = [("", _("Any"))] + [
            (kind, f"{kind_of(kind)} ({kind})") for kind in types.distinct() if kind
        ]
        for name in ("since", "until"):
            self.fields[name].error_messages["invalid"] = _("Enter a date as YYYY-MM-DD.")

    def clean_participant(self):
        text = self.cleaned_data["participant"].strip()
        if not text:
            return ""
        try:
            return codes.validate(text)
        except codes.CardCodeError as error:
            raise forms.ValidationError(str(error)) from error

    @classmethod
    def from_address(cls, query):
        """The filters of a page's or an export's query string (participant by database id)."""
        data = query.copy()
        data.pop("participant", None)
        wanted = data.pop(cls.PARTICIPANT_IN_ADDRESS, [""])[-1]
        person = None
        if wanted:
            model = apps.get_model("participants", "participant")
            person = model.objects.filter(pk=wanted).first() if wanted.isdigit() else None
            data["participant"] = person.card_code if person else ""
        return cls(data, unknown_participant=bool(wanted) and person is None)

    def address_query(self):
        """The query string of these (valid) filters: ids and dates, never a card code."""
        data = self.cleaned_data
        query = QueryDict(mutable=True)
        person = self.chosen_participant()
        if person is not None:
            query[self.PARTICIPANT_IN_ADDRESS] = str(person.pk)
        for name in ("user", "action", "object_type"):
            if data[name]:
                query[name] = data[name]
        for name in ("since", "until"):
            if data[name]:
                query[name] = data[name].isoformat()
        return query.urlencode()

    def clean(self):
        cleaned = super().clean()
        if self.unknown_participant or (
            cleaned.get("participant") and self.chosen_participant() is None
        ):
            self.add_error("participant", _("No participant has this card code."))
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            self.add_error("until", _("The end of the period is before its start."))
        return cleaned

    def entries(self):
        """The entries these (valid) filters select, newest first, with user and participant."""
        entries = AuditEntry.objects.select_related("user", "participant").order_by("-at", "-id")
        data = self.cleaned_data
        if data["participant"]:
            # A person may have duplicate records linked to one kept record:
            # who read "this participant" means any of them.
            person = self.chosen_participant()
            linked = person.canonical().linked_ids() if person is not None else []
            entries = entries.filter(participant_id__in=linked)
        if data["user"]:
            entries = entries.filter(user__username=data["user"])
        if data["action"]:
            entries = entries.filter(action=data["action"])
        if data["object_type"]:
            entries = entries.filter(object_type=data["object_type"])
        if data["since"]:
            entries = entries.filter(at__gte=_start_of(data["since"]))
        if data["until"]:
            entries = entries.filter(at__lt=_start_of(data["until"] + datetime.timedelta(days=1)))
        return entries

    def chosen_participant(self):
        """The participant the filters name, for the audit entry of an export."""
        if not self.cleaned_data.get("participant"):
            return None
        model = apps.get_model("participants", "participant")
        return model.objects.filter(card_code=self.cleaned_data["participant"]).first()

    def described(self):
        """The other filters, for the audit entry of an export: ids, never names or codes."""
        data = self.cleaned_data
        described = {
            name: str(data[name])
            for name in ("action", "object_type", "since", "until")
            if data[name]
        }
        if data["user"]:
            described["user_id"] = (
                get_user_model()
                .objects.filter(username=data["user"])
                .values_list("pk", flat=True)
                .first()
            )
        return described


def _start_of(day):
    """Midnight of `day` in the program's time zone: periods are the program's days."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time()))


def _label_contacts(ids):
    model = apps.get_model("outreach", "encounter")
    contacts = model.objects.select_related("site").only("occurred_at", "site__name").in_bulk(ids)
    return {
        pk: _("contact %(date)s at %(site)s")
        % {"date": f"{timezone.localtime(c.occurred_at):%Y-%m-%d}", "site": c.site.name}
        for pk, c in contacts.items()
    }


def _label_users(ids):
    return dict(get_user_model().objects.filter(pk__in=ids).values_list("pk", "username"))


def _label_sites(ids):
    model = apps.get_model("accounts", "site")
    return dict(model.objects.filter(pk__in=ids).values_list("pk", "name"))


def _label_participants(ids):
    model = apps.get_model("participants", "participant")
    return {
        pk: _("participant %(code)s") % {"code": codes.format_code(code)}
        for pk, code in model.objects.filter(pk__in=ids).values_list("pk", "card_code")
    }


# Record types named by more than their kind and id, each read with one query
# per page of entries. Labels read nothing that only participant roles may see.
LABELS = {
    "outreach.encounter": _label_contacts,
    "accounts.user": _label_users,
    "accounts.site": _label_sites,
    "participants.participant": _label_participants,
}


def kind_of(object_type):
    """The record type's name as people say it ("contact"), or the type as stored."""
    if object_type == "outreach.encounter":
        return _("contact")
    try:
        return str(apps.get_model(object_type)._meta.verbose_name)
    except (LookupError, ValueError):
        return object_type


def label(entries):
    """Set `record_label` on each entry: e.g. "contact 2026-11-03 at Downtown"."""
    wanted = {}
    for entry in entries:
        if entry.object_type in LABELS and entry.object_id.isdigit():
            wanted.setdefault(entry.object_type, set()).add(int(entry.object_id))
    found = {kind: LABELS[kind](ids) for kind, ids in wanted.items()}
    for entry in entries:
        name = None
        if entry.object_id.isdigit():
            name = found.get(entry.object_type, {}).get(int(entry.object_id))
        if name is None and entry.object_type:
            name = f"{kind_of(entry.object_type)} {entry.object_id}".strip()
        entry.record_label = name or ""
    return entries


def participants_of(entries):
    """The participants these entries name (an export reads each one's card code)."""
    model = apps.get_model("participants", "participant")
    named = entries.exclude(participant=None).order_by().values("participant_id").distinct()
    return model.objects.filter(pk__in=named).only("pk").order_by("pk").iterator()


def participant_code(entry):
    return entry.participant.display_code if entry.participant_id else ""


def columns():
    return [
        _("Sequence"),
        _("When"),
        _("Who"),
        _("Action"),
        _("Record"),
        _("Record type"),
        _("Record id"),
        _("Participant card code"),
        _("Page"),
        _("Details"),
        _("Entry hash"),
    ]


def rows(entries, batch=1000):
    """One row per entry, for CSV and XLSX; read in batches so a long log fits in memory."""
    chunk = []
    for entry in entries.iterator(chunk_size=batch):
        chunk.append(entry)
        if len(chunk) == batch:
            yield from _rows_of(chunk)
            chunk = []
    yield from _rows_of(chunk)


def _rows_of(chunk):
    for entry in label(chunk):
        yield [
            value
            for value in (
                entry.sequence,
                timezone.localtime(entry.at).strftime("%Y-%m-%d %H:%M:%S"),
                entry.user.username if entry.user_id else "",
                entry.get_action_display(),
                entry.record_label,
                entry.object_type,
                entry.object_id,
                participant_code(entry),
                entry.page,
                json.dumps(entry.detail, sort_keys=True, ensure_ascii=False)
                if entry.detail
                else "",
                entry.entry_hash,
            )
        ]


def notice_rows():
    """The rows a file opens with: in Part 2 mode, the 42 CFR 2.32 notice and a blank
    row, since the card codes in it are participant records that can leave the program."""
    text = part2.notice()
    return [[text], []] if text else []


def as_csv(entries):
    out = io.StringIO()
    writer = csv_writer(out)
    writer.writerows(notice_rows())
    writer.writerow(columns())
    writer.writerows(rows(entries))
    return out.getvalue().encode("utf-8-sig")


def as_xlsx(entries):
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Audit log")
    for row in notice_rows():
        xlsx_row(sheet, row)
    for cell in xlsx_row(sheet, columns()):
        cell.font = Font(bold=True)
    for row in rows(entries):
        xlsx_row(sheet, row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


FORMATS = {
    "csv": ("text/csv; charset=utf-8", as_csv),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", as_xlsx),
}
