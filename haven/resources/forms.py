import datetime

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from haven.accounts.models import Site

from . import hours, importing, search
from .models import Guide, ImportMapping, Language, Need, Payment, Referral, Resource

MILES = [(2, "2 mi"), (5, "5 mi"), (10, "10 mi"), (25, "25 mi"), (50, "50 mi")]
UNKNOWN_NEED = {"invalid_choice": gettext_lazy("Unknown need: %(value)s.")}


class ChoicesOrAny(forms.MultipleChoiceField):
    """Several choices, where an empty choice ("Anything", "Any language") means none."""

    def to_python(self, value):
        return [choice for choice in super().to_python(value) if choice]


class SearchForm(forms.Form):
    needs = ChoicesOrAny(
        label=gettext_lazy("Needs"),
        choices=Need.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages=UNKNOWN_NEED,
    )
    open_now = forms.BooleanField(label=gettext_lazy("Open now"), required=False)
    at = forms.DateTimeField(
        label=gettext_lazy("Or open at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    site = forms.ModelChoiceField(
        label=gettext_lazy("Near site"),
        queryset=Site.objects.filter(active=True),
        required=False,
        empty_label=gettext_lazy("My current site"),
    )
    place = forms.CharField(
        label=gettext_lazy("Or near a ZIP code or city"), required=False, max_length=60
    )
    lat = forms.FloatField(required=False, widget=forms.HiddenInput)
    lon = forms.FloatField(required=False, widget=forms.HiddenInput)
    miles = forms.TypedChoiceField(
        label=gettext_lazy("Within"), choices=MILES, coerce=int, initial=10, required=False
    )
    languages = ChoicesOrAny(
        label=gettext_lazy("Language"),
        choices=Language.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    payments = ChoicesOrAny(
        label=gettext_lazy("Payment"),
        choices=Payment.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    walk_in = forms.BooleanField(label=gettext_lazy("Walk-in or same day"), required=False)

    def clean(self):
        data = super().clean()
        lat, lon = data.get("lat"), data.get("lon")
        data["origin"] = None
        data["origin_label"] = ""
        if lat is not None or lon is not None:
            if not search.valid_origin(lat, lon):
                raise forms.ValidationError(_("Your location could not be read; type a ZIP code."))
            data["origin"] = (lat, lon)
            data["origin_label"] = _("your location")
        elif data.get("place"):
            data["origin"] = search.area_centre(data["place"])
            data["origin_label"] = data["place"]
            if data["origin"] is None:
                self.add_error(
                    "place",
                    _(
                        'We do not know where "%(place)s" is. Try a ZIP code or a city that '
                        "has entries in the directory."
                    )
                    % {"place": data["place"]},
                )
        return data

    def origin_for(self, user):
        """The point to measure from: typed, located, chosen site, or the user's site."""
        if self.cleaned_data["origin"] is not None:
            return self.cleaned_data["origin"], self.cleaned_data["origin_label"]
        site = self.cleaned_data.get("site") or user.default_site()
        if site is not None and site.area:
            centre = search.area_centre(site.area)
            if centre is not None:
                return centre, str(site)
        return None, ""

    def query(self, origin, *, public_only=False):
        data = self.cleaned_data
        return search.Query(
            needs=data["needs"],
            open_now=data["open_now"],
            at=data.get("at"),
            origin=origin,
            radius_km=(data.get("miles") or 10) * 1.609344,
            languages=data["languages"],
            payments=data["payments"],
            walk_in=data["walk_in"],
            public_only=public_only,
        )


class ResourceForm(forms.ModelForm):
    website = forms.URLField(label=gettext_lazy("website"), required=False, assume_scheme="https")
    needs = forms.MultipleChoiceField(
        label=gettext_lazy("Services offered"),
        choices=Need.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    languages = forms.MultipleChoiceField(
        label=gettext_lazy("Languages spoken"),
        choices=Language.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    hours = forms.CharField(
        label=gettext_lazy("Opening hours"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            'e.g. "Mon-Fri 08:00-17:00; Sat 22:00-06:00" (overnight) or "24/7". '
            "Leave empty when not known."
        ),
    )
    exceptions = forms.CharField(
        label=gettext_lazy("Holidays and closures"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            'One date per line: "2025-12-25 closed Christmas" or "2025-12-24 09:00-12:00".'
        ),
    )

    class Meta:
        model = Resource
        fields = [
            "name",
            "organisation",
            "address_line1",
            "address_line2",
            "city",
            "state",
            "zip_code",
            "county",
            "latitude",
            "longitude",
            "phone",
            "website",
            "walk_in",
            "same_day",
            "accepts_medicaid",
            "accepts_medicare",
            "accepts_private",
            "accepts_uninsured",
            "sliding_scale",
            "free",
            "requirements",
            "notes",
            "public",
            "active",
        ]
        widgets = {
            "requirements": forms.Textarea(attrs={"rows": 2}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        resource = self.instance
        if resource.pk and not self.is_bound:
            self.initial["needs"] = resource.need_codes()
            self.initial["languages"] = resource.language_codes()
            self.initial["hours"] = hours.format_hours(resource.weekly_spans())
            self.initial["exceptions"] = "\n".join(
                f"{row.date} "
                + ("closed" if row.closed else f"{row.opens:%H:%M}-{row.closes:%H:%M}")
                + (f" {row.reason}" if row.reason else "")
                for row in resource.hours_exceptions.all()
            )

    def clean_hours(self):
        try:
            return hours.parse_hours(self.cleaned_data["hours"])
        except hours.HoursParseError as error:
            raise forms.ValidationError(str(error)) from error

    def clean_exceptions(self):
        return parse_exceptions(self.cleaned_data["exceptions"])

    def clean(self):
        data = super().clean()
        if (data.get("latitude") is None) != (data.get("longitude") is None):
            raise forms.ValidationError(_("Give both latitude and longitude, or neither."))
        return data


def parse_exceptions(text):
    """{date: (spans, reason)} from lines like "2025-12-25 closed Christmas"."""
    exceptions = {}
    for line in (text or "").splitlines():
        parts = line.split(maxsplit=2)
        if not parts:
            continue
        try:
            date = datetime.date.fromisoformat(parts[0])
        except ValueError:
            raise forms.ValidationError(
                _('"%(line)s" should start with a date like 2025-12-25.') % {"line": line}
            ) from None
        what = parts[1] if len(parts) > 1 else "closed"
        reason = parts[2] if len(parts) > 2 else ""
        if what.casefold() in {"closed", "cerrado"}:
            spans = []
        else:
            names = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
            try:
                spans = hours.parse_hours(f"{names[date.weekday()]} {what}")
            except hours.HoursParseError as error:
                raise forms.ValidationError(
                    _('"%(line)s": write "closed" or hours like 09:00-12:00.') % {"line": line}
                ) from error
        exceptions[date] = (spans, reason[:120])
    return exceptions


class UploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("CSV file"))
    encoding = forms.ChoiceField(
        label=gettext_lazy("Encoding"), choices=importing.ENCODINGS, initial="utf-8-sig"
    )
    mapping = forms.ModelChoiceField(
        label=gettext_lazy("Column mapping"),
        queryset=ImportMapping.objects.all(),
        required=False,
        empty_label=gettext_lazy("Guess from the column names"),
    )
    source = forms.CharField(
        label=gettext_lazy("Source"),
        max_length=100,
        required=False,
        help_text=gettext_lazy("Where the list comes from, e.g. SAMHSA 2024."),
    )


class MappingForm(forms.Form):
    """One choice of CSV column for each Haven field, plus needs every row offers."""

    fixed_needs = forms.MultipleChoiceField(
        label=gettext_lazy("Every row offers"),
        choices=Need.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("e.g. an opioid treatment program list: methadone."),
    )
    update_existing = forms.BooleanField(
        label=gettext_lazy("Add what this file knows to entries already in the directory"),
        required=False,
        initial=True,
        help_text=gettext_lazy(
            "Only what an entry does not know yet (e.g. methadone, a phone number); nothing "
            "it knows is overwritten. Untick to skip rows matching an existing entry."
        ),
    )
    save_as = forms.CharField(
        label=gettext_lazy("Save this mapping as"), max_length=100, required=False
    )

    def __init__(self, *args, header, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", _("— not in this file —"))] + [(column, column) for column in header]
        for name, label, _synonyms in importing.FIELDS:
            self.fields[f"column_{name}"] = forms.ChoiceField(
                label=label, choices=choices, required=False
            )

    def mapping(self):
        return {
            name: self.cleaned_data[f"column_{name}"]
            for name in importing.FIELD_NAMES
            if self.cleaned_data.get(f"column_{name}")
        }

    def column_fields(self):
        return [self[f"column_{name}"] for name in importing.FIELD_NAMES]

    def clean_save_as(self):
        name = self.cleaned_data["save_as"].strip()
        if name and ImportMapping.objects.filter(name=name).exists():
            raise forms.ValidationError(_("A mapping with this name exists; choose another."))
        return name


class ReferralForm(forms.Form):
    need = forms.ChoiceField(label=gettext_lazy("Need"), choices=Need.choices)
    site = forms.ModelChoiceField(label=gettext_lazy("Site"), queryset=Site.objects.none())
    follow_up_on = forms.DateField(
        label=gettext_lazy("Follow up on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("Leave empty for a week from today."),
    )
    note = forms.CharField(
        label=gettext_lazy("Note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Kept encrypted."),
    )
    share_details = forms.BooleanField(
        label=gettext_lazy("Share their details with the provider"),
        required=False,
        help_text=gettext_lazy(
            "Card code, alias, year of birth and the need. Needs their consent to share."
        ),
    )

    def __init__(self, *args, user, resource, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = Site.objects.filter(
            active=True, pk__in=user.allowed_site_ids()
        )
        self.fields["site"].initial = user.default_site()
        offered = resource.need_codes()
        if offered:
            self.fields["need"].choices = [c for c in Need.choices if c[0] in offered]


class ReferralStatusForm(forms.Form):
    status = forms.ChoiceField(label=gettext_lazy("Status"), choices=Referral.Status.choices)
    follow_up_on = forms.DateField(
        label=gettext_lazy("Next follow-up"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    note = forms.CharField(
        label=gettext_lazy("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class GuideForm(forms.ModelForm):
    steps = forms.CharField(
        label=gettext_lazy("Steps"),
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=gettext_lazy("One step per line, in order."),
    )

    class Meta:
        model = Guide
        fields = ["title", "language", "summary"]
        widgets = {"summary": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["steps"] = "\n".join(step.text for step in self.instance.steps.all())


class BrochureForm(forms.Form):
    site = forms.ModelChoiceField(
        label=gettext_lazy("Site"), queryset=Site.objects.filter(active=True)
    )
    language = forms.ChoiceField(
        label=gettext_lazy("Language"), choices=[("en", "English"), ("es", "Español")]
    )
    needs = forms.MultipleChoiceField(
        label=gettext_lazy("Services"),
        choices=Need.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages=UNKNOWN_NEED,
    )
    miles = forms.TypedChoiceField(
        label=gettext_lazy("Within"), choices=MILES, coerce=int, initial=10
    )
