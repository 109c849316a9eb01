import uuid

from django import forms
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from haven.accounts.models import Site
from haven.core import access
from haven.participants import codes, lookup
from haven.participants.models import Participant

from . import catalog
from .actions import EncounterData
from .models import Encounter


class CatalogChoiceField(forms.TypedChoiceField):
    """One row of the contact catalog (catalog.py), checked without a query."""

    def __init__(self, **kwargs):
        super().__init__(coerce=int, **kwargs)
        self.rows = {}

    def offer(self, rows, label=str):
        self.rows = {row.pk: row for row in rows}
        self.choices = [("", "---------")] + [(row.pk, label(row)) for row in rows]

    def clean(self, value):
        pk = super().clean(value)
        return self.rows.get(pk) if pk not in (None, "") else None


class CatalogMultipleChoiceField(forms.TypedMultipleChoiceField):
    """Rows of the contact catalog, checked without a query."""

    def __init__(self, **kwargs):
        super().__init__(coerce=int, **kwargs)
        self.rows = {}

    def offer(self, rows, label=str):
        self.rows = {row.pk: row for row in rows}
        self.choices = [(row.pk, label(row)) for row in rows]

    def clean(self, value):
        return [self.rows[pk] for pk in super().clean(value)]


class QuickLogForm(forms.Form):
    """The quick-log screen: a participant (or anonymous people), what was given."""

    client_uuid = forms.UUIDField(widget=forms.HiddenInput)
    participant = forms.ModelChoiceField(
        # Made per user in __init__ (access.openable): nobody until then.
        queryset=Participant.objects.none(),
        required=False,
        widget=forms.RadioSelect,
        label=gettext_lazy("Recent participants"),
    )
    card_code = forms.CharField(
        label=gettext_lazy("Card code"),
        required=False,
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )
    anonymous = forms.BooleanField(label=gettext_lazy("Anonymous contact"), required=False)
    anonymous_people = forms.IntegerField(
        label=gettext_lazy("How many people"), required=False, min_value=1, max_value=200
    )
    site = CatalogChoiceField(label=gettext_lazy("Site"))
    contact_type = forms.ChoiceField(
        choices=Encounter.ContactType.choices,
        widget=forms.RadioSelect,
        label=gettext_lazy("Contact type"),
    )
    services = CatalogMultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=gettext_lazy("Services"),
    )
    secondary_people = forms.IntegerField(
        label=gettext_lazy("People reached through secondary distribution"),
        min_value=0,
        max_value=200,
        initial=0,
        required=False,
    )
    occurred_at = forms.DateTimeField(
        label=gettext_lazy("When (leave empty for now)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    note = forms.CharField(
        label=gettext_lazy("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, user, recent=(), encounter=None, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.user = user
        self.encounter = encounter
        # A recent participant is sent by id: one out of the user's record
        # scope is not a choice, as an id nobody has (the same statement).
        # Most contacts are saved by card code: the query is built only for an id.
        if not self.is_bound or self.data.get("participant"):
            self.fields["participant"].queryset = access.openable(
                user, Participant.objects.filter(merged_into__isnull=True)
            )
        contact_catalog = catalog.current(user)
        sites = [site for site in contact_catalog.sites.values() if site.active]
        if user.role != "manager":
            sites = [site for site in sites if site.pk in user.allowed_site_ids()]
        self.fields["site"].offer(sites)
        self.offer_recent(recent)
        language = get_language()
        self.fields["services"].offer(
            contact_catalog.active_services, label=lambda s: s.localised_name(language)
        )
        self.items = contact_catalog.active_items
        self.kits = contact_catalog.kits_handed_out
        self.language = language
        # A quantity field per item and kit of the catalog; a form that is
        # posted needs only those it was sent a quantity for (the empty ones
        # would clean to nothing), and makes the others when it is shown again.
        quantities = contact_catalog.quantity_fields
        if self.is_bound:
            posted = {name for name, value in self.data.items() if value and name in quantities}
            quantities = {name: row for name, row in quantities.items() if name in posted}
        self.quantities = quantities
        for prefix, row in quantities.values():
            self._quantity(prefix, row)
        if not self.is_bound and encounter is None:
            self.initial.setdefault("client_uuid", uuid.uuid4())
            self.initial.setdefault("site", getattr(user.default_site(), "pk", None))
            self.initial.setdefault("contact_type", _default_contact_type(user.default_site()))

    def offer_recent(self, recent):
        """Offer these participants (seen lately) to pick from."""
        self.fields["participant"].choices = [("", _("Someone else"))] + [
            (p.pk, p.alias and f"{p.alias} · {p.display_code}" or p.display_code) for p in recent
        ]

    # A short catalog is shown whole; a long one shows the kits and usual
    # supplies, with the rest one tap away.
    SHORT_CATALOG = 12

    def _quantity(self, prefix, row):
        """The bound quantity field of a kit ("kit") or an item ("supply"), made when asked."""
        name = f"{prefix}_{row.pk}"
        if name not in self.fields:
            self.fields[name] = forms.IntegerField(
                label=row.localised_name(self.language),
                required=False,
                min_value=0,
                max_value=50 if prefix == "kit" else None,
                widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": 0, "class": "qty"}),
            )
        return self[name]

    def supply_fields(self):
        """Kits and the supplies shown first: [(kit or item, bound field)]."""
        kits = [(kit, self._quantity("kit", kit)) for kit in self.kits]
        shown = [i for i in self.items if i.usual or len(self.items) <= self.SHORT_CATALOG]
        return kits + [(item, self._quantity("supply", item)) for item in shown]

    def more_supply_fields(self):
        """The rest of a long catalog."""
        if len(self.items) <= self.SHORT_CATALOG:
            return []
        return [(item, self._quantity("supply", item)) for item in self.items if not item.usual]

    def more_supplies_open(self):
        """Open the rest of the catalog when one of its lines is filled in or wrong."""
        return any(field.value() or field.errors for _item, field in self.more_supply_fields())

    def clean_card_code(self):
        text = self.cleaned_data["card_code"]
        if not text.strip():
            return None
        try:
            code = codes.validate(text)
        except codes.CardCodeError as error:
            raise forms.ValidationError(str(error)) from error
        participant = lookup.by_card_code_for(self.user, code)
        if participant is None:
            raise forms.ValidationError(
                _("No participant has the card code %(code)s.") % {"code": codes.format_code(code)}
            )
        return participant.canonical()

    def clean(self):
        cleaned = super().clean()
        participant = cleaned.get("card_code") or cleaned.get("participant")
        if cleaned.get("anonymous"):
            if participant is not None and self.encounter is None:
                self.add_error("anonymous", _("Clear the participant to log an anonymous contact."))
            if not cleaned.get("anonymous_people"):
                self.add_error("anonymous_people", _("Enter how many people (at least 1)."))
        elif participant is None and "card_code" not in self.errors:
            self.add_error(
                "card_code",
                _("Enter a card code, pick a recent participant, or tick “Anonymous contact”."),
            )
        cleaned["the_participant"] = None if cleaned.get("anonymous") else participant
        return cleaned

    def encounter_data(self):
        cleaned = self.cleaned_data
        given = {"kit": {}, "supply": {}}  # in the catalog's order
        for name, (prefix, row) in self.quantities.items():
            if cleaned.get(name):
                given[prefix][row] = cleaned[name]
        supplies, kits = given["supply"], given["kit"]
        anonymous = bool(cleaned.get("anonymous"))
        return EncounterData(
            client_uuid=cleaned["client_uuid"],
            site=cleaned["site"],
            contact_type=cleaned["contact_type"],
            occurred_at=cleaned.get("occurred_at"),
            participant=cleaned["the_participant"],
            anonymous_people=(cleaned.get("anonymous_people") or 0) if anonymous else 0,
            services=list(cleaned.get("services") or []),
            supplies=supplies,
            kits=kits,
            secondary_people=cleaned.get("secondary_people") or 0,
            note=cleaned.get("note") or "",
        )


def _default_contact_type(site):
    by_site_kind = {
        Site.Kind.MOBILE: Encounter.ContactType.MOBILE,
        Site.Kind.STREET: Encounter.ContactType.STREET,
        Site.Kind.MAIL: Encounter.ContactType.MAIL,
    }
    return by_site_kind.get(getattr(site, "kind", None), Encounter.ContactType.FIXED)


def initial_from_encounter(encounter):
    initial = {
        "client_uuid": encounter.client_uuid,
        "site": encounter.site_id,
        "contact_type": encounter.contact_type,
        "anonymous": encounter.participant_id is None,
        "anonymous_people": encounter.anonymous_people or None,
        "services": list(encounter.services.values_list("pk", flat=True)),
        "secondary_people": encounter.secondary_people,
        "occurred_at": timezone.localtime(encounter.occurred_at).strftime("%Y-%m-%dT%H:%M"),
        "note": encounter.note,
    }
    if encounter.participant_id:
        initial["card_code"] = encounter.participant.display_code
    for line in encounter.supplies.all():
        initial[f"supply_{line.item_id}"] = line.quantity
    return initial
