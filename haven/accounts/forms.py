from django import forms
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import password_validation
from django.db.models import Q
from django.utils.translation import gettext_lazy

from .actions import second_factor_reset_pending
from .models import Site, User


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


class SiteChoicesField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, site):
        return site.name


class StaffForm(forms.Form):
    """A staff member's name, email, role and sites (the admin role's pages)."""

    first_name = forms.CharField(label=gettext_lazy("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=gettext_lazy("Last name"), max_length=150, required=False)
    email = forms.EmailField(label=gettext_lazy("Email"), required=False)
    role = forms.ChoiceField(label=gettext_lazy("Role"), choices=User.Role.choices)
    sites = SiteChoicesField(
        label=gettext_lazy("Sites"),
        queryset=Site.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("Where this person works. Managers read every site's records."),
    )

    def __init__(self, *args, staff_member=None, editing_self=False, **kwargs):
        super().__init__(*args, **kwargs)
        # Closed sites are not offered, but one already assigned stays visible.
        sites = Site.objects.filter(active=True)
        if staff_member is not None:
            sites = Site.objects.filter(Q(active=True) | Q(staff=staff_member)).distinct()
        self.fields["sites"].queryset = sites.order_by("name")
        if editing_self:
            self.fields["role"].help_text = gettext_lazy(
                "You cannot change your own role. Ask another administrator."
            )


class NewStaffForm(StaffForm):
    username = forms.CharField(
        label=gettext_lazy("Username"),
        max_length=150,
        help_text=gettext_lazy("What they type to log in. A legal name is not needed."),
    )
    password = forms.CharField(
        label=gettext_lazy("Initial password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    field_order = ["username", "first_name", "last_name", "email", "role", "sites", "password"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The program's own password rules (AUTH_PASSWORD_VALIDATORS), in words.
        rules = " ".join(password_validation.password_validators_help_texts())
        self.fields["password"].help_text = " ".join(
            [str(gettext_lazy("Give it to the person yourself, not by email.")), rules]
        )


class SiteForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=120)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=Site.Kind.choices)
    area = forms.CharField(
        label=gettext_lazy("Area"),
        max_length=80,
        required=False,
        help_text=gettext_lazy(
            "A ZIP code or neighbourhood, never the street address of an outreach spot."
        ),
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


class PasswordResetForm(auth_forms.PasswordResetForm):
    def get_users(self, email):
        """No link while an admin's reset of the second factor waits for the person's own
        sign-in (haven/accounts/actions.py says why); the page answers as for any address."""
        for user in super().get_users(email):
            if not second_factor_reset_pending(user):
                yield user
