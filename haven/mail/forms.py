from django import forms
from django.core import signing
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from haven.overdose.models import OverdoseReport
from haven.supplies.models import Item

from .models import MailOffer, MailRequest, new_form_token

TOKEN_SALT = "haven.mail.form"
# A form left open longer than this is refused, so that tokens cannot be stockpiled.
TOKEN_MAX_AGE = 24 * 3600

YES_NO_UNSURE = [("", _("Prefer not to say")), ("yes", _("Yes")), ("no", _("No"))]


def signed_token():
    return signing.dumps(new_form_token(), salt=TOKEN_SALT)


class PublicForm(forms.Form):
    """A public form: a hidden one-time token, and a honeypot field people never see."""

    token = forms.CharField(widget=forms.HiddenInput)
    # Hidden by CSS and from screen readers; a bot that fills it is refused.
    website = forms.CharField(required=False, label=_("Leave this empty"))

    def clean_token(self):
        try:
            return signing.loads(self.cleaned_data["token"], salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE)
        except signing.BadSignature as error:
            raise forms.ValidationError(
                _("This form has expired. Please fill it in again."), code="expired"
            ) from error

    def is_bot(self):
        return bool(self.data.get("website"))


def yes_no(value):
    return {"yes": True, "no": False}.get(value)


class RequestForm(PublicForm):
    label_name = forms.CharField(
        label=_("Name for the label"),
        help_text=_("Any name that will reach you. It does not have to be your legal name."),
        max_length=80,
        required=False,
    )
    line1 = forms.CharField(label=_("Street address or PO box"), max_length=120, required=False)
    line2 = forms.CharField(label=_("Apartment, unit (optional)"), max_length=60, required=False)
    city = forms.CharField(label=_("City"), max_length=60, required=False)
    state = forms.CharField(label=_("State"), max_length=2, required=False)
    zip_code = forms.CharField(label=_("ZIP code"), max_length=10, required=False)
    contact_email = forms.EmailField(
        label=_("Email for tracking (optional)"), max_length=120, required=False
    )
    contact_phone = forms.CharField(
        label=_("Phone for tracking (optional)"), max_length=30, required=False
    )
    witnessed_overdose = forms.ChoiceField(
        label=_("Have you seen an overdose in the last 3 months? (optional)"),
        choices=YES_NO_UNSURE,
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.offers = list(MailOffer.objects.filter(active=True).select_related("item"))
        for offer in self.offers:
            self.fields[f"item_{offer.item_id}"] = forms.TypedChoiceField(
                label=offer.item.localised_name(translation.get_language()),
                choices=[(0, "0")] + [(n, str(n)) for n in range(1, offer.most_per_request + 1)],
                coerce=int,
                required=False,
                empty_value=0,
            )

    def item_fields(self):
        return [(offer, self[f"item_{offer.item_id}"]) for offer in self.offers]

    def quantities(self):
        return {
            offer.item: self.cleaned_data.get(f"item_{offer.item_id}") or 0 for offer in self.offers
        }


class ReversalForm(PublicForm):
    city = forms.CharField(label=_("City"), max_length=60, required=False)
    state = forms.CharField(label=_("State"), max_length=2, required=False)
    zip_code = forms.CharField(label=_("ZIP code"), max_length=10, required=False)
    occurred_on = forms.DateField(
        label=_("Date it happened"),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": _("Enter the date it happened.")},
    )
    product = forms.ChoiceField(
        label=_("Which naloxone did you use?"),
        choices=[
            ("nasal spray", _("Nasal spray")),
            ("injectable", _("Injectable")),
            ("not sure", _("Not sure")),
        ],
    )
    doses = forms.IntegerField(
        label=_("How many doses did you give?"),
        min_value=0,
        max_value=10,
        error_messages={"required": _("Enter how many doses, from 0 to 10.")},
    )
    emergency_services_called = forms.ChoiceField(
        label=_("Was 911 or an ambulance called?"), choices=YES_NO_UNSURE, required=False
    )
    outcome = forms.ChoiceField(
        label=_("Is the person alive?"),
        choices=[
            (OverdoseReport.Outcome.SURVIVED, _("Yes")),
            (OverdoseReport.Outcome.DIED, _("No")),
            (OverdoseReport.Outcome.UNKNOWN, _("Not known")),
        ],
        initial=OverdoseReport.Outcome.UNKNOWN,
    )


class DeclineForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300)


class ReturnedForm(forms.Form):
    returned_kits = forms.ChoiceField(
        label=_("What became of the kits?"),
        choices=MailRequest.ReturnedKits.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Say whether the kits go back into stock or were lost."),
            "invalid_choice": _("Say whether the kits go back into stock or were lost."),
        },
    )


class ShipForm(forms.Form):
    tracking_number = forms.CharField(label=_("Tracking number"), max_length=60)


class OfferForm(forms.Form):
    """What is offered by mail: the catalog item packing draws from the mail stock location."""

    item = forms.ModelChoiceField(
        label=_("Item"),
        queryset=Item.objects.none(),
        help_text=_("The catalog item packing draws from the mail stock location."),
    )
    most_per_request = forms.IntegerField(
        label=_("Most per request"), min_value=1, max_value=1000, initial=2
    )
    active = forms.BooleanField(label=_("Offered by mail"), required=False, initial=True)
    sort_order = forms.IntegerField(
        label=_("Order on the form"),
        min_value=0,
        max_value=32767,
        initial=100,
        help_text=_("Smaller numbers come first on the public form."),
    )

    def __init__(self, *args, offer=None, **kwargs):
        if offer is not None and offer.pk:
            kwargs.setdefault(
                "initial",
                {
                    "item": offer.item_id,
                    "most_per_request": offer.most_per_request,
                    "active": offer.active,
                    "sort_order": offer.sort_order,
                },
            )
        super().__init__(*args, **kwargs)
        # Items no longer in use are not offered anew, but an offer keeps its own.
        items = Q(active=True)
        if offer is not None and offer.pk:
            items |= Q(pk=offer.item_id)
        self.fields["item"].queryset = Item.objects.filter(items)
