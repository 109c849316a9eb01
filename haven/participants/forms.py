from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import uic
from .models import Participant


class ParticipantForm(forms.ModelForm):
    """Enrolment and profile. Every field is optional; no name is ever asked.

    Consents are records of their own (haven/consents), asked with
    EnrolmentConsentForm at enrolment and kept on the consents page after.
    """

    class Meta:
        model = Participant
        fields = [
            "alias",
            "year_of_birth",
            "gender",
            "race_ethnicity",
            "zip_code",
        ]
        widgets = {
            "year_of_birth": forms.NumberInput(attrs={"inputmode": "numeric"}),
            "zip_code": forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
            "alias": forms.TextInput(attrs={"autocomplete": "off"}),
        }


class UICForm(forms.Form):
    """The questions for the UIC recipe. Answers are used, then forgotten."""

    LABELS = {
        "mother_first_name": gettext_lazy("Mother's first name"),
        "father_first_name": gettext_lazy("Father's first name"),
        "birth_date": gettext_lazy("Date of birth"),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in uic.fields_needed():
            if name == "birth_date":
                self.fields[name] = forms.DateField(
                    label=self.LABELS[name],
                    required=False,
                    widget=forms.DateInput(attrs={"type": "date"}),
                )
            else:
                self.fields[name] = forms.CharField(
                    label=self.LABELS[name],
                    required=False,
                    max_length=60,
                    widget=forms.TextInput(attrs={"autocomplete": "off"}),
                )

    def clean(self):
        cleaned = super().clean()
        if not any(cleaned.get(name) for name in self.fields):
            cleaned["uic"] = ""
            return cleaned
        try:
            cleaned["uic"] = uic.build(cleaned)
        except uic.UICError as error:
            self.add_error(error.field, str(error))
        return cleaned


class SearchForm(forms.Form):
    q = forms.CharField(
        label=gettext_lazy("Card code, UIC or alias"),
        max_length=60,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )


class MergeForm(forms.Form):
    duplicate_code = forms.CharField(
        label=gettext_lazy("Card code of the duplicate"), max_length=20
    )
    keeper_code = forms.CharField(
        label=gettext_lazy("Card code of the record to keep"), max_length=20
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def _participant(self, field):
        from . import codes, lookup

        text = self.cleaned_data[field]
        try:
            code = codes.validate(text)
        except codes.CardCodeError as error:
            raise forms.ValidationError(str(error)) from error
        participant = lookup.by_card_code_for(self.user, code)
        if participant is None:
            raise forms.ValidationError(
                _("No participant has the card code %(code)s.") % {"code": codes.format_code(code)}
            )
        return participant

    def clean_duplicate_code(self):
        return self._participant("duplicate_code")

    def clean_keeper_code(self):
        return self._participant("keeper_code")
