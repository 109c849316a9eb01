import uuid

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from haven.accounts.models import Site

from .actions import AlertData, DrugCheckData, OverdoseReportData
from .models import Area, DrugAlert, DrugCheck, NaloxoneDistribution, OverdoseReport, Substance

YES_NO_UNKNOWN = [("yes", _("Yes")), ("no", _("No")), ("unknown", _("Not known"))]


def yes_no_unknown(label):
    return forms.TypedChoiceField(
        label=label,
        choices=YES_NO_UNKNOWN,
        coerce=lambda value: {"yes": True, "no": False}.get(value),
        empty_value=None,
        initial="unknown",
        widget=forms.RadioSelect,
    )


def local_input(value):
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M") if value else ""


class AreaField(forms.ModelChoiceField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Area"))
        kwargs.setdefault(
            "error_messages", {"invalid_choice": _("Choose one of the program's areas.")}
        )
        super().__init__(queryset=Area.objects.filter(active=True), **kwargs)


class SubstancesField(forms.MultipleChoiceField):
    def __init__(self, label, **kwargs):
        super().__init__(
            label=label,
            choices=Substance.choices,
            required=False,
            widget=forms.CheckboxSelectMultiple,
            **kwargs,
        )


class DateTimeLocalField(forms.DateTimeField):
    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class Form(forms.Form):
    """Labels without a trailing colon, as on the rest of Haven's screens."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class OverdoseReportForm(Form):
    client_uuid = forms.UUIDField(widget=forms.HiddenInput)
    occurred_at = DateTimeLocalField(label=_("When it happened"))
    area = AreaField(help_text=_("The neighbourhood or ZIP code, never an address."))
    reported_by = forms.ChoiceField(
        label=_("Who told us"),
        choices=[c for c in OverdoseReport.Reporter.choices if c[0] != "imported"],
        widget=forms.RadioSelect,
    )
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=OverdoseReport.Outcome.choices, widget=forms.RadioSelect
    )
    naloxone_doses = forms.IntegerField(
        label=_("Naloxone doses given"),
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": 0, "max": 20}),
    )
    naloxone_source = forms.ChoiceField(
        label=_("Where the naloxone came from"), choices=OverdoseReport.NaloxoneSource.choices
    )
    emergency_services_called = yes_no_unknown(_("Emergency services called"))
    rescue_breathing = yes_no_unknown(_("Rescue breathing given"))
    stayed_with_person = yes_no_unknown(_("Someone stayed with the person"))
    substances = SubstancesField(_("Substances suspected"))
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, encounter=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.encounter = encounter
        if not self.is_bound:
            self.initial.setdefault("client_uuid", uuid.uuid4())
            self.initial.setdefault(
                "occurred_at", local_input(encounter.occurred_at if encounter else timezone.now())
            )
            self.initial.setdefault("naloxone_source", OverdoseReport.NaloxoneSource.UNKNOWN)
            self.initial.setdefault("outcome", OverdoseReport.Outcome.SURVIVED)
            if encounter is not None and encounter.participant_id:
                self.initial.setdefault("reported_by", OverdoseReport.Reporter.PARTICIPANT)
            area = Area.objects.filter(code=encounter.site.area).first() if encounter else None
            if area is not None:
                self.initial.setdefault("area", area.pk)

    def report_data(self):
        cleaned = self.cleaned_data
        return OverdoseReportData(
            client_uuid=cleaned["client_uuid"],
            occurred_at=cleaned["occurred_at"],
            area=cleaned["area"],
            reported_by=cleaned["reported_by"],
            outcome=cleaned["outcome"],
            naloxone_doses=cleaned.get("naloxone_doses"),
            naloxone_source=cleaned["naloxone_source"],
            emergency_services_called=cleaned.get("emergency_services_called"),
            rescue_breathing=cleaned.get("rescue_breathing"),
            stayed_with_person=cleaned.get("stayed_with_person"),
            substances=cleaned.get("substances") or [],
            note=cleaned.get("note") or "",
            encounter=self.encounter,
        )


class NaloxoneDetailsForm(Form):
    """Formulation and refill reason for each naloxone line of a contact."""

    def __init__(self, *args, lines, refill, reason=None, details=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = lines
        details = {detail.item_id: detail for detail in details or []}
        for line in lines:
            detail = details.get(line.item_id)
            self.fields[f"formulation_{line.item_id}"] = forms.ChoiceField(
                label=_("Formulation"),
                choices=NaloxoneDistribution.Formulation.choices,
                widget=forms.RadioSelect,
                initial=detail.formulation if detail else None,
            )
            if refill is not False:
                self.fields[f"reason_{line.item_id}"] = forms.ChoiceField(
                    label=_("Why a refill"),
                    choices=[
                        ("", _("They did not say")),
                        *NaloxoneDistribution.RefillReason.choices,
                    ],
                    required=False,
                    widget=forms.RadioSelect,
                    initial=detail.refill_reason if detail else reason or "",
                )

    def rows(self):
        return [
            (
                line,
                self[f"formulation_{line.item_id}"],
                self[f"reason_{line.item_id}"] if f"reason_{line.item_id}" in self.fields else None,
            )
            for line in self.lines
        ]

    def choices(self):
        cleaned = self.cleaned_data
        reasons = {line.item_id: cleaned.get(f"reason_{line.item_id}", "") for line in self.lines}
        formulations = {line.item_id: cleaned[f"formulation_{line.item_id}"] for line in self.lines}
        return reasons, formulations


class DrugCheckForm(Form):
    client_uuid = forms.UUIDField(widget=forms.HiddenInput)
    checked_on = forms.DateField(
        label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    site = forms.ModelChoiceField(queryset=Site.objects.none(), label=_("Site"))
    area = AreaField(help_text=_("Where the sample was bought, as near as they will say."))
    sold_as = forms.ChoiceField(label=_("Sold as"), choices=Substance.choices)
    sample_form = forms.ChoiceField(
        label=_("Form"), choices=DrugCheck.SampleForm.choices, widget=forms.RadioSelect
    )
    method = forms.ChoiceField(
        label=_("Method"), choices=DrugCheck.Method.choices, widget=forms.RadioSelect
    )
    result = forms.ChoiceField(
        label=_("Result"), choices=DrugCheck.Result.choices, widget=forms.RadioSelect
    )
    substances_found = SubstancesField(_("Substances found"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        sites = Site.objects.filter(active=True)
        if user.role != "manager":
            sites = sites.filter(staff=user)
        self.fields["site"].queryset = sites
        if not self.is_bound:
            self.initial.setdefault("client_uuid", uuid.uuid4())
            self.initial.setdefault("checked_on", timezone.localdate())
            site = user.default_site()
            self.initial.setdefault("site", site)
            area = Area.objects.filter(code=site.area).first() if site else None
            if area is not None:
                self.initial.setdefault("area", area.pk)

    def check_data(self):
        cleaned = self.cleaned_data
        return DrugCheckData(
            client_uuid=cleaned["client_uuid"],
            checked_on=cleaned["checked_on"],
            area=cleaned["area"],
            site=cleaned["site"],
            sold_as=cleaned["sold_as"],
            sample_form=cleaned["sample_form"],
            method=cleaned["method"],
            result=cleaned["result"],
            substances_found=cleaned.get("substances_found") or [],
        )


class AlertForm(Form):
    title = forms.CharField(label=_("Title"), max_length=120)
    body = forms.CharField(
        label=_("What to look out for"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Never name a person or an exact place; say the area."),
    )
    substances = SubstancesField(_("Substances"))
    area = AreaField(required=False, empty_label=_("The whole program area"))
    severity = forms.ChoiceField(
        label=_("Severity"), choices=DrugAlert.Severity.choices, widget=forms.RadioSelect
    )
    audience = forms.ChoiceField(
        label=_("Who may see it"), choices=DrugAlert.Audience.choices, widget=forms.RadioSelect
    )
    starts_at = DateTimeLocalField(label=_("Starts"))
    expires_at = DateTimeLocalField(label=_("Expires"))
    title_es = forms.CharField(label=_("Title in Spanish"), max_length=120, required=False)
    body_es = forms.CharField(
        label=_("What to look out for, in Spanish"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound and not self.initial:
            now = timezone.now()
            self.initial.update(
                starts_at=local_input(now),
                expires_at=local_input(now + timezone.timedelta(days=7)),
                severity=DrugAlert.Severity.WARNING,
                audience=DrugAlert.Audience.STAFF,
            )

    @staticmethod
    def initial_from(alert):
        initial = {name: getattr(alert, name) for name in ("title", "body", "title_es", "body_es")}
        initial.update(
            substances=alert.substances,
            area=alert.area_id,
            severity=alert.severity,
            audience=alert.audience,
            starts_at=local_input(alert.starts_at),
            expires_at=local_input(alert.expires_at),
        )
        return initial

    def alert_data(self):
        cleaned = self.cleaned_data
        return AlertData(
            title=cleaned["title"],
            body=cleaned["body"],
            title_es=cleaned.get("title_es") or "",
            body_es=cleaned.get("body_es") or "",
            substances=cleaned.get("substances") or [],
            area=cleaned.get("area"),
            severity=cleaned["severity"],
            audience=cleaned["audience"],
            starts_at=cleaned["starts_at"],
            expires_at=cleaned["expires_at"],
        )


class ImportUploadForm(forms.Form):
    """A CSV file of incident records and who they come from; checked, never stored, here."""

    # Kept small enough that the checked file fits in the confirmation form
    # (Django refuses form data over 2.5 MB); a larger file goes through the
    # import_overdose_reports command.
    MAX_BYTES = 2 * 1024 * 1024

    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "Columns: a date (incident_date, date or occurred_at), a place (area, or latitude "
            "and longitude) and optionally narcan_given (TRUE, FALSE or NA)."
        ),
    )
    source = forms.CharField(
        label=_("Source"),
        max_length=OverdoseReport._meta.get_field("source").max_length,
        help_text=_("Who the records come from, e.g. County EMS. Use the same name every time."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > self.MAX_BYTES:
            raise forms.ValidationError(
                _(
                    "The file is larger than %(size)s MB. Split it, or ask an administrator "
                    "to import it with the import_overdose_reports command."
                )
                % {"size": self.MAX_BYTES // (1024 * 1024)}
            )
        return upload
