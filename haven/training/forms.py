import uuid

from django import forms
from django.core import signing
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from haven.accounts.models import Site, User
from haven.core.permissions import PARTICIPANT_ROLES
from haven.participants import codes, lookup
from haven.supplies.models import Item

from .actions import SessionData
from .models import Area, Audience, Language, QuizAttempt, Topic

# The most people a session's headcount may say.
MAX_HEADCOUNT = 2000
# Kits handed out at a session: the program's naloxone items.
KIT_CATEGORY = "naloxone"


class SessionForm(forms.Form):
    client_uuid = forms.UUIDField(widget=forms.HiddenInput)
    topic = forms.ChoiceField(label=gettext_lazy("Topic"), choices=Topic.choices)
    held_on = forms.DateField(
        label=gettext_lazy("Date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    site = forms.ModelChoiceField(
        queryset=Site.objects.none(), required=False, label=gettext_lazy("At one of our sites")
    )
    place = forms.CharField(
        label=gettext_lazy("Or where"),
        required=False,
        max_length=200,
        help_text=gettext_lazy("e.g. a shelter, a library, a pharmacy. No one's home address."),
    )
    audience = forms.ChoiceField(label=gettext_lazy("Audience"), choices=Audience.choices)
    language = forms.ChoiceField(label=gettext_lazy("Language"), choices=Language.choices)
    headcount = forms.IntegerField(
        label=gettext_lazy("People present"), min_value=0, max_value=MAX_HEADCOUNT, initial=0
    )
    trainers = forms.ModelMultipleChoiceField(
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=gettext_lazy("Other trainers"),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["site"].queryset = Site.objects.filter(
            pk__in=user.allowed_site_ids(), active=True
        )
        self.fields["trainers"].queryset = (
            User.objects.filter(role__in=PARTICIPANT_ROLES, is_active=True)
            .exclude(pk=user.pk)
            .order_by("username")
        )
        self.initial.setdefault("client_uuid", uuid.uuid4())
        self.initial.setdefault("held_on", timezone.localdate())
        self.initial.setdefault("site", user.default_site())
        self.initial.setdefault("language", get_language() if get_language() == "es" else "en")
        self.items = list(Item.objects.filter(category=KIT_CATEGORY, active=True).order_by("pk"))
        for item in self.items:
            self.fields[f"item_{item.pk}"] = forms.IntegerField(
                label=_("%(item)s handed out") % {"item": item.localised_name(get_language())},
                min_value=0,
                max_value=500,
                initial=0,
                required=False,
            )

    def kit_fields(self):
        return [self[f"item_{item.pk}"] for item in self.items]

    def main_fields(self):
        return [f for f in self.visible_fields() if not f.name.startswith("item_")]

    def session_data(self):
        data = self.cleaned_data
        return SessionData(
            client_uuid=data["client_uuid"],
            topic=data["topic"],
            held_on=data["held_on"],
            site=data["site"],
            place=data["place"],
            audience=data["audience"],
            language=data["language"],
            headcount=data["headcount"],
            trainers=[self.user, *data["trainers"]],
            supplies={
                item: data[f"item_{item.pk}"] for item in self.items if data[f"item_{item.pk}"]
            },
        )


class AttendeeForm(forms.Form):
    client_uuid = forms.UUIDField(widget=forms.HiddenInput)
    card_code = forms.CharField(
        label=gettext_lazy("Card code (a participant)"),
        required=False,
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )
    name = forms.CharField(
        label=gettext_lazy("Name for a certificate"),
        required=False,
        max_length=120,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    consent = forms.BooleanField(
        label=gettext_lazy(
            "They want a certificate and agree to their name being kept and printed"
        ),
        required=False,
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.initial.setdefault("client_uuid", uuid.uuid4())

    def clean_card_code(self):
        text = self.cleaned_data["card_code"].strip()
        if not text:
            return None
        try:
            code = codes.validate(text)
        except codes.CardCodeError as error:
            raise forms.ValidationError(str(error)) from error
        participant = lookup.by_card_code_for(self.user, code)
        if participant is None:
            raise forms.ValidationError(_("No participant has this card code."))
        return participant


class QuizForm(forms.Form):
    """The quiz: one radio group per question, in the page's language."""

    client_uuid = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, questions, language, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("client_uuid", uuid.uuid4())
        self.questions = questions
        for number, question in enumerate(questions, start=1):
            self.fields[f"q{question.pk}"] = forms.TypedChoiceField(
                label=f"{number}. {question.localised(language)}",
                choices=[
                    (choice.pk, choice.localised(language)) for choice in question.choices.all()
                ],
                coerce=int,
                widget=forms.RadioSelect,
                error_messages={"required": _("Choose an answer.")},
            )

    def answers(self):
        return {question.pk: self.cleaned_data[f"q{question.pk}"] for question in self.questions}


class CourseTextForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("Good Samaritan protections, in English"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=2000,
    )
    text_es = forms.CharField(
        label=gettext_lazy("Good Samaritan protections, in Spanish"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=2000,
        required=False,
    )


class QuestionForm(forms.Form):
    """A quiz question and its answers, in English and Spanish; one answer is right."""

    area = forms.ChoiceField(label=gettext_lazy("Area"), choices=Area.choices)
    text = forms.CharField(label=gettext_lazy("Question"), max_length=300)
    text_es = forms.CharField(label=gettext_lazy("Question in Spanish"), max_length=300)
    active = forms.BooleanField(label=gettext_lazy("In the quiz"), required=False, initial=True)

    def __init__(self, *args, question=None, **kwargs):
        super().__init__(*args, **kwargs)
        choices = list(question.choices.all()) if question else []
        count = max(3, len(choices))
        if question:
            self.initial.update(
                area=question.area,
                text=question.text,
                text_es=question.text_es,
                active=question.active,
            )
        for index in range(count):
            number = index + 1
            choice = choices[index] if index < len(choices) else None
            self.fields[f"choice_{index}"] = forms.CharField(
                label=_("Answer %(n)s") % {"n": number},
                max_length=200,
                required=index < 2,
                initial=choice.text if choice else "",
            )
            self.fields[f"choice_{index}_es"] = forms.CharField(
                label=_("Answer %(n)s in Spanish") % {"n": number},
                max_length=200,
                required=index < 2,
                initial=choice.text_es if choice else "",
            )
        self.fields["correct"] = forms.TypedChoiceField(
            label=gettext_lazy("The right answer"),
            choices=[(index, _("Answer %(n)s") % {"n": index + 1}) for index in range(count)],
            coerce=int,
            widget=forms.RadioSelect,
            initial=next((i for i, c in enumerate(choices) if c.correct), 0),
        )
        self.count = count

    def clean(self):
        data = super().clean()
        correct = data.get("correct")
        if correct is not None and not data.get(f"choice_{correct}"):
            self.add_error("correct", _("The right answer must be one that is written."))
        for index in range(self.count):
            if bool(data.get(f"choice_{index}")) != bool(data.get(f"choice_{index}_es")):
                self.add_error(f"choice_{index}_es", _("Write each answer in both languages."))
        return data

    def answers(self):
        """[(text, text in Spanish, right)] for the answers written."""
        data = self.cleaned_data
        return [
            (data[f"choice_{i}"], data[f"choice_{i}_es"], i == data["correct"])
            for i in range(self.count)
            if data.get(f"choice_{i}")
        ]


class CertificateIssueForm(forms.Form):
    email = forms.EmailField(
        label=gettext_lazy("Email for a refresher reminder (optional)"),
        max_length=120,
        required=False,
    )


COURSE_CERTIFICATE_SALT = "haven.training.course-certificate"
# How long after passing the quiz its certificate may be asked for.
COURSE_CERTIFICATE_MAX_AGE = 24 * 3600


def course_certificate_token(attempt):
    """A signed token naming a passed course quiz: only who took it holds one."""
    return signing.dumps(str(attempt.client_uuid), salt=COURSE_CERTIFICATE_SALT)


class CourseCertificateForm(forms.Form):
    """Someone who passed the public course asks for a certificate in a name they give."""

    token = forms.CharField(widget=forms.HiddenInput)
    name = forms.CharField(
        label=gettext_lazy("Name to print on the certificate"), max_length=80, required=False
    )
    consent = forms.BooleanField(
        label=gettext_lazy(
            "I agree that this name is printed on the certificate and shown "
            "to anyone who checks it."
        ),
        required=False,
    )
    email = forms.EmailField(
        label=gettext_lazy("Email for a reminder before it expires (optional)"),
        max_length=120,
        required=False,
    )

    def clean(self):
        # A hidden field's error would not show next to it: it goes to the top of the form.
        try:
            client_uuid = signing.loads(
                self.cleaned_data.get("token", ""),
                salt=COURSE_CERTIFICATE_SALT,
                max_age=COURSE_CERTIFICATE_MAX_AGE,
            )
            self.attempt = QuizAttempt.objects.get(client_uuid=client_uuid)
        except (signing.BadSignature, QuizAttempt.DoesNotExist) as error:
            raise forms.ValidationError(
                gettext_lazy("This page has expired: take the quiz again to get a certificate.")
            ) from error
        return self.cleaned_data
