from django import forms
from django.utils.translation import gettext_lazy

from haven.resources.models import Need, Resource

from .models import Consent, ConsentText, Kind, TextLanguage


class ConsentForm(forms.Form):
    """A consent given or refused. Nothing is chosen in advance: the person decides."""

    kind = forms.ChoiceField(label=gettext_lazy("Consent to"), choices=Kind.choices)
    decision = forms.ChoiceField(
        label=gettext_lazy("Their answer"),
        choices=Consent.Decision.choices,
        widget=forms.RadioSelect,
    )
    how = forms.ChoiceField(
        label=gettext_lazy("How"),
        choices=[c for c in Consent.How.choices if c[0] != Consent.How.OLD_ENROLMENT_FORM],
        widget=forms.RadioSelect,
    )
    language = forms.ChoiceField(
        label=gettext_lazy("Language of the text read or signed"),
        choices=TextLanguage.choices,
        widget=forms.RadioSelect,
    )
    provider = forms.ModelChoiceField(
        label=gettext_lazy("Share with this provider"),
        queryset=Resource.objects.filter(active=True).order_by("name"),
        required=False,
    )
    provider_need = forms.ChoiceField(
        label=gettext_lazy("Or with every provider of"),
        choices=[("", gettext_lazy("Any provider in the directory"))] + list(Need.choices),
        required=False,
    )
    expires_on = forms.DateField(
        label=gettext_lazy("Expires on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    expiry_event = forms.CharField(
        label=gettext_lazy("Or expires upon"), max_length=200, required=False
    )
    discloser = forms.CharField(
        label=gettext_lazy("Who may disclose"), max_length=200, required=False
    )
    information = forms.CharField(
        label=gettext_lazy("How much and what kind of information"), max_length=300, required=False
    )
    purpose = forms.CharField(label=gettext_lazy("Purpose"), max_length=300, required=False)
    told_of_right_to_revoke = forms.BooleanField(
        label=gettext_lazy("They were told they may revoke this consent at any time"),
        required=False,
    )
    signature = forms.CharField(
        label=gettext_lazy("Signature or mark"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        help_text=gettext_lazy(
            "Typed or written by the participant on the screen. Kept encrypted."
        ),
    )


class ConsentTextForm(forms.ModelForm):
    class Meta:
        model = ConsentText
        fields = ["kind", "body_en", "body_es"]
        widgets = {
            "body_en": forms.Textarea(attrs={"rows": 6}),
            "body_es": forms.Textarea(attrs={"rows": 6}),
        }


class EnrolmentConsentForm(forms.Form):
    """The consents asked at enrolment. Each is unanswered until the person answers."""

    ASKED = (Kind.RECORD_KEEPING, Kind.CONTACT, Kind.SHARING)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="consent", **kwargs)
        for kind in self.ASKED:
            # Left unanswered, the consent was not asked and nothing is recorded.
            self.fields[kind] = forms.ChoiceField(
                label=Kind(kind).label,
                choices=Consent.Decision.choices,
                required=False,
                widget=forms.RadioSelect,
            )
        self.fields["how"] = forms.ChoiceField(
            label=gettext_lazy("How they answered"),
            choices=ConsentForm.base_fields["how"].choices,
            required=False,
            widget=forms.RadioSelect,
        )
        self.fields["language"] = forms.ChoiceField(
            label=gettext_lazy("Language of the text read"),
            choices=TextLanguage.choices,
            required=False,
            widget=forms.RadioSelect,
        )

    def answers(self):
        return {kind: self.cleaned_data[kind] for kind in self.ASKED if self.cleaned_data.get(kind)}

    def clean(self):
        cleaned = super().clean()
        if self.answers():
            if not cleaned.get("how"):
                self.add_error("how", gettext_lazy("Say how they answered."))
            if not cleaned.get("language"):
                self.add_error("language", gettext_lazy("Say in which language the text was read."))
        return cleaned
