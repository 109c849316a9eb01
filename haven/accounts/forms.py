from django import forms
from django.utils.translation import gettext_lazy

from .models import Site


class CurrentSiteForm(forms.Form):
    current_site = forms.ModelChoiceField(
        queryset=Site.objects.none(), label=gettext_lazy("I am working at")
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        sites = Site.objects.filter(active=True)
        if user.role != "manager":
            sites = sites.filter(staff=user)
        self.fields["current_site"].queryset = sites


class DeviceForm(forms.Form):
    """Name a phone or tablet that will use the offline field app's API."""

    name = forms.CharField(
        label=gettext_lazy("Device name"),
        max_length=80,
        help_text=gettext_lazy("For example “Work phone”, so that you know which one to revoke."),
    )


class SecondFactorForm(forms.Form):
    """The code page after the password: an authenticator code or a recovery code."""

    code = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=40,
        help_text=gettext_lazy(
            "The 6-digit code your authenticator app shows now, or one of your recovery codes."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True}),
    )


class ConfirmAuthenticatorForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code from the app"),
        max_length=10,
        help_text=gettext_lazy("The 6-digit code the app shows after you add Haven to it."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )
