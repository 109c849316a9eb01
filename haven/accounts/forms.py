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
