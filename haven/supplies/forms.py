from django import forms
from django.forms import inlineformset_factory
from django.utils.translation import gettext_lazy

from .models import Item, Kit, KitComponent, Lot, StockLocation, StockMovement

DATE = forms.DateInput(attrs={"type": "date"})
NUMBER = forms.NumberInput(attrs={"inputmode": "numeric", "min": 1})
# A line that may be left empty or 0 (a count per item).
COUNT = forms.NumberInput(attrs={"inputmode": "numeric", "min": 0})


def locations_for(user):
    """Stock locations a user looks after: managers all, supervisors their sites'."""
    locations = StockLocation.objects.filter(active=True).select_related("site", "holder")
    if user.role == "manager":
        return locations
    return locations.filter(site__in=user.sites.all())


class ReceiveForm(forms.Form):
    location = forms.ModelChoiceField(
        queryset=StockLocation.objects.none(), label=gettext_lazy("Into")
    )
    item = forms.ModelChoiceField(
        queryset=Item.objects.filter(active=True), label=gettext_lazy("Item")
    )
    quantity = forms.IntegerField(label=gettext_lazy("Quantity"), min_value=1, widget=NUMBER)
    lot_number = forms.CharField(label=gettext_lazy("Lot number"), max_length=60, required=False)
    expires_on = forms.DateField(label=gettext_lazy("Expiry date"), required=False, widget=DATE)
    supplier = forms.CharField(label=gettext_lazy("Supplier"), max_length=120, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = locations_for(user)


class TransferForm(forms.Form):
    source = forms.ModelChoiceField(
        queryset=StockLocation.objects.none(), label=gettext_lazy("From")
    )
    destination = forms.ModelChoiceField(
        queryset=StockLocation.objects.none(), label=gettext_lazy("To")
    )
    item = forms.ModelChoiceField(
        queryset=Item.objects.filter(active=True), label=gettext_lazy("Item")
    )
    quantity = forms.IntegerField(label=gettext_lazy("Quantity"), min_value=1, widget=NUMBER)
    lot = forms.ModelChoiceField(
        queryset=Lot.objects.all(),
        required=False,
        label=gettext_lazy("Lot (leave empty to take the soonest expiring first)"),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].queryset = locations_for(user)
        self.fields["destination"].queryset = locations_for(user)


class RestockForm(forms.Form):
    """Several items at once into one location, from another: a line per active item."""

    source = forms.ModelChoiceField(
        queryset=StockLocation.objects.none(), label=gettext_lazy("From")
    )

    def __init__(self, *args, user, destination, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].queryset = locations_for(user).exclude(pk=destination.pk)
        self.items = list(Item.objects.filter(active=True).order_by("sort_order", "name"))
        for item in self.items:
            self.fields[f"item_{item.pk}"] = forms.IntegerField(
                label=item.name, min_value=0, max_value=100_000, required=False, widget=COUNT
            )

    def lines(self, stock_here):
        """(item, bound field, ItemStock here or None), for the template."""
        return [(item, self[f"item_{item.pk}"], stock_here.get(item.pk)) for item in self.items]

    def quantities(self):
        return {item: self.cleaned_data.get(f"item_{item.pk}") or 0 for item in self.items}


class RemoveForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("Why"),
        choices=[
            (StockMovement.Kind.DISPOSE, gettext_lazy("Dispose (damaged, recalled, lost)")),
            (StockMovement.Kind.EXPIRE, gettext_lazy("Expired")),
        ],
        widget=forms.RadioSelect,
    )
    lot = forms.ModelChoiceField(queryset=Lot.objects.none(), label=gettext_lazy("Lot"))
    quantity = forms.IntegerField(label=gettext_lazy("Quantity"), min_value=1, widget=NUMBER)
    reason = forms.CharField(label=gettext_lazy("Details"), max_length=300)

    def __init__(self, *args, location, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lot"].queryset = Lot.objects.filter(
            balances__location=location, balances__quantity__gt=0
        ).select_related("item")
        self.fields["lot"].label_from_instance = lambda lot: f"{lot.item} · {lot}"


class ReasonForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=300)


class ReviewForm(forms.Form):
    comment = forms.CharField(label=gettext_lazy("Comment"), max_length=300, required=False)


class CollectForm(forms.Form):
    location = forms.ModelChoiceField(
        queryset=StockLocation.objects.none(), label=gettext_lazy("Collected at")
    )
    syringes = forms.IntegerField(
        label=gettext_lazy("Syringes counted"), min_value=1, required=False, widget=NUMBER
    )
    weight_grams = forms.IntegerField(
        label=gettext_lazy("Or: weight in grams (estimated as a count)"),
        min_value=1,
        required=False,
        widget=NUMBER,
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = locations_for(user).exclude(site__isnull=True)


class ItemForm(forms.ModelForm):
    class Meta:
        model = Item
        fields = [
            "name",
            "name_es",
            "category",
            "reporting_group",
            "unit",
            "doses_per_unit",
            "max_per_contact",
            "usual",
            "active",
            "sort_order",
        ]


class KitForm(forms.ModelForm):
    class Meta:
        model = Kit
        fields = ["name", "name_es", "active"]


KitComponentFormSet = inlineformset_factory(
    Kit,
    KitComponent,
    fields=["item", "quantity"],
    extra=3,
    min_num=1,
    validate_min=True,
    can_delete=True,
)


class DrawFromForm(forms.Form):
    draw_from = forms.ModelChoiceField(
        queryset=StockLocation.objects.none(),
        required=False,
        label=gettext_lazy("Hand out supplies from"),
        empty_label=gettext_lazy("The site's own stock"),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        own = StockLocation.objects.filter(active=True, holder=user)
        at_sites = StockLocation.objects.filter(active=True, site__in=user.sites.all()).exclude(
            kind=StockLocation.Kind.BAG
        )
        self.fields["draw_from"].queryset = (own | at_sites).distinct()
